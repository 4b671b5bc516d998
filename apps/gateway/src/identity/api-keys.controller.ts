import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PageQuery, type Page } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/principal';
import { ApiProblems } from '../openapi/api-problems';
import { uuidParam } from '../catalog/params';
import { ApiKeyPageDto, CreateApiKeyDto, CreatedApiKeyDto, type ApiKeyDto } from './identity.dto';
import { IdentityService } from './identity.service';

@ApiTags('Organizations and keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly identity: IdentityService) {}

  @Post()
  @HttpCode(201)
  @Roles(['admin', 'vendor', 'buyer'])
  @Audited('api-key.create', 'api-key', { replays: false })
  @ApiOperation({ summary: "Create another key for the caller's organization", description: 'The key is in this answer only. An organization holds at most API_KEYS_PER_ORGANIZATION (50) keys that work at once: one more is 409 until it revokes one.' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(400, 409, 413)
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.identity.createKey(principal, body);
  }

  @Get()
  @Roles(['admin', 'vendor', 'buyer'])
  @ApiOperation({ summary: "The organization's keys, newest first", description: 'Never the keys themselves: a prefix to recognise each.' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiProblems(400)
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery): Promise<Page<ApiKeyDto>> {
    return this.identity.listKeys(principal, query.cursor, query.limit);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles(['admin', 'vendor', 'buyer'])
  @Audited('api-key.revoke', 'api-key', { replays: false })
  @ApiOperation({
    summary: 'Revoke a key',
    description:
      "Refused by every gateway replica within a second; revoking twice is harmless. A key with full access is 409 CONFLICT unless another full key lasts at least as long (never expires, when it never does): make another first, or the organization could be left with no key to make one.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam('id')) id: string): Promise<void> {
    await this.identity.revokeKey(principal, id);
  }
}
