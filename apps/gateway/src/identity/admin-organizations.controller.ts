import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { validateMessage, type Page } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { validationFailedFor } from '../openapi/params';
import { OrganizationDto, OrganizationListQuery, OrganizationPageDto, SuspendOrganizationDto } from './identity.dto';
import { IdentityService } from './identity.service';

const organizationId = new ParseUUIDPipe({ exceptionFactory: validationFailedFor('id') });

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
  approve(@Param('id', organizationId) id: string): Promise<OrganizationDto> {
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
  suspend(@Param('id', organizationId) id: string, @Body() body: unknown): Promise<OrganizationDto> {
    // No body at all is a suspension without a reason; a body is held to the DTO's rules.
    const reason = body === undefined ? undefined : validateMessage(SuspendOrganizationDto, body).reason;
    return this.identity.suspend(id, reason ?? null);
  }
}
