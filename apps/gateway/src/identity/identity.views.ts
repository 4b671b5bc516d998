import type { ApiKey } from './api-key.entity';
import type { ApiKeyDto, OrganizationDto } from './identity.dto';
import type { Organization } from './organization.entity';

export function organizationView(organization: Organization): OrganizationDto {
  return {
    id: organization.id,
    name: organization.name,
    kind: organization.kind,
    status: organization.status,
    statusReason: organization.statusReason ?? null,
    contactEmail: organization.contactEmail,
    createdAt: organization.createdAt.toISOString(),
  };
}

export function apiKeyView(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.displayPrefix,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    access: key.access,
  };
}
