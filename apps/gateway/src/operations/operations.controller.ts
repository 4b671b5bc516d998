import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/access.decorators';
import { AdminHealthDto } from './admin-health.dto';
import { AdminHealthService } from './admin-health.service';

@ApiTags('Operations')
@Controller('v1/admin')
export class OperationsController {
  constructor(private readonly health: AdminHealthService) {}

  @Get('health')
  @Roles(['admin'])
  @ApiOperation({
    summary: 'Health of every service, NATS and the databases',
    description: 'Admin only. Each backend service is asked over NATS; one that does not answer within 2 s is reported down and the whole is `degraded`.',
  })
  @ApiOkResponse({ type: AdminHealthDto })
  report(): Promise<AdminHealthDto> {
    return this.health.report();
  }
}
