import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { decodeCursor } from '@trove/platform';
import { AuditEvent } from './audit-event.entity';

type AuditFilter = { actor?: string; action?: string; outcome?: string; target?: string };

/** The cursors of the audit log under one set of filters. */
export const auditScope = (filter: AuditFilter) => `audit|${filter.actor ?? '*'}|${filter.action ?? '*'}|${filter.outcome ?? '*'}|${filter.target ?? '*'}`;

@Injectable()
export class AuditEventRepository extends TransactionalRepository {
  async insert(event: AuditEvent): Promise<void> {
    await this.transaction.insert(AuditEvent, event);
  }

  list(filter: AuditFilter & { cursor?: string }, limit: number): Promise<AuditEvent[]> {
    const q = this.manager.createQueryBuilder(AuditEvent, 'a').orderBy('a.at', 'DESC').addOrderBy('a.id', 'DESC').limit(limit + 1);
    if (filter.actor) q.andWhere('(a.actor_organization_id = :actor OR a.actor_key_id = :actor)', { actor: filter.actor });
    if (filter.action) q.andWhere('a.action = :action', { action: filter.action });
    if (filter.outcome) q.andWhere('a.outcome = :outcome', { outcome: filter.outcome });
    if (filter.target) q.andWhere('a.target_id = :target', { target: filter.target });
    const after = decodeCursor(filter.cursor, auditScope(filter));
    if (after) q.andWhere('(a.at, a.id) < (:at, :id)', { at: after.at, id: after.id });
    return q.getMany();
  }
}
