import { Injectable } from '@nestjs/common';
import type { LicenseTermsValue } from '@trove/licensing';
import { queryOpening, TransactionalRepository, type Transaction } from '@trove/messaging';
import type { EntitlementStatus, RecipientDownloads } from '@trove/contracts';
import type { CallerStanding } from '../callers/caller-standing';

/** A gibibyte, the unit a metered offer sold per `gib` counts. */
export const GIB = 1024 ** 3;

/** What one download request needs to know, read in one indexed query. */
export interface DownloadTarget extends CallerStanding {
  entitlementId: string;
  orderId: string;
  buyerOrganizationId: string;
  datasetId: string;
  status: EntitlementStatus;
  terms: LicenseTermsValue;
  pricingModel: string;
  /**
   * The bytes a metered line allows: per GiB, the GiB bought (the order line's quantity); in
   * another unit bought in part (10 hours of 1,000), that share of the corpus its versions
   * hold (`corpusBytesOf`), fixed at the grant (`pricing.allowanceBytes`). Null for every other line, whose
   * downloads are not metered.
   */
  allowanceBytes: number | null;
  /** Sold per GiB: billing's usage meter counts its downloads. */
  perGib: boolean;
  grantedAt: Date;
  expiresAt: Date | null;
  key: string;
  size: number;
  sha256: string;
}

/** One API key's downloads from one version under one entitlement, summed. */
export type DownloadGroup = RecipientDownloads;

export interface DownloadRecord {
  id: string;
  entitlementId: string;
  organizationId: string;
  keyId: string;
  objectKey: string;
  versionId: string;
  path: string;
  rangeStart: number;
  /** The bytes the answer was to send (its Content-Length). */
  bytesAsked: number;
  bytesSent: number;
  complete: boolean;
  startedAt: Date;
  finishedAt: Date;
}

