import type { EntitlementStatus } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { LicenseTermsValue } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import type { Position } from '@trove/platform';

/** An entitlement as delivery keeps it: one paid order line, with the terms it was sold under. */
export interface Entitlement {
  id: string;
  orderId: string;
  lineId: string;
  buyerOrganizationId: string;
  datasetId: string;
  offerId: string;
  licenseTemplate: string;
  terms: LicenseTermsValue;
  termsSha256: string;
  /**
   * The line's pricing as ordering sold it; a metered line bought in part (`quantity` `of` the
   * listing's whole volume, not per GiB) also holds `allowanceBytes`, its share of the covered
   * versions' bytes, fixed at the grant.
   */
  pricing: { model: string; period?: string; unit?: string; quantity?: number; of?: number; allowanceBytes?: number };
  coversFutureVersions: boolean;
  status: EntitlementStatus;
  grantedAt: Date;
  expiresAt: Date | null;
  endedAt: Date | null;
  versionIds: string[];
}

/** A file of a version, as stored when the vendor uploaded it. */
export interface VersionFile {
  versionId: string;
  key: string;
  path: string;
  size: number;
  sha256: string;
}

export interface ReleasedVersion {
  versionId: string;
  datasetId: string;
  version: string;
  releasedAt: Date;
  /** The files and bytes the catalog released, when its event says (see VersionReleased). */
  fileCount?: number;
  totalBytes?: number;
}

interface EntitlementRow {
  id: string;
  order_id: string;
  line_id: string;
  buyer_organization_id: string;
  dataset_id: string;
  offer_id: string;
  license_template: string;
  terms: LicenseTermsValue;
  terms_sha256: string;
  pricing: Entitlement['pricing'];
  covers_future_versions: boolean;
  status: EntitlementStatus;
  granted_at: Date;
  expires_at: Date | null;
  ended_at: Date | null;
  version_ids: string[] | null;
}

const SELECT = `
  SELECT e.*, (SELECT array_agg(ev.version_id::text ORDER BY ev.added_at, ev.version_id) FROM entitlement_version ev WHERE ev.entitlement_id = e.id) AS version_ids
    FROM entitlement e`;

/**
 * Each status as a buyer sees it at an instant (`at()` binds it as a parameter), by the rule of
 * `currentStatus`: an active row whose license term has ended is expired.
 */
const STATUS_AT: Record<EntitlementStatus, (at: () => string) => string> = {
  active: (at) => `e.status = 'active' AND (e.expires_at IS NULL OR e.expires_at > ${at()}::timestamptz)`,
  expired: (at) => `(e.status = 'expired' OR (e.status = 'active' AND e.expires_at <= ${at()}::timestamptz))`,
  revoked: () => `e.status = 'revoked'`,
};

function toEntitlement(row: EntitlementRow): Entitlement {
  return {
    id: row.id,
    orderId: row.order_id,
    lineId: row.line_id,
    buyerOrganizationId: row.buyer_organization_id,
    datasetId: row.dataset_id,
    offerId: row.offer_id,
    licenseTemplate: row.license_template,
    terms: row.terms,
    termsSha256: row.terms_sha256,
    pricing: row.pricing,
    coversFutureVersions: row.covers_future_versions,
    status: row.status,
    grantedAt: row.granted_at,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
    versionIds: row.version_ids ?? [],
  };
}

