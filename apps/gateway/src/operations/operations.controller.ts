import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminKeyGuard } from '../auth/admin-key.guard';
import { ApiProblems } from '../openapi/api-problems';
import { AdminHealthDto } from './admin-health.dto';
import { AdminHealthService } from './admin-health.service';

@ApiTags('Operations')
@ApiBearerAuth('apiKey')
@UseGuards(AdminKeyGuard)
@Controller('v1/admin')
export class OperationsController {
  constructor(private readonly health: AdminHealthService) {}

  @Get('health')
  @ApiOperation({
    summary: 'Health of every service, NATS and the databases',
    description: 'Admin only. Each backend service is asked over NATS; one that does not answer within 2 s is reported down and the whole is `degraded`.',
  })
  @ApiOkResponse({ type: AdminHealthDto })
  @ApiProblems(401)
  report(): Promise<AdminHealthDto> {
    return this.health.report();
  }
}
