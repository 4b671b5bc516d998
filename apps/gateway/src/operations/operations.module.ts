import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { AdminHealthService } from './admin-health.service';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersService } from './dead-letters.service';
import { OperationsController } from './operations.controller';
import { OutboxBacklogRepository } from './outbox-backlog.repository';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

@Module({
  imports: [IdentityModule],
  controllers: [OperationsController, DeadLettersController, StatsController],
  providers: [AdminHealthService, DeadLettersService, StatsService, OutboxBacklogRepository],
})
export class OperationsModule {}
