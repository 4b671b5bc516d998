import { IsIn, IsISO8601, IsUUID } from 'class-validator';
import { ORGANIZATION_STATUSES, type OrganizationStatus } from '../identity';
import { eventSubject } from '../subject';

/**
 * An organization revoked one of its API keys. Final: a revoked key is never valid again, so
 * delivery refuses the download URLs signed for it, whenever they were signed.
 */
export class ApiKeyRevokedV1 {
  @IsUUID()
  keyId: string;

  @IsUUID()
  organizationId: string;

  @IsISO8601({ strict: true })
  revokedAt: string;
}

/**
 * An operator changed an organization's status (approved, suspended, reinstated). `changedAt`
 * orders the changes: a consumer keeps the newest one it has seen, so a late or repeated event
 * never brings an older status back.
 */
export class OrganizationStatusChangedV1 {
  @IsUUID()
  organizationId: string;

  @IsIn(ORGANIZATION_STATUSES)
  status: OrganizationStatus;

  @IsISO8601({ strict: true })
  changedAt: string;
}

/** The gateway's facts about identity. An organization's status changes are applied in the order they were made. */
export const GatewayEvents = {
  apiKeyRevoked: eventSubject('evt.gateway.api-key.revoked.v1', ApiKeyRevokedV1, { aggregate: (p) => p.keyId }),
  organizationStatusChanged: eventSubject('evt.gateway.organization.status-changed.v1', OrganizationStatusChangedV1, { aggregate: (p) => p.organizationId }),
};
