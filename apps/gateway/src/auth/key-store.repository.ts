import { Injectable } from '@nestjs/common';
import type { ApiKeyAccess, OrganizationKind, OrganizationStatus } from '@trove/contracts';
import { TransactionalRepository } from '@trove/messaging';

/** A key as the key store checks it, with the organization it speaks for. */
export interface KeyRow {
  id: string;
  organization_id: string;
  secret_hash: Buffer;
  expires_at: Date | null;
  revoked_at: Date | null;
  access: ApiKeyAccess;
  org_name: string;
  org_kind: OrganizationKind;
  org_status: OrganizationStatus;
  /** The operator's reason for a suspension: every check must see it with the status. */
  org_status_reason: string | null;
  org_contact_email: string;
  org_created_at: Date;
}

/** The key store's queries: one primary-key lookup per check, and the batched `last used` times. */
@Injectable()
export class KeyStoreRepository extends TransactionalRepository {
  async findForCheck(id: string): Promise<KeyRow | null> {
    const rows = (await this.manager.query(
      `SELECT k.id, k.organization_id, k.secret_hash, k.expires_at, k.revoked_at, k.access,
              o.name AS org_name, o.kind AS org_kind, o.status AS org_status, o.status_reason AS org_status_reason,
              o.contact_email AS org_contact_email, o.created_at AS org_created_at
         FROM api_key k JOIN organization o ON o.id = k.organization_id
        WHERE k.id = $1`,
      [id],
    )) as KeyRow[];
    return rows[0] ?? null;
  }

  /** Ids of the keys that can still be used, most recently used first. */
  async usableIds(limit: number): Promise<string[]> {
    const rows = (await this.manager.query(
      `SELECT id FROM api_key
        WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        ORDER BY last_used_at DESC NULLS LAST LIMIT $1`,
      [limit],
    )) as { id: string }[];
    return rows.map((row) => row.id);
  }

  async recordLastUsed(entries: [id: string, at: Date][]): Promise<void> {
    await this.transaction.query(
      `UPDATE api_key k SET last_used_at = u.at
         FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
        WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
      [entries.map(([id]) => id), entries.map(([, at]) => at.toISOString())],
    );
  }
}
