import { Injectable } from '@nestjs/common';
import type { LicenseTermsValue } from '@trove/licensing';
import { queryOpening, TransactionalRepository, type Transaction } from '@trove/messaging';
import type { EntitlementStatus } from '@trove/contracts';

/** A gibibyte, the unit a metered offer sold per `gib` counts. */
export const GIB = 1024 ** 3;

/** What one download request needs to know, read in one indexed query. */
export interface DownloadTarget {
  entitlementId: string;
  orderId: string;
  buyerOrganizationId: string;
  datasetId: string;
  status: EntitlementStatus;
  terms: LicenseTermsValue;
  pricingModel: string;
  /**
   * The bytes a metered offer sold per GiB allows (the GiB bought, from the order line's
   * quantity); null for every other offer, whose downloads are not metered.
   */
  allowanceBytes: number | null;
  grantedAt: Date;
  expiresAt: Date | null;
  key: string;
  size: number;
  sha256: string;
}

export interface DownloadRecord {
  id: string;
  entitlementId: string;
  organizationId: string;
  keyId: string;
  objectKey: string;
  versionId: string;
  path: string;
  rangeStart: number;
  bytesSent: number;
  complete: boolean;
  startedAt: Date;
  finishedAt: Date;
}

@Injectable()
export class DownloadRepository extends TransactionalRepository {
  /**
   * The entitlement's current row and the file, when the entitlement covers the version and the
   * version has the file; null otherwise. Never cached: a refund stops the next request.
   */
  async target(entitlementId: string, versionId: string, path: string): Promise<DownloadTarget | null> {
    const rows = (await this.manager.query(
      `SELECT e.id, e.order_id, e.buyer_organization_id, e.dataset_id, e.status, e.terms, e.pricing->>'model' AS pricing_model,
              CASE WHEN e.pricing->>'model' = 'metered' AND e.pricing->>'unit' = 'gib' THEN (e.pricing->>'quantity')::bigint * ${GIB} END AS allowance_bytes,
              e.granted_at, e.expires_at,
              so.key, so.size, so.sha256
         FROM entitlement e
         JOIN entitlement_version ev ON ev.entitlement_id = e.id AND ev.version_id = $2
         JOIN stored_object so ON so.target = 'version-file' AND so.dataset_id = e.dataset_id AND so.version_id = $2 AND so.path = $3 AND so.recorded_at IS NOT NULL
        WHERE e.id = $1
        LIMIT 1`,
      [entitlementId, versionId, path],
    )) as {
      id: string;
      order_id: string;
      buyer_organization_id: string;
      dataset_id: string;
      status: EntitlementStatus;
      terms: LicenseTermsValue;
      pricing_model: string;
      allowance_bytes: string | null;
      granted_at: Date;
      expires_at: Date | null;
      key: string;
      size: string;
      sha256: string;
    }[];
    if (rows.length === 0) return null;
    const r = rows[0];
    return {
      entitlementId: r.id,
      orderId: r.order_id,
      buyerOrganizationId: r.buyer_organization_id,
      datasetId: r.dataset_id,
      status: r.status,
      terms: r.terms,
      pricingModel: r.pricing_model,
      allowanceBytes: r.allowance_bytes === null ? null : Number(r.allowance_bytes),
      grantedAt: r.granted_at,
      expiresAt: r.expires_at,
      key: r.key,
      size: Number(r.size),
      sha256: r.sha256,
    };
  }

  /** Bytes sent per entitlement, for those of `entitlementIds` with any download. */
  async bytesDeliveredEach(entitlementIds: string[]): Promise<Map<string, number>> {
    if (entitlementIds.length === 0) return new Map();
    const rows = (await this.manager.query(`SELECT entitlement_id, sum(bytes_sent)::bigint AS n FROM download WHERE entitlement_id = ANY($1::uuid[]) GROUP BY entitlement_id`, [
      entitlementIds,
    ])) as { entitlement_id: string; n: string }[];
    return new Map(rows.map((r) => [r.entitlement_id, Number(r.n)]));
  }

