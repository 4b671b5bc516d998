import { AuditEvents, type AuditRecordedV1 } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { EventHandler } from '@trove/messaging';
import { AuditEventRepository } from './audit-event.repository';

/**
 * Files in the audit log the changes other services made for calls through the gateway. Each
 * service wrote the record into its outbox in the transaction of the change, so a change and
 * its record commit together there; the inbox makes a redelivery insert nothing twice.
 */
@Injectable()
export class AuditEventsConsumer {
  constructor(private readonly events: AuditEventRepository) {}

  @EventHandler(AuditEvents.recorded.catalog, { consumer: 'audit-from-catalog' })
  fromCatalog(payload: AuditRecordedV1): Promise<void> {
    return this.file(payload);
  }

  @EventHandler(AuditEvents.recorded.ordering, { consumer: 'audit-from-ordering' })
  fromOrdering(payload: AuditRecordedV1): Promise<void> {
    return this.file(payload);
  }

  @EventHandler(AuditEvents.recorded.billing, { consumer: 'audit-from-billing' })
  fromBilling(payload: AuditRecordedV1): Promise<void> {
    return this.file(payload);
  }

  @EventHandler(AuditEvents.recorded.delivery, { consumer: 'audit-from-delivery' })
  fromDelivery(payload: AuditRecordedV1): Promise<void> {
    return this.file(payload);
  }

  private file(record: AuditRecordedV1): Promise<void> {
    return this.events.insert({
      id: record.id,
      at: new Date(record.at),
      actorOrganizationId: record.actorOrganizationId ?? null,
      actorKeyId: record.actorKeyId ?? null,
      actorRole: record.actorRole ?? null,
      action: record.action,
      targetType: record.targetType,
      targetId: record.targetId ?? null,
      outcome: 'success',
      status: record.status,
      errorCode: null,
      correlationId: record.correlationId,
      ip: record.ip ?? null,
    });
  }
}
