import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { AuditEventRepository } from '../audit/audit-event.repository';
import { KeyStore } from '../auth/key-store';
import { GatewayConfig } from '../gateway.config';
import { displayPrefixOf, hashSecret, parseKey } from '../auth/api-key-token';
import { OPERATORS_ORGANIZATION_ID, OperatorKeyRepository, type RegisteredOperatorKey } from './operator-key.repository';

export const OPERATOR_KEY_ROTATED = 'operator-key.rotate';

/**
 * Registers TROVE_ADMIN_KEY as an admin key of the operators' organization on start, so a
 * fresh deployment has a way in, and retires the key it replaces: setting a new
 * TROVE_ADMIN_KEY rotates the operator key. The old key is refused (401) from then on, by every
 * replica, and the audit log records the rotation. Idempotent: replicas starting together agree.
 */
@Injectable()
export class OperatorKey implements OnApplicationBootstrap {
  private readonly logger = new Logger('OperatorKey');

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly operatorKeys: OperatorKeyRepository,
    private readonly audit: AuditEventRepository,
    private readonly keyStore: KeyStore,
    private readonly config: GatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const parsed = parseKey(this.config.TROVE_ADMIN_KEY)!;
    const prefix = displayPrefixOf(parsed);
    const { registered, current, retired } = await this.unitOfWork.run(async (tx) => {
      await this.operatorKeys.ensureOperatorsOrganization();
      const registered = await this.operatorKeys.register(parsed.id, prefix, hashSecret(parsed.secret));
      const current = await this.operatorKeys.findForUpdate(parsed.id);
      if (!current || current.revokedAt) return { registered, current, retired: [] };
      const now = new Date();
      const retired = await this.operatorKeys.retireOlderThan(current, now);
      for (const old of retired) await this.audit.insert(rotation(old, current, now));
      if (registered) tx.afterCommit(() => this.keyStore.issued(current.id));
      for (const old of retired) tx.afterCommit(() => this.keyStore.changed({ keyId: old.id }));
      return { registered, current, retired };
    });
    if (registered) this.logger.log(`registered the operator key ${prefix}…`);
    for (const old of retired) this.logger.log(`retired the previous operator key ${old.displayPrefix}…: it is refused from now on`);
    if (!current) {
      this.logger.warn(`TROVE_ADMIN_KEY ${prefix}… is a key of another organization, not an operator key: set a new one`);
    } else if (current.revokedAt) {
      this.logger.warn(`TROVE_ADMIN_KEY ${prefix}… was revoked or replaced by a newer one and is refused: set a new one`);
    }
  }
}

/** The audit record of a rotation: the operators retired `old` by starting with `current`. */
function rotation(old: RegisteredOperatorKey, current: RegisteredOperatorKey, at: Date) {
  return {
    id: randomUUID(),
    at,
    actorOrganizationId: OPERATORS_ORGANIZATION_ID,
    actorKeyId: current.id,
    actorRole: 'admin',
    action: OPERATOR_KEY_ROTATED,
    targetType: 'api-key',
    targetId: old.id,
    outcome: 'success' as const,
    // As revoking a key through the API answers.
    status: 204,
    errorCode: null,
    correlationId: randomUUID(),
    ip: null,
  };
}
