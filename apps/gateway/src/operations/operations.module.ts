import { Module } from '@nestjs/common';
import { AdminHealthService } from './admin-health.service';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersService } from './dead-letters.service';
import { OperationsController } from './operations.controller';
import { StatsController } from './stats.controller';

@Module({ controllers: [OperationsController, DeadLettersController, StatsController], providers: [AdminHealthService, DeadLettersService] })
export class OperationsModule {}
