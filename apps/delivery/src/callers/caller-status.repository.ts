import { Injectable } from '@nestjs/common';
import { recordNewestStatus, TransactionalRepository } from '@trove/messaging';
import type { CallerStanding } from './caller-standing';

/** The API keys the gateway revoked and the latest status of each organization, as delivery was told. */
@Injectable()
export class CallerStatusRepository extends TransactionalRepository {
  /** Records a revoked key; a key recorded already keeps its first row (revoking is final). */
  async keyRevoked(keyId: string, organizationId: string, revokedAt: Date): Promise<void> {
    await this.transaction.query(
      `INSERT INTO revoked_api_key (key_id, organization_id, revoked_at) VALUES ($1, $2::uuid, $3) ON CONFLICT (key_id) DO NOTHING`,
      [keyId, organizationId, revokedAt],
    );
  }

  /** Whether `keyId` is revoked and the organization's latest status (null: never told of one), in one statement. */
  async standing(keyId: string, organizationId: string): Promise<CallerStanding> {
    const [row] = (await this.manager.query(
      `SELECT EXISTS (SELECT 1 FROM revoked_api_key WHERE key_id = $1) AS key_revoked,
              (SELECT status FROM organization_status WHERE organization_id = $2::uuid) AS organization_status`,
      [keyId, organizationId],
    )) as { key_revoked: boolean; organization_status: string | null }[];
    return { keyRevoked: row.key_revoked, organizationStatus: row.organization_status };
  }

  /** Sets the organization's status unless a newer (or the same) change was stored already: then false. */
  async statusChanged(organizationId: string, status: string, changedAt: Date): Promise<boolean> {
    return (await recordNewestStatus(this.transaction, 'organization_status', 'organization_id', organizationId, status, changedAt)) !== null;
  }
}
