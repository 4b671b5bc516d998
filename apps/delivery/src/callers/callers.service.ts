import { GatewayEvents, type ApiKeyRevokedV1, type OrganizationStatusChangedV1 } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { EventHandler } from '@trove/messaging';
import { CallerStatusRepository } from './caller-status.repository';

/**
 * What the gateway tells of the callers download URLs are signed for. A signed URL stays valid
 * for hours; a key revoked or an organization suspended since must not keep downloading with
 * it, so admission reads what is recorded here (see DownloadRepository.target).
 */
@Injectable()
export class CallersService {
  private readonly logger = new Logger('Callers');

  constructor(private readonly callers: CallerStatusRepository) {}

  @EventHandler(GatewayEvents.apiKeyRevoked, { consumer: 'revoked-api-keys' })
  async keyRevoked(event: ApiKeyRevokedV1): Promise<void> {
    await this.callers.keyRevoked(event.keyId, event.organizationId, new Date(event.revokedAt));
  }

  /** The newest change wins, whatever order the changes arrive in. */
  // The newest change by its own time wins, so an organization's history may be joined midway.
  @EventHandler(GatewayEvents.organizationStatusChanged, { consumer: 'organization-statuses', startsMidHistory: true })
  async statusChanged(event: OrganizationStatusChangedV1): Promise<void> {
    const applied = await this.callers.statusChanged(event.organizationId, event.status, new Date(event.changedAt));
    if (!applied) this.logger.log(`status ${event.status} of organization ${event.organizationId} at ${event.changedAt} is older than the one recorded: ignored`);
  }
}
