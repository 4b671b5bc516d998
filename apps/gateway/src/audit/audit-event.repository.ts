import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { decodeCursor } from '@trove/platform';
import { AuditEvent } from './audit-event.entity';

@Injectable()
export class AuditEventRepository extends TransactionalRepository {
  async insert(event: AuditEvent): Promise<void> {
    await this.transaction.insert(AuditEvent, event);
  }

  list(filter: { actor?: string; action?: string; outcome?: string; target?: string; cursor?: string }, limit: number): Promise<AuditEvent[]> {
    const q = this.manager.createQueryBuilder(AuditEvent, 'a').orderBy('a.at', 'DESC').addOrderBy('a.id', 'DESC').limit(limit + 1);
    if (filter.actor) q.andWhere('(a.actor_organization_id = :actor OR a.actor_key_id = :actor)', { actor: filter.actor });
    if (filter.action) q.andWhere('a.action = :action', { action: filter.action });
    if (filter.outcome) q.andWhere('a.outcome = :outcome', { outcome: filter.outcome });
    if (filter.target) q.andWhere('a.target_id = :target', { target: filter.target });
    const after = decodeCursor(filter.cursor);
    if (after) q.andWhere('(a.at, a.id) < (:at, :id)', { at: after.at, id: after.id });
    return q.getMany();
  }
}
