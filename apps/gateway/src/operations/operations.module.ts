import { Module } from '@nestjs/common';
import { AdminHealthService } from './admin-health.service';
import { OperationsController } from './operations.controller';

@Module({ controllers: [OperationsController], providers: [AdminHealthService] })
export class OperationsModule {}