  /**
   * Serializes the allowance checks of one entitlement, in every replica, until the transaction
   * ends. The transaction's first statement: it goes with the START TRANSACTION.
   */
  async lockAllowance(entitlementId: string, tx: Transaction): Promise<void> {
    await queryOpening(tx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`download-allowance:${entitlementId}`]);
  }

  /**
   * Holds `hold.bytes` of the entitlement's allowance until `expiresInSeconds` from now, if they
   * fit beside the bytes delivered (audit rows) and those of unexpired holds; in one statement,
   * which also deletes some expired holds of any entitlement (those no other transaction has
   * locked). Run after `lockAllowance`, so that the sums see every hold committed before it.
   */
  async holdIfFits(hold: AllowanceHoldRow, allowanceBytes: number, expiresInSeconds: number): Promise<{ admitted: boolean; delivered: number; held: number }> {
    const [row] = (await this.transaction.query(
      `WITH expired AS (
         DELETE FROM download_hold WHERE id IN (SELECT id FROM download_hold WHERE expires_at <= now() LIMIT 100 FOR UPDATE SKIP LOCKED)
       ), used AS (
         SELECT (SELECT coalesce(sum(bytes_sent), 0) FROM download WHERE entitlement_id = $2::uuid)::bigint AS delivered,
                (SELECT coalesce(sum(bytes), 0) FROM download_hold WHERE entitlement_id = $2::uuid AND expires_at > now())::bigint AS held
       ), inserted AS (
         INSERT INTO download_hold (id, entitlement_id, bytes, expires_at)
         SELECT $1::uuid, $2::uuid, $3::bigint, now() + make_interval(secs => $5::int) FROM used WHERE delivered + held + $3::bigint <= $4::bigint
         RETURNING id
       )
       SELECT delivered::text, held::text, EXISTS (SELECT 1 FROM inserted) AS admitted FROM used`,
      [hold.id, hold.entitlementId, hold.bytes, BigInt(allowanceBytes).toString(), expiresInSeconds],
    )) as { delivered: string; held: string; admitted: boolean }[];
    return { admitted: row.admitted, delivered: Number(row.delivered), held: Number(row.held) };
  }

  /** Pushes a running download's hold `expiresInSeconds` from now (a hold already deleted stays deleted). */
  async renewHold(id: string, expiresInSeconds: number, tx: Transaction): Promise<void> {
    await queryOpening(tx, `UPDATE download_hold SET expires_at = now() + make_interval(secs => $2::int) WHERE id = $1::uuid`, [id, expiresInSeconds]);
  }

  /** Lets go of a hold whose download never started. */
  async deleteHold(id: string): Promise<void> {
    await this.transaction.query(`DELETE FROM download_hold WHERE id = $1`, [id]);
  }

  /** Downloads of the file under the entitlement that started at its first byte (resumes and later ranges are not new downloads). */
  async downloadsOf(entitlementId: string, objectKey: string): Promise<number> {
    const [row] = (await this.manager.query(`SELECT count(*)::int AS n FROM download WHERE entitlement_id = $1 AND object_key = $2 AND range_start = 0`, [
      entitlementId,
      objectKey,
    ])) as { n: number }[];
    return row.n;
  }

  /** Seats in use if `keyId` downloads too: the distinct API keys that downloaded under the entitlement, counting this one. */
  async seatsWith(entitlementId: string, keyId: string): Promise<number> {
    const [row] = (await this.manager.query(`SELECT count(DISTINCT key_id)::int AS n FROM download WHERE entitlement_id = $1 AND key_id <> $2`, [entitlementId, keyId])) as {
      n: number;
    }[];
    return row.n + 1;
  }

  /**
   * The download's audit row; given the id of its allowance hold, the hold is deleted by the same
   * statement, so the bytes move from the hold to the row at once.
   */
  async insert(record: DownloadRecord, holdId?: string): Promise<void> {
    await this.transaction.query(
      `${holdId ? 'WITH released AS (DELETE FROM download_hold WHERE id = $13) ' : ''}` +
        `INSERT INTO download (id, entitlement_id, organization_id, key_id, object_key, version_id, path, range_start, bytes_sent, complete, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        record.id,
        record.entitlementId,
        record.organizationId,
        record.keyId,
        record.objectKey,
        record.versionId,
        record.path,
        record.rangeStart,
        record.bytesSent,
        record.complete,
        record.startedAt,
        record.finishedAt,
        ...(holdId ? [holdId] : []),
      ],
    );
  }
}

/** The row of one running download's hold on its entitlement's allowance. */
export interface AllowanceHoldRow {
  id: string;
  entitlementId: string;
  bytes: number;
}