@Injectable()
export class DownloadRepository extends TransactionalRepository {
  /**
   * The entitlement's current row and the file, when the entitlement covers the version and the
   * version has the file; null otherwise. The same statement says whether the URL's API key
   * (`keyId`) is revoked and what the buyer organization's latest status is, as the gateway's
   * events told delivery. Never cached: a refund, a revoked key or a suspension stops the next
   * request.
   */
  async target(entitlementId: string, versionId: string, path: string, keyId: string): Promise<DownloadTarget | null> {
    const rows = (await this.manager.query(
      `SELECT e.id, e.order_id, e.buyer_organization_id, e.dataset_id, e.status, e.terms, e.pricing->>'model' AS pricing_model,
              CASE WHEN e.pricing->>'model' = 'metered' AND e.pricing->>'unit' = 'gib' THEN (e.pricing->>'quantity')::bigint * ${GIB}
                   WHEN e.pricing->>'model' = 'metered' AND e.pricing ? 'allowanceBytes' THEN (e.pricing->>'allowanceBytes')::bigint END AS allowance_bytes,
              (e.pricing->>'model' = 'metered' AND e.pricing->>'unit' = 'gib') AS per_gib,
              e.granted_at, e.expires_at,
              so.key, so.size, so.sha256,
              EXISTS (SELECT 1 FROM revoked_api_key WHERE key_id = $4) AS key_revoked,
              (SELECT status FROM organization_status WHERE organization_id = e.buyer_organization_id) AS organization_status
         FROM entitlement e
         JOIN entitlement_version ev ON ev.entitlement_id = e.id AND ev.version_id = $2
         JOIN stored_object so ON so.target = 'version-file' AND so.dataset_id = e.dataset_id AND so.version_id = $2 AND so.path = $3 AND so.recorded_at IS NOT NULL
        WHERE e.id = $1
        LIMIT 1`,
      [entitlementId, versionId, path, keyId],
    )) as {
      id: string;
      order_id: string;
      buyer_organization_id: string;
      dataset_id: string;
      status: EntitlementStatus;
      terms: LicenseTermsValue;
      pricing_model: string;
      allowance_bytes: string | null;
      per_gib: boolean;
      granted_at: Date;
      expires_at: Date | null;
      key: string;
      size: string;
      sha256: string;
      key_revoked: boolean;
      organization_status: string | null;
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
      perGib: r.per_gib,
      grantedAt: r.granted_at,
      expiresAt: r.expires_at,
      key: r.key,
      size: Number(r.size),
      sha256: r.sha256,
      keyRevoked: r.key_revoked,
      organizationStatus: r.organization_status,
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
   * What each entitlement's buyer downloaded, grouped by API key and version (only `versionId`'s
   * when given), the most recently active `perEntitlement` groups of each, and how many groups
   * each has in all. One pass over the entitlements' rows of the audit (`download_entitlement_idx`).
   */
  async groupsEach(entitlementIds: string[], versionId: string | undefined, perEntitlement: number): Promise<Map<string, { groups: DownloadGroup[]; total: number }>> {
    const each = new Map<string, { groups: DownloadGroup[]; total: number }>();
    if (entitlementIds.length === 0) return each;
    const rows = (await this.manager.query(
      `WITH groups AS (
         SELECT d.entitlement_id, d.key_id, d.version_id, count(DISTINCT d.path)::int AS files, count(*)::int AS requests,
                sum(d.bytes_sent)::bigint AS bytes, min(d.started_at) AS first_at, max(d.finished_at) AS last_at
           FROM download d
          WHERE d.entitlement_id = ANY($1::uuid[])${versionId ? ' AND d.version_id = $3::uuid' : ''}
          GROUP BY d.entitlement_id, d.key_id, d.version_id),
       ranked AS (
         SELECT g.*, row_number() OVER (PARTITION BY g.entitlement_id ORDER BY g.last_at DESC, g.key_id, g.version_id) AS n,
                count(*) OVER (PARTITION BY g.entitlement_id)::int AS total
           FROM groups g)
       SELECT r.*, rv.version FROM ranked r LEFT JOIN released_version rv ON rv.version_id = r.version_id
        WHERE r.n <= $2 ORDER BY r.entitlement_id, r.n`,
      versionId ? [entitlementIds, perEntitlement, versionId] : [entitlementIds, perEntitlement],
    )) as { entitlement_id: string; key_id: string; version_id: string; version: string | null; files: number; requests: number; bytes: string; first_at: Date; last_at: Date; total: number }[];
    for (const row of rows) {
      const entry = each.get(row.entitlement_id) ?? { groups: [], total: row.total };
      entry.groups.push({
        keyId: row.key_id,
        versionId: row.version_id,
        version: row.version,
        files: row.files,
        requests: row.requests,
        bytes: Number(row.bytes),
        firstAt: row.first_at.toISOString(),
        lastAt: row.last_at.toISOString(),
      });
      each.set(row.entitlement_id, entry);
    }
    return each;
  }

  /**
   * Serializes the admissions of one entitlement's downloads (its seats, downloadLimit and
   * per-GiB allowance), in every replica, until the transaction ends. The transaction's first
   * statement: it goes with the START TRANSACTION. The lock's name is the one replicas of the
   * previous release take for the allowance, so both serialize on it during a rolling deploy.
   */
  async lockLimits(entitlementId: string, tx: Transaction): Promise<void> {
    await queryOpening(tx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`download-allowance:${entitlementId}`]);
  }

