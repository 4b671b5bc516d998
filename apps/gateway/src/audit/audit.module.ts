import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit.controller';
import { AuditTargetInterceptor } from './audit-target.interceptor';
import { AuditService } from './audit.service';

@Module({
  controllers: [AuditController],
  providers: [AuditService, { provide: APP_INTERCEPTOR, useClass: AuditTargetInterceptor }],
})
export class AuditModule {}
