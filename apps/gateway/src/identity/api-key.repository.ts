import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { decodeCursor } from '@trove/platform';
import { ApiKey } from './api-key.entity';

@Injectable()
export class ApiKeyRepository extends TransactionalRepository {
  async insert(key: Partial<ApiKey>): Promise<void> {
    await this.transaction.insert(ApiKey, key);
  }

  /** A key of this organization, or null: another organization's key does not exist for it. */
  findOwned(organizationId: string, id: string): Promise<ApiKey | null> {
    return this.manager.findOneBy(ApiKey, { id, organizationId });
  }

  async revoke(id: string, at: Date): Promise<void> {
    await this.transaction.query(`UPDATE api_key SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [id, at]);
  }

  listOwned(organizationId: string, cursor: string | undefined, limit: number): Promise<ApiKey[]> {
    const query = this.manager
      .createQueryBuilder(ApiKey, 'k')
      .where('k.organization_id = :organizationId', { organizationId })
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(limit + 1);
    const after = decodeCursor(cursor);
    if (after) query.andWhere('(k.created_at, k.id) < (:at, :id)', { at: after.at, id: after.id });
    return query.getMany();
  }
}