  /**
   * What the entitlement's license limits count, in one statement, each part only when asked:
   * finished downloads (audit rows) and running ones (holds not expired) alike. The bytes of one
   * file read the index `download (entitlement_id, object_key)` and the holds of the entitlement. Run after
   * `lockLimits` to admit a download, so that the counts see every hold committed before.
   */
  async usage(entitlementId: string, asked: UsageAsked, self: string | null = null): Promise<Usage> {
    const parameters: unknown[] = [entitlementId];
    const columns: string[] = [];
    // The download being admitted or grown, counted apart by the caller: put in once, if used.
    let selfParameter: string | undefined;
    const selfId = () => (selfParameter ??= `$${parameters.push(self)}::uuid`);
    if (asked.keyId !== undefined) {
      parameters.push(asked.keyId);
      const key = `$${parameters.length}`;
      // The other API keys that downloaded or are downloading, and this one. A revoked key holds
      // no seat: it can download nothing more, and a buyer who rotates a leaked key on a
      // one-seat license must be able to go on with the new one.
      columns.push(
        `(SELECT count(DISTINCT key_id) FROM (
            SELECT key_id FROM download WHERE entitlement_id = $1::uuid AND key_id <> ${key}
            UNION ALL
            SELECT key_id FROM download_hold WHERE entitlement_id = $1::uuid AND key_id <> ${key} AND expires_at > now()
          ) AS seat WHERE NOT EXISTS (SELECT 1 FROM revoked_api_key r WHERE r.key_id = seat.key_id))::int + 1 AS seats_in_use`,
      );
    }
    if (asked.objectKey !== undefined) {
      parameters.push(asked.objectKey);
      const object = `$${parameters.length}`;
      // Downloads of the file from its first byte (resumes and later ranges are not new downloads).
      columns.push(
        `((SELECT count(*) FROM download WHERE entitlement_id = $1::uuid AND object_key = ${object} AND range_start = 0)
          + (SELECT count(*) FROM download_hold WHERE entitlement_id = $1::uuid AND object_key = ${object} AND new_download AND expires_at > now() AND id IS DISTINCT FROM ${selfId()}))::int AS downloads_so_far`,
      );
    }
    // Bytes sent (audit rows) and bytes held by running downloads: of the whole entitlement for
    // the GiB bought, of the one file for its downloadLimit. One way of counting bytes for both.
    const bytesOf = (scope: string, prefix: string) => [
      `(SELECT coalesce(sum(bytes_sent), 0) FROM download WHERE entitlement_id = $1::uuid${scope})::text AS ${prefix}delivered`,
      // A running download other than `self` counts its claim (its length) as it stands now: up
      // to where it stops, the first byte another connection of its file and API key that asked
      // for all the rest of it was served from, running or ended since it was admitted (a
      // download manager's next connection, exactly as `nextStartOfOthers` stops its extensions),
      // and never less than it holds (a window granted before that connection came). Worked out
      // at each count, not stored: a connection that goes away before its answer gives back what
      // it took from the one before, which is no more than its own claim.
      `(SELECT coalesce(sum(CASE WHEN h.id = ${selfId()} THEN 0 WHEN h.claim IS NULL THEN h.bytes ELSE greatest(h.bytes, least(h.claim, (
          SELECT min(stop.range_start) FROM (
            SELECT o.range_start FROM download_hold o
             WHERE o.entitlement_id = h.entitlement_id AND o.object_key = h.object_key AND o.key_id = h.key_id AND o.range_start > h.range_start AND o.expires_at > now()
               AND ${reachesEnd('o.', 'claim', 'h.range_start + h.claim')}
            UNION ALL
            SELECT d.range_start FROM download d
             WHERE d.entitlement_id = h.entitlement_id AND d.object_key = h.object_key AND d.key_id = h.key_id AND d.range_start > h.range_start AND d.finished_at > h.admitted_at
               AND ${reachesEnd('d.', 'bytes_asked', 'h.range_start + h.claim')}
          ) AS stop
        ) - h.range_start)) END), 0)
        FROM download_hold h WHERE h.entitlement_id = $1::uuid${scope} AND h.expires_at > now())::text AS ${prefix}held`,
    ];
    if (asked.bytes) columns.push(...bytesOf('', ''));
    if (asked.fileBytes !== undefined) {
      parameters.push(asked.fileBytes);
      columns.push(...bytesOf(` AND object_key = $${parameters.length}`, 'file_'));
    }
    if (columns.length === 0) return {};
    const [row] = (await this.manager.query(`SELECT ${columns.join(', ')}`, parameters)) as {
      seats_in_use?: number;
      downloads_so_far?: number;
      delivered?: string;
      held?: string;
      file_delivered?: string;
      file_held?: string;
    }[];
    return {
      ...(row.seats_in_use !== undefined ? { seatsInUse: row.seats_in_use } : {}),
      ...(row.downloads_so_far !== undefined ? { downloadsSoFar: row.downloads_so_far } : {}),
      ...(row.delivered !== undefined && row.held !== undefined ? { deliveredBytes: Number(row.delivered), heldBytes: Number(row.held) } : {}),
      ...(row.file_delivered !== undefined && row.file_held !== undefined ? { fileDeliveredBytes: Number(row.file_delivered), fileHeldBytes: Number(row.file_held) } : {}),
    };
  }

