import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { ROLES, type Role } from '../identity';
import type { BackendService } from '../services';
import { eventSubject, type EventSubject } from '../subject';

/**
 * An audited route's action: dotted lowercase words, `api-key.revoke`, `wallet.top-up.confirm`,
 * `dataset.version.file.remove`. The gateway names them; a service takes the mark from the NATS
 * header and writes its record only when the action has this form.
 */
export const AUDIT_ACTION = /^[a-z-]+(?:\.[a-z-]+)+$/;

/**
 * A state change a service made for a call through the gateway, written to the service's
 * outbox in the same transaction as the change: the gateway files it in its audit log. The
 * action and target come from the gateway route (NATS header `trove-audit`).
 */
export class AuditRecordedV1 {
  @IsUUID()
  id: string;

  @IsISO8601()
  at: string;

  @IsOptional()
  @IsUUID()
  actorOrganizationId: string | null;

  @IsOptional()
  @IsUUID()
  actorKeyId: string | null;

  @IsOptional()
  @IsIn(ROLES)
  actorRole: Role | null;

  @Matches(AUDIT_ACTION)
  action: string;

  @IsString()
  @MaxLength(100)
  targetType: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  targetId: string | null;

  @IsInt()
  @Min(200)
  @Max(299)
  status: number;

  @IsString()
  @MaxLength(128)
  correlationId: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  ip: string | null;
}

export const AuditEvents = {
  recorded: {
    catalog: eventSubject('evt.catalog.audit.recorded.v1', AuditRecordedV1),
    ordering: eventSubject('evt.ordering.audit.recorded.v1', AuditRecordedV1),
    billing: eventSubject('evt.billing.audit.recorded.v1', AuditRecordedV1),
    delivery: eventSubject('evt.delivery.audit.recorded.v1', AuditRecordedV1),
  } satisfies Record<BackendService, EventSubject<AuditRecordedV1>>,
};
