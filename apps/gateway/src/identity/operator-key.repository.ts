import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

/** The operators' organization: fixed, so every replica and every restart finds the same one. */
export const OPERATORS_ORGANIZATION_ID = '00000000-0000-4000-8000-000000000001';

export interface RegisteredOperatorKey {
  id: string;
  displayPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * The keys registered from TROVE_ADMIN_KEY on start. They are the operators' organization's
 * keys that no key created (`created_by_key_id` is null); admin keys made through the API are
 * never touched here.
 */
@Injectable()
export class OperatorKeyRepository extends TransactionalRepository {
  async ensureOperatorsOrganization(): Promise<void> {
    await this.transaction.query(
      `INSERT INTO organization (id, name, kind, status, contact_email)
       VALUES ($1, 'Trove operators', 'admin', 'active', 'operators@trove.invalid')
       ON CONFLICT (id) DO NOTHING`,
      [OPERATORS_ORGANIZATION_ID],
    );
  }

  /** Registers the key unless it is already (replicas starting together agree); true if it was new. */
  async register(id: string, displayPrefix: string, secretHash: Buffer): Promise<boolean> {
    const inserted = (await this.transaction.query(
      `INSERT INTO api_key (id, organization_id, name, display_prefix, secret_hash)
       VALUES ($1, $2, 'TROVE_ADMIN_KEY', $3, $4)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, OPERATORS_ORGANIZATION_ID, displayPrefix, secretHash],
    )) as unknown[];
    return inserted.length > 0;
  }

  /** The registered key, locked: replicas starting with the same key rotate one after the other. */
  async findForUpdate(id: string): Promise<RegisteredOperatorKey | null> {
    const rows = (await this.transaction.query(
      `SELECT id, display_prefix AS "displayPrefix", created_at AS "createdAt", revoked_at AS "revokedAt"
         FROM api_key WHERE id = $1 AND organization_id = $2 AND created_by_key_id IS NULL FOR UPDATE`,
      [id, OPERATORS_ORGANIZATION_ID],
    )) as RegisteredOperatorKey[];
    return rows[0] ?? null;
  }

  /**
   * Revokes every operator key registered before `current`. Only older ones: a replica that
   * still runs with the previous key and restarts cannot retire its successor.
   */
  async retireOlderThan(current: RegisteredOperatorKey, at: Date): Promise<RegisteredOperatorKey[]> {
    const [rows] = (await this.transaction.query(
      `UPDATE api_key SET revoked_at = $3
        WHERE organization_id = $1 AND created_by_key_id IS NULL AND revoked_at IS NULL
          AND id <> $2 AND created_at < $4
        RETURNING id, display_prefix AS "displayPrefix", created_at AS "createdAt", revoked_at AS "revokedAt"`,
      [OPERATORS_ORGANIZATION_ID, current.id, at, current.createdAt],
    )) as [RegisteredOperatorKey[], number];
    return rows;
  }
}