  /**
   * Writes a running download's hold, counted until `expiresInSeconds` from now; the same
   * statement deletes some expired holds of any entitlement (those no other transaction has
   * locked). Run after `lockLimits` and `usage`, once the download is admitted.
   */
  async insertHold(hold: DownloadHoldRow, expiresInSeconds: number): Promise<void> {
    await this.transaction.query(
      `WITH expired AS (
         DELETE FROM download_hold WHERE id IN (SELECT id FROM download_hold WHERE expires_at <= now() LIMIT 100 FOR UPDATE SKIP LOCKED)
       )
       INSERT INTO download_hold (id, entitlement_id, key_id, object_key, new_download, bytes, claim, range_start, admitted_at, expires_at)
       VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::bigint, $7::bigint, $8::bigint, $10, now() + make_interval(secs => $9::int))`,
      [
        hold.id,
        hold.entitlementId,
        hold.keyId,
        hold.objectKey,
        hold.newDownload,
        BigInt(hold.bytes).toString(),
        hold.bytes > 0 ? BigInt(hold.length).toString() : null,
        BigInt(hold.rangeStart).toString(),
        expiresInSeconds,
        hold.admittedAt,
      ],
    );
  }

  /** Pushes a running download's hold `expiresInSeconds` from now (a hold already deleted stays deleted). */
  async renewHold(id: string, expiresInSeconds: number, tx: Transaction): Promise<void> {
    await queryOpening(tx, `UPDATE download_hold SET expires_at = now() + make_interval(secs => $2::int) WHERE id = $1::uuid`, [id, expiresInSeconds]);
  }

  /**
   * The first byte of the file after `hold`'s own first byte that another download of the same
   * file and API key was served from, asking for every byte from there to the end of `hold`'s
   * range, of those still running and those that ended after `since` (while this one ran): a
   * download manager's next connection, which fetches the bytes from there. Null when there is
   * none. Downloads that ended before this one began do not count: a new copy of a file is not
   * stopped where yesterday's connections started. `since` is the
   * hold's `admittedAt`, as its row keeps it for `usage`: one instant for both, by the clock of
   * the replica that admitted it, as `finished_at` is by the clock of the replica that recorded
   * the download.
   */
  async nextStartOfOthers(hold: DownloadHoldRow, since: Date): Promise<number | null> {
    const [row] = (await this.transaction.query(
      `SELECT min(start)::text AS start FROM (
         SELECT range_start AS start FROM download_hold
          WHERE entitlement_id = $1::uuid AND object_key = $2 AND key_id = $3 AND id <> $4::uuid AND range_start > $5::bigint AND expires_at > now()
            AND ${reachesEnd('', 'claim', '$7::bigint')}
         UNION ALL
         SELECT range_start FROM download
          WHERE entitlement_id = $1::uuid AND object_key = $2 AND key_id = $3 AND range_start > $5::bigint
            AND finished_at > $6 AND ${reachesEnd('', 'bytes_asked', '$7::bigint')}
       ) AS other`,
      [hold.entitlementId, hold.objectKey, hold.keyId, hold.id, BigInt(hold.rangeStart).toString(), since, BigInt(hold.rangeStart + hold.length).toString()],
    )) as { start: string | null }[];
    return row.start === null ? null : Number(row.start);
  }

  /**
   * Grows a running download's hold by `bytes` and pushes its expiry `expiresInSeconds` from
   * now. Run after `lockLimits` and `usage`, once the extension fits. False when the hold is no
   * longer counted (expired, or deleted as expired by another admission): it is not revived,
   * since other downloads may have been admitted in its place.
   */
  async growHold(id: string, bytes: number, expiresInSeconds: number): Promise<boolean> {
    // An UPDATE through TypeORM answers [rows, affected].
    const [, affected] = (await this.transaction.query(
      `UPDATE download_hold SET bytes = bytes + $2::bigint, expires_at = now() + make_interval(secs => $3::int) WHERE id = $1::uuid AND expires_at > now()`,
      [id, BigInt(bytes).toString(), expiresInSeconds],
    )) as [unknown[], number];
    return affected > 0;
  }

