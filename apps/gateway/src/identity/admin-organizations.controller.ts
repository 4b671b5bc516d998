import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PageQuery, validateMessage, type Page } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { ApiProblems } from '../openapi/api-problems';
import { uuidParam } from '../catalog/params';
import { ApiKeyPageDto, CreateApiKeyDto, CreatedApiKeyDto, OrganizationDto, OrganizationListQuery, OrganizationPageDto, SuspendOrganizationDto, type ApiKeyDto } from './identity.dto';
import { IdentityService } from './identity.service';

/** The `:id` of these routes: an organization's, or a key's. */
const uuidId = uuidParam('id');

@ApiTags('Operations')
@Controller('v1/admin/organizations')
export class AdminOrganizationsController {
  constructor(private readonly identity: IdentityService) {}

  @Get()
  @Roles(['admin'])
  @ApiOperation({ summary: 'Organizations, newest first', description: 'Filter by `kind` and `status`: `?kind=vendor&status=pending` is the approval queue.' })
  @ApiOkResponse({ type: OrganizationPageDto })
  @ApiProblems(400)
  list(@Query() query: OrganizationListQuery): Promise<Page<OrganizationDto>> {
    return this.identity.listOrganizations(query);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('organization.approve', 'organization', { replays: false })
  @ApiOperation({ summary: 'Approve a vendor, or reinstate a suspended organization', description: 'The reason of the suspension, if any, is cleared (`statusReason: null`).' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrganizationDto })
  @ApiProblems(400, 404, 409)
  approve(@Param('id', uuidId) id: string): Promise<OrganizationDto> {
    return this.identity.approve(id);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('organization.suspend', 'organization', { replays: false })
  @ApiOperation({
    summary: "Suspend an organization, or decline a vendor's application",
    description:
      'An active organization, or a pending vendor (its application declined). Every key of the organization gets `403 ORGANIZATION_SUSPENDED` from then on. The body may be left out (or `{}`); `{reason}` is shown to the organization in that 403 and as `statusReason`, until it is approved again. Suspending a suspended organization is `409 INVALID_STATE` and keeps its reason.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiBody({ type: SuspendOrganizationDto, required: false })
  @ApiOkResponse({ type: OrganizationDto })
  @ApiProblems(400, 404, 409)
  suspend(@Param('id', uuidId) id: string, @Body() body: unknown): Promise<OrganizationDto> {
    // No body at all is a suspension without a reason; a body is held to the DTO's rules.
    const reason = body === undefined ? undefined : validateMessage(SuspendOrganizationDto, body).reason;
    return this.identity.suspend(id, reason ?? null);
  }

  @Get(':id/api-keys')
  @Roles(['admin'])
  @ApiOperation({ summary: "An organization's keys, newest first", description: 'Never the keys themselves: a prefix to recognise each, as the organization sees them. To find a key that leaked.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiProblems(400, 404)
  keys(@Param('id', uuidId) id: string, @Query() query: PageQuery): Promise<Page<ApiKeyDto>> {
    return this.identity.listKeysOf(id, query.cursor, query.limit);
  }

  @Post(':id/api-keys')
  @HttpCode(201)
  @Roles(['admin'])
  // The record's target is the organization the key is made for.
  @Audited('api-key.create', 'organization', { replays: false })
  @ApiOperation({
    summary: 'Make a key for an organization',
    description:
      'For an organization whose last key with full access an operator revoked (`DELETE /v1/admin/api-keys/:id`): the key is in this answer only, for the operator to hand over. The same body and rules as `POST /v1/api-keys`.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(400, 404, 409, 413)
  createKey(@CurrentPrincipal() principal: Principal, @Param('id', uuidId) id: string, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.identity.createKey(principal, body, id);
  }
}

@ApiTags('Operations')
@Controller('v1/admin/api-keys')
export class AdminApiKeysController {
  constructor(private readonly identity: IdentityService) {}

  @Delete(':id')
  @HttpCode(204)
  @Roles(['admin'])
  @Audited('api-key.revoke', 'api-key', { replays: false })
  @ApiOperation({
    summary: "Revoke any organization's key",
    description:
      "A key that leaked (found in a public repository, say): refused by every gateway replica within a second, and so are the download and upload URLs signed for it; revoking twice is harmless. Unlike `DELETE /v1/api-keys/:id` it may take an organization's last key with full access: make it a new one with `POST /v1/admin/organizations/:id/api-keys`.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async revoke(@Param('id', uuidId) id: string): Promise<void> {
    await this.identity.revokeAnyKey(id);
  }
}
