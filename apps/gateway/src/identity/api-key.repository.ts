import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { decodeCursor } from '@trove/platform';
import { ApiKey } from './api-key.entity';

/** The cursors of one organization's list of keys. */
export const apiKeysScope = (organizationId: string) => `api-keys|${organizationId}`;

@Injectable()
export class ApiKeyRepository extends TransactionalRepository {
  async insert(key: Partial<ApiKey>): Promise<void> {
    await this.transaction.insert(ApiKey, key);
  }

  /** A key of this organization, or null: another organization's key does not exist for it. */
  findOwned(organizationId: string, id: string): Promise<ApiKey | null> {
    return this.manager.findOneBy(ApiKey, { id, organizationId });
  }

  /** Any organization's key, or null: for an operator. */
  find(id: string): Promise<ApiKey | null> {
    return this.manager.findOneBy(ApiKey, { id });
  }

  /** Revokes a key not revoked yet; false when it was revoked already (nothing changed). */
  async revoke(id: string, at: Date): Promise<boolean> {
    // An UPDATE through TypeORM answers [rows, affected].
    const [, affected] = (await this.transaction.query(`UPDATE api_key SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [id, at])) as [unknown[], number];
    return affected > 0;
  }

  /**
   * Whether the organization keeps, besides `exceptId`, a key with full access that is not
   * revoked and lasts at least until `until` (null: never expires), so that revoking `exceptId`
   * shortens nothing: a key expiring in a minute kept no organization from being stranded once
   * it expired. Takes the organization's key lock first, held to the transaction's end: two of
   * its keys revoked at once cannot each see the other as the one kept.
   */
  async keepsAnotherFullKey(organizationId: string, exceptId: string, until: Date | null): Promise<boolean> {
    await this.lockKeysOf(organizationId);
    const rows = (await this.transaction.query(
      `SELECT 1 FROM api_key
        WHERE organization_id = $1 AND id <> $2 AND access = 'full' AND revoked_at IS NULL
          AND (expires_at IS NULL OR ($3::timestamptz IS NOT NULL AND expires_at >= $3::timestamptz AND expires_at > now()))
        LIMIT 1`,
      [organizationId, exceptId, until],
    )) as unknown[];
    return rows.length > 0;
  }

  /**
   * How many keys the organization holds that work now (not revoked, not expired), counted under
   * its key lock, held to the transaction's end: keys made at once are counted one after another.
   */
  async liveKeys(organizationId: string): Promise<number> {
    await this.lockKeysOf(organizationId);
    const [{ count }] = (await this.transaction.query(
      `SELECT count(*)::int AS count FROM api_key WHERE organization_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [organizationId],
    )) as { count: number }[];
    return count;
  }

  /** The organization's key lock: its keys' count and its last full key change one at a time. */
  private async lockKeysOf(organizationId: string): Promise<void> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended('api-keys:' || $1, 0))`, [organizationId]);
  }

  listOwned(organizationId: string, cursor: string | undefined, limit: number): Promise<ApiKey[]> {
    const query = this.manager
      .createQueryBuilder(ApiKey, 'k')
      .where('k.organization_id = :organizationId', { organizationId })
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(limit + 1);
    const after = decodeCursor(cursor, apiKeysScope(organizationId));
    if (after) query.andWhere('(k.created_at, k.id) < (:at, :id)', { at: after.at, id: after.id });
    return query.getMany();
  }
}
