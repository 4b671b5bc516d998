import type { Role } from '@trove/platform';
import type { ApiKeyAccess, OrganizationKind, OrganizationStatus } from '@trove/contracts';

/** Who a valid key speaks for, as the gateway caches it. */
export interface Principal {
  keyId: string;
  organizationId: string;
  role: Role;
  /** `read`: this key may GET and HEAD only, whatever its role allows. */
  access: ApiKeyAccess;
  /** When the key expires, epoch milliseconds; absent for a key without an expiry. */
  keyExpiresAt?: number;
  organization: {
    id: string;
    name: string;
    kind: OrganizationKind;
    status: OrganizationStatus;
    /** Why an operator suspended it, if it said (see Organization.statusReason). */
    statusReason: string | null;
    contactEmail: string;
    createdAt: string;
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    audit?: { action: string; targetType: string; targetId: string | null };
  }
}
