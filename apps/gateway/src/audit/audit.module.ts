import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditEventRepository } from './audit-event.repository';
import { AuditEventsConsumer } from './audit-events.consumer';
import { AuditService } from './audit.service';

@Module({
  controllers: [AuditController],
  providers: [AuditService, AuditEventRepository, AuditEventsConsumer],
})
export class AuditModule {}
