import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Page } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { validationFailedFor } from '../openapi/params';
import { OrganizationDto, OrganizationListQuery, OrganizationPageDto } from './identity.dto';
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
  @Audited('organization.approve', 'organization')
  @ApiOperation({ summary: 'Approve a vendor, or reinstate a suspended organization' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrganizationDto })
  @ApiProblems(400, 404, 409)
  approve(@Param('id', organizationId) id: string): Promise<OrganizationDto> {
    return this.identity.approve(id);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('organization.suspend', 'organization')
  @ApiOperation({ summary: 'Suspend an organization', description: 'Every key of the organization gets 403 from then on.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrganizationDto })
  @ApiProblems(400, 404, 409)
  suspend(@Param('id', organizationId) id: string): Promise<OrganizationDto> {
    return this.identity.suspend(id);
  }
}