function safeNumber(value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} is beyond the safe integer range`);
  return n;
}

@Injectable()
export class EntitlementRepository extends TransactionalRepository {
  /**
   * The bytes of the dataset as the `versionIds` hold it, listed oldest first (as the catalog
   * released them, and an order line keeps them), each once: a file counts when its version is the newest of
   * them holding its path and the newest holding its contents (its SHA-256), so a file changed
   * (same path) or moved (same contents) in a later version counts there only. Versions that each
   * hold the whole corpus, changed, re-encoded or laid out anew, count it once; versions that add
   * files count what each adds; two files of one version with the same contents count twice, as
   * both are downloaded. A file both moved and changed in one release cannot be told from a new
   * one, and counts again. One statement, sorting rather than comparing every pair of files; the
   * order is the list's, whatever delivery has heard of the releases yet. 0 when none has a file.
   */
  async corpusBytesOf(datasetId: string, versionIds: string[]): Promise<bigint> {
    const rows = (await this.manager.query(
      `WITH covered AS (
         SELECT version_id, position FROM unnest($2::uuid[]) WITH ORDINALITY AS c(version_id, position)
       ), files AS (
         SELECT o.path, o.sha256, o.size, c.position FROM stored_object o JOIN covered c ON c.version_id = o.version_id
          WHERE o.target = 'version-file' AND o.dataset_id = $1 AND o.recorded_at IS NOT NULL
       ), newest AS (
         SELECT size, position, max(position) OVER (PARTITION BY path) AS path_newest, max(position) OVER (PARTITION BY sha256) AS contents_newest FROM files
       )
       SELECT coalesce(sum(size), 0)::text AS bytes FROM newest WHERE position = path_newest AND position = contents_newest`,
      [datasetId, versionIds],
    )) as { bytes: string }[];
    return BigInt(rows[0].bytes);
  }

  /**
   * The entitlement and the versions it covers in one statement (one round trip): the
   * entitlement as a data-modifying CTE, its versions inserted from what that CTE returned, so
   * an entitlement already granted for the order line (a redelivered event) adds nothing. The
   * versions' key to the entitlement is checked at the statement's end, when the entitlement is
   * there. With `releasedSince` (a subscription's payment), the dataset's versions released since
   * its order's snapshot are covered too: those released at or after the newest of `versionIds`,
   * the snapshot the order took when it was placed. A release while the order waited for its
   * payment (days, for a bank transfer) whose event came before the payment's was lost for good
   * when only those released since the payment were covered. When delivery knows none of the
   * snapshot's releases yet, those since `releasedSince`; the later releases' own events add the
   * rest (`subscribersForUpdate`).
   * False when the order line had its entitlement already.
   */

  async insert(entitlement: Omit<Entitlement, 'status' | 'endedAt'>, releasedSince: Date | null = null): Promise<boolean> {
    const inserted = (await this.transaction.query(
      `WITH new_entitlement AS (
         INSERT INTO entitlement (id, order_id, line_id, buyer_organization_id, dataset_id, offer_id, license_template, terms, terms_sha256, pricing,
                                  covers_future_versions, granted_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (order_id, line_id) DO NOTHING
         RETURNING id
       ), covered AS (
         SELECT version_id FROM unnest($14::uuid[]) AS version_id
          UNION
         SELECT version_id FROM released_version
          WHERE $15::timestamptz IS NOT NULL AND dataset_id = $5
            AND released_at >= coalesce((SELECT max(r.released_at) FROM released_version r WHERE r.version_id = ANY($14::uuid[])), $15::timestamptz)
       ), new_versions AS (
         INSERT INTO entitlement_version (entitlement_id, version_id)
         SELECT e.id, c.version_id FROM new_entitlement e CROSS JOIN covered c
         ON CONFLICT DO NOTHING
       )
       SELECT id FROM new_entitlement`,
      [
        entitlement.id,
        entitlement.orderId,
        entitlement.lineId,
        entitlement.buyerOrganizationId,
        entitlement.datasetId,
        entitlement.offerId,
        entitlement.licenseTemplate,
        JSON.stringify(entitlement.terms),
        entitlement.termsSha256,
        JSON.stringify(entitlement.pricing),
        entitlement.coversFutureVersions,
        entitlement.grantedAt,
        entitlement.expiresAt,
        entitlement.versionIds,
        releasedSince,
      ],
    )) as unknown[];
    return inserted.length > 0;
  }

  /** True when the version was not covered yet. */
  async addVersion(entitlementId: string, versionId: string): Promise<boolean> {
    const rows = (await this.transaction.query(
      `INSERT INTO entitlement_version (entitlement_id, version_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING version_id`,
      [entitlementId, versionId],
    )) as unknown[];
    return rows.length > 0;
  }

  async findById(id: string): Promise<Entitlement | null> {
    const rows = (await this.manager.query(`${SELECT} WHERE e.id = $1`, [id])) as EntitlementRow[];
    return rows.length ? toEntitlement(rows[0]) : null;
  }

  /**
   * Up to `limit` of the buyer's entitlements, newest grant first (ties by id), after the keyset
   * position `after`: one range of the index on (buyer, granted_at, id), so a page costs the same
   * however deep it is and an entitlement granted meanwhile moves no other across pages. `status`
   * is the one a buyer sees at `at` (`currentStatus`): a license whose term has ended is
   * `expired` though its row still says `active`.
   */
  async pageForBuyer(organizationId: string, filter: { status?: EntitlementStatus; at: Date }, limit: number, after: Position | undefined): Promise<Entitlement[]> {
    const params: unknown[] = [];
    const bind = (value: unknown) => `$${params.push(value)}`;
    const where = [`e.buyer_organization_id = ${bind(organizationId)}`];
    if (filter.status) where.push(STATUS_AT[filter.status](() => bind(filter.at)));
    if (after) where.push(`(e.granted_at, e.id) < (${bind(after.at)}::timestamptz, ${bind(after.id)}::uuid)`);
    const rows = (await this.manager.query(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY e.granted_at DESC, e.id DESC LIMIT ${bind(limit)}`, params)) as EntitlementRow[];
    return rows.map(toEntitlement);
  }

  /**
   * Every buyer's entitlements to the dataset, in every status, newest grant first (keyset over
   * (granted_at, id), `entitlement_dataset_idx`); with `versionId`, those covering that version.
   */
  async pageForDataset(datasetId: string, versionId: string | undefined, limit: number, after: Position | undefined): Promise<Entitlement[]> {
    const params: unknown[] = [];
    const bind = (value: unknown) => `$${params.push(value)}`;
    const where = [`e.dataset_id = ${bind(datasetId)}`];
    if (versionId) where.push(`EXISTS (SELECT 1 FROM entitlement_version ev WHERE ev.entitlement_id = e.id AND ev.version_id = ${bind(versionId)})`);
    if (after) where.push(`(e.granted_at, e.id) < (${bind(after.at)}::timestamptz, ${bind(after.id)}::uuid)`);
    const rows = (await this.manager.query(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY e.granted_at DESC, e.id DESC LIMIT ${bind(limit)}`, params)) as EntitlementRow[];
    return rows.map(toEntitlement);
  }

  /**
   * The buyer's entitlements to the dataset that cover the version, in every status, newest grant
   * first: a buyer may hold several (a license bought again after a refund or its term's end).
   */
  async coveringVersion(organizationId: string, datasetId: string, versionId: string): Promise<Entitlement[]> {
    const rows = (await this.manager.query(
      `${SELECT} WHERE e.buyer_organization_id = $1 AND e.dataset_id = $2
          AND EXISTS (SELECT 1 FROM entitlement_version ev WHERE ev.entitlement_id = e.id AND ev.version_id = $3)
        ORDER BY e.granted_at DESC, e.id DESC`,
      [organizationId, datasetId, versionId],
    )) as EntitlementRow[];
    return rows.map(toEntitlement);
  }

  async activeOfOrderForUpdate(orderId: string): Promise<Entitlement[]> {
    const rows = (await this.transaction.query(`${SELECT} WHERE e.order_id = $1 AND e.status = 'active' ORDER BY e.line_id FOR UPDATE OF e`, [orderId])) as EntitlementRow[];
    return rows.map(toEntitlement);
  }

  /** The order's entitlements that are not revoked (active, or ended by a lapse), locked. */
  async unrevokedOfOrderForUpdate(orderId: string): Promise<Entitlement[]> {
    const rows = (await this.transaction.query(`${SELECT} WHERE e.order_id = $1 AND e.status <> 'revoked' ORDER BY e.line_id FOR UPDATE OF e`, [orderId])) as EntitlementRow[];
    return rows.map(toEntitlement);
  }

  /** Active subscriptions to the dataset whose license has not ended at `at`. */
  async subscribersForUpdate(datasetId: string, at: Date): Promise<Entitlement[]> {
    const rows = (await this.transaction.query(
      `${SELECT} WHERE e.dataset_id = $1 AND e.covers_future_versions AND e.status = 'active' AND (e.expires_at IS NULL OR e.expires_at > $2) ORDER BY e.id FOR UPDATE OF e`,
      [datasetId, at],
    )) as EntitlementRow[];
    return rows.map(toEntitlement);
  }

  async end(id: string, status: 'revoked' | 'expired', at: Date): Promise<void> {
    await this.transaction.query(`UPDATE entitlement SET status = $2, ended_at = $3 WHERE id = $1`, [id, status, at]);
  }

  async recordRelease(release: ReleasedVersion): Promise<void> {
    await this.transaction.query(
      `INSERT INTO released_version (version_id, dataset_id, version, released_at, file_count, total_bytes) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (version_id) DO NOTHING`,
      [release.versionId, release.datasetId, release.version, release.releasedAt, release.fileCount ?? null, release.totalBytes ?? null],
    );
  }

  async versionLabels(versionIds: string[]): Promise<Map<string, string>> {
    if (versionIds.length === 0) return new Map();
    const rows = (await this.manager.query(`SELECT version_id, version FROM released_version WHERE version_id = ANY($1::uuid[])`, [versionIds])) as { version_id: string; version: string }[];
    return new Map(rows.map((r) => [r.version_id, r.version]));
  }

  /** The version's recorded file at `path`, or null. */
  async fileAt(datasetId: string, versionId: string, path: string): Promise<VersionFile | null> {
    const rows = (await this.manager.query(
      `SELECT version_id, key, path, size, sha256 FROM stored_object
        WHERE target = 'version-file' AND dataset_id = $1 AND version_id = $2 AND path = $3 AND recorded_at IS NOT NULL`,
      [datasetId, versionId, path],
    )) as { version_id: string; key: string; path: string; size: string; sha256: string }[];
    return rows.length ? { versionId: rows[0].version_id, key: rows[0].key, path: rows[0].path, size: safeNumber(rows[0].size), sha256: rows[0].sha256 } : null;
  }

  /**
   * Up to `limit` recorded files of one version whose paths come after `afterPath` (from the
   * first when null), in manifest order: by path comparing the UTF-8 bytes, which is what the C
   * collation compares. One range of `stored_object_manifest_idx`, read from the position on:
   * the condition on the path is left out when there is none, so the planner never has to plan
   * for both.
   */
  async filesAfter(datasetId: string, versionId: string, afterPath: string | null, limit: number): Promise<VersionFile[]> {
    const rows = (await this.manager.query(
      `SELECT version_id, key, path, size, sha256 FROM stored_object
        WHERE target = 'version-file' AND dataset_id = $1 AND version_id = $2 AND recorded_at IS NOT NULL
          ${afterPath === null ? '' : 'AND path COLLATE "C" > $4::text COLLATE "C"'}
        ORDER BY path COLLATE "C"
        LIMIT $3`,
      afterPath === null ? [datasetId, versionId, limit] : [datasetId, versionId, limit, afterPath],
    )) as { version_id: string; key: string; path: string; size: string; sha256: string }[];
    return rows.map((r) => ({ versionId: r.version_id, key: r.key, path: r.path, size: safeNumber(r.size), sha256: r.sha256 }));
  }

  /**
   * The differences between two versions in one window of paths after `afterPath` (from the
   * first when null), in path order (the UTF-8 bytes, as the manifest orders them), at most
   * `limit` of them. The window is the next `windowRows` files of each version, each one range
   * of `stored_object_manifest_idx` read from the position on (a row more, to know whether the
   * version goes on); it ends at the nearer of the two last paths, a version with no more rows
   * being read to its end, and `last` says where, or null when both versions are read to their
   * end. The two windows are FULL JOINed by path: a path on one side only is added or removed, on
   * both with another size or SHA-256 changed. Only the window's rows are sorted (a FULL JOIN
   * keeps no order), never a whole version.
   */
  async diffWindow(
    datasetId: string,
    versions: { from: string; to: string },
    afterPath: string | null,
    windowRows: number,
    limit: number,
  ): Promise<{ last: string | null; differences: FileDifference[] }> {
    const files = (version: string) =>
      `SELECT path COLLATE "C" AS path, size, sha256, row_number() OVER (ORDER BY path COLLATE "C") AS n FROM (
         SELECT path, size, sha256 FROM stored_object
          WHERE target = 'version-file' AND dataset_id = $1 AND version_id = ${version} AND recorded_at IS NOT NULL
            ${afterPath === null ? '' : 'AND path COLLATE "C" > $6::text COLLATE "C"'}
          ORDER BY path COLLATE "C"
          LIMIT $4::int + 1
       ) AS window_files`;
    const rows = (await this.manager.query(
      `WITH a AS (${files('$2')}),
            b AS (${files('$3')}),
            bound AS (
              SELECT CASE WHEN a_more AND b_more THEN least(a_last, b_last)
                          WHEN a_more THEN a_last
                          WHEN b_more THEN b_last END AS last
                FROM (SELECT count(*) > $4 AS a_more, max(path) FILTER (WHERE n <= $4) AS a_last FROM a) AS x,
                     (SELECT count(*) > $4 AS b_more, max(path) FILTER (WHERE n <= $4) AS b_last FROM b) AS y
            )
       SELECT bound.last, d.path, d.from_size, d.from_sha256, d.to_size, d.to_sha256
         FROM bound
         LEFT JOIN LATERAL (
           SELECT coalesce(a.path, b.path) AS path, a.size AS from_size, a.sha256 AS from_sha256, b.size AS to_size, b.sha256 AS to_sha256
             FROM a FULL JOIN b ON a.path = b.path
            WHERE (a.path IS NULL OR b.path IS NULL OR a.size <> b.size OR a.sha256 <> b.sha256)
              AND (bound.last IS NULL OR coalesce(a.path, b.path) <= bound.last)
            ORDER BY coalesce(a.path, b.path)
            LIMIT $5
         ) AS d ON true`,
      [datasetId, versions.from, versions.to, windowRows, limit, ...(afterPath === null ? [] : [afterPath])],
    )) as { last: string | null; path: string | null; from_size: string | null; from_sha256: string | null; to_size: string | null; to_sha256: string | null }[];
    const side = (path: string, size: string | null, sha256: string | null) => (size === null || sha256 === null ? null : { path, size: safeNumber(size), sha256 });
    return {
      last: rows[0].last,
      differences: rows
        .filter((r): r is typeof r & { path: string } => r.path !== null)
        .map((r) => ({ path: r.path, from: side(r.path, r.from_size, r.from_sha256), to: side(r.path, r.to_size, r.to_sha256) })),
    };
  }
}

/** One path that differs between two versions: absent from one side (null), or another size or SHA-256. */
export interface FileDifference {
  path: string;
  from: { path: string; size: number; sha256: string } | null;
  to: { path: string; size: number; sha256: string } | null;
}
