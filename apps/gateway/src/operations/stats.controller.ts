import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { AdminStatsDto } from './stats.dto';
import { StatsService } from './stats.service';

@ApiTags('Operations')
@Controller('v1/admin/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  @Roles(['admin'])
  @ApiOperation({
    summary: 'Operations figures',
    description:
      'Admin only. Organizations by kind and status, listings by moderation status, orders by status, sales per currency, and where events queue: each service’s outbox rows not yet published and each durable consumer’s backlog in the event stream. Every part is asked of its owner at once, within the RPC timeout; one that does not answer is listed in `unavailable` and its figures are null, the others are still given.',
  })
  @ApiOkResponse({ type: AdminStatsDto })
  @ApiProblems(503)
  report(): Promise<AdminStatsDto> {
    return this.stats.stats();
  }
}
