import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { decodeCursor } from '@trove/platform';
import { Organization } from './organization.entity';
import type { OrganizationKind, OrganizationStatus } from './organization-state';

/** The cursors of the operators' list of organizations under one set of filters. */
export const organizationsScope = (filter: { kind?: OrganizationKind; status?: OrganizationStatus }) => `organizations|${filter.kind ?? '*'}|${filter.status ?? '*'}`;

@Injectable()
export class OrganizationRepository extends TransactionalRepository {
  /** Locks the row for a state change, so two operators' clicks apply one after the other. */
  findForUpdate(id: string): Promise<Organization | null> {
    return this.transaction.findOne(Organization, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** The organization's kind, or null when there is none with this id. */
  async kindOf(id: string): Promise<OrganizationKind | null> {
    const rows = (await this.manager.query(`SELECT kind FROM organization WHERE id = $1`, [id])) as { kind: OrganizationKind }[];
    return rows[0]?.kind ?? null;
  }

  /** The names of the organizations among `ids` that exist. */
  async namesOf(ids: string[]): Promise<Map<string, string>> {
    const rows = (await this.manager.query(`SELECT id, name FROM organization WHERE id = ANY($1::uuid[])`, [ids])) as { id: string; name: string }[];
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  save(organization: Organization): Promise<Organization> {
    return this.transaction.save(Organization, organization);
  }

  list(filter: { kind?: OrganizationKind; status?: OrganizationStatus; cursor?: string }, limit: number): Promise<Organization[]> {
    const query = this.manager.createQueryBuilder(Organization, 'o').orderBy('o.created_at', 'DESC').addOrderBy('o.id', 'DESC').limit(limit + 1);
    if (filter.kind) query.andWhere('o.kind = :kind', { kind: filter.kind });
    if (filter.status) query.andWhere('o.status = :status', { status: filter.status });
    const after = decodeCursor(filter.cursor, organizationsScope(filter));
    if (after) query.andWhere('(o.created_at, o.id) < (:at, :id)', { at: after.at, id: after.id });
    return query.getMany();
  }

  /**
   * Up to `limit` suspended organizations last announced before `before`, oldest announcement
   * first, locked (replicas take different ones; a status change waits for the announcement).
   */
  suspensionsToAnnounce(before: Date, limit: number): Promise<Organization[]> {
    return this.transaction
      .createQueryBuilder(Organization, 'o')
      .where(`o.status = 'suspended'`)
      .andWhere('o.status_announced_at < :before', { before })
      .orderBy('o.status_announced_at', 'ASC')
      .take(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  /** Records that the organization's status was announced at `at` (its row is locked). */
  async markAnnounced(id: string, at: Date): Promise<void> {
    await this.transaction.query(`UPDATE organization SET status_announced_at = $2 WHERE id = $1`, [id, at]);
  }

  /** Organizations per kind and status, for the operators' figures; a pair without any is absent. */
  async countByKindAndStatus(): Promise<{ kind: OrganizationKind; status: OrganizationStatus; count: number }[]> {
    return (await this.manager.query(`SELECT kind, status, count(*)::int AS count FROM organization GROUP BY kind, status`)) as {
      kind: OrganizationKind;
      status: OrganizationStatus;
      count: number;
    }[];
  }
}
