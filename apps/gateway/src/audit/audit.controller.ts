import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page } from '@trove/platform';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { AuditPageDto, AuditQuery, type AuditEventDto } from './audit.dto';
import { AuditService } from './audit.service';

@ApiTags('Operations')
@Controller('v1/admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles(['admin'])
  @ApiOperation({ summary: 'Who did what, when, with which key', description: 'Newest first. Filter by `actor` (organization or key id), `action` and `outcome`.' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(400)
  list(@Query() query: AuditQuery): Promise<Page<AuditEventDto>> {
    return this.audit.list(query);
  }
}