  /** Lets go of a hold whose download never started. */
  async deleteHold(id: string): Promise<void> {
    await this.transaction.query(`DELETE FROM download_hold WHERE id = $1`, [id]);
  }

  /**
   * Seats in use if `keyId` downloads too: the distinct API keys that downloaded under the
   * entitlement or are downloading now (on any replica), counting this one.
   */
  async seatsWith(entitlementId: string, keyId: string): Promise<number> {
    return (await this.usage(entitlementId, { keyId })).seatsInUse!;
  }

  /**
   * The download's audit row; given the id of its hold, the hold is deleted by the same
   * statement, so its bytes, seat and download move from the hold to the row at once.
   */
  async insert(record: DownloadRecord, holdId?: string): Promise<void> {
    await this.transaction.query(
      `WITH released AS (DELETE FROM download_hold WHERE id = $14::uuid)
       INSERT INTO download (id, entitlement_id, organization_id, key_id, object_key, version_id, path, range_start, bytes_asked, bytes_sent, complete, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        record.id,
        record.entitlementId,
        record.organizationId,
        record.keyId,
        record.objectKey,
        record.versionId,
        record.path,
        record.rangeStart,
        BigInt(record.bytesAsked).toString(),
        record.bytesSent,
        record.complete,
        record.startedAt,
        record.finishedAt,
        holdId ?? null,
      ],
    );
  }
}

/**
 * SQL: the download `row` (a hold, whose claim is its length, or an audit row, with the bytes it
 * asked for) asked for every byte from its first up to `end` (exclusive), the end of an earlier
 * download's range, so it stops that download where it starts: a download manager's next
 * connection, which fetches the rest. A range that ends inside the earlier one's (a loader
 * reading one sample of a shard) stops nothing; a row or hold written before lengths were kept
 * (none) stops as every later range did then.
 */
function reachesEnd(row: `${string}.` | '', length: 'claim' | 'bytes_asked', end: string): string {
  return `(${row}${length} IS NULL OR ${row}range_start + ${row}${length} >= ${end})`;
}

/**
 * The row of one running download's hold (`download_hold`): what it counts against its
 * entitlement's limits until its audit row is written.
 */
export interface DownloadHoldRow {
  id: string;
  entitlementId: string;
  /** When it was admitted: downloads of its file and key that ended since ran alongside it, and stop it. */
  admittedAt: Date;
  /** The API key downloading: its seat. */
  keyId: string;
  objectKey: string;
  /** Served from the file's first byte: one download of the file, as downloadLimit counts. */
  newDownload: boolean;
  /** The first byte of the file it is served from. */
  rangeStart: number;
  /**
   * The bytes the download may send so far, counted against a per-GiB allowance and against the
   * file's `downloadLimit` (as many copies of the file); 0 when neither applies. It starts at a
   * window of the bytes asked for and grows as they are sent.
   */
  bytes: number;
  /**
   * The bytes the answer sends in all; `bytes` holds some of them, and grows towards it. Stored as
   * its claim when its bytes are counted: counted against the limits from its admission on, up to
   * where it stops (the first byte another connection of its file and API key was served from,
   * while that one runs or once it ended after this one's admission: `usage`).
   */
  length: number;
}

/**
 * What to count: seats with `keyId` as one of them, downloads of `objectKey` from its first byte,
 * bytes of the whole entitlement (the allowance), bytes of the file `fileBytes` (its downloadLimit).
 */
export interface UsageAsked {
  keyId?: string;
  objectKey?: string;
  bytes?: boolean;
  fileBytes?: string;
}

/** The counts asked for (finished and running downloads alike); the others are left out. */
export interface Usage {
  seatsInUse?: number;
  downloadsSoFar?: number;
  deliveredBytes?: number;
  heldBytes?: number;
  /** Bytes of the one file sent, and held by its running downloads. */
  fileDeliveredBytes?: number;
  fileHeldBytes?: number;
}
