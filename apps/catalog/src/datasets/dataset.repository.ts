import { PAST_OFFERS_SHOWN, VERSION_FILES_SHOWN, VERSIONS_SHOWN, type DatasetStatus, type OfferView, type SampleView, type VersionView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { canonicalTerms } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import type { Position } from '@trove/platform';
import { LIVE_SALES_JSON_SQL, liveSalesOf, type LiveExclusiveSaleOf, type LiveSaleJson } from '../offers/exclusive-availability';
import { Dataset } from './dataset.entity';

interface DatasetRow {
  id: string;
  vendor_organization_id: string;
  title: string;
  status: DatasetStatus;
  metadata: Record<string, unknown>;
  rejection_reason: string | null;
  submitted_at: Date | null;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

type VersionJson = Omit<VersionView, 'createdAt' | 'releasedAt'> & { createdAt: string; releasedAt: string | null };

interface DetailRow extends DatasetRow {
  vendor_suspended: boolean;
  released_versions: number;
  open_versions: number;
  versions: { version: VersionJson; bytes: number }[];
  offers: OfferView[];
  samples: SampleView[];
  live_sales: LiveSaleJson[];
}

/**
 * A listing with what its page may show, before visibility rules pick what the caller sees: the
 * newest versions of each status, the live offers and the newest others, every sample.
 */
export interface DatasetWithParts {
  dataset: Dataset;
  /** An operator suspended the listing's vendor: the listing is not public, whatever its status. */
  vendorSuspended: boolean;
  releasedVersions: number;
  openVersions: number;
  /** The newest VERSIONS_SHOWN released and the newest VERSIONS_SHOWN open versions, oldest first, each with the bytes of its JSON. */
  versions: { version: VersionView; bytes: number }[];
  offers: OfferView[];
  samples: SampleView[];
  /** Its live exclusive sales, each with its buyer: they may keep some of its offers from being sold now. */
  liveExclusiveSales: LiveExclusiveSaleOf[];
}

const COLUMNS = `d.id, d.vendor_organization_id, d.title, d.status, d.metadata, d.rejection_reason, d.submitted_at, d.published_at, d.created_at, d.updated_at`;

/** Whether the vendor of the listing `d` is suspended, as the gateway last reported (see access.ts, isPublic). */
export const VENDOR_SUSPENDED_SQL = `EXISTS (SELECT 1 FROM organization_standing s WHERE s.organization_id = d.vendor_organization_id AND s.status = 'suspended')`;

/** An offer `o` that can be bought now: active and not expired. */
const LIVE_OFFER_SQL = `o.status = 'active' AND (o.expires_at IS NULL OR o.expires_at > now())`;

/** The newest VERSIONS_SHOWN versions of the listing `d` in `status`. */
const newestVersions = (status: string) =>
  `(SELECT * FROM dataset_version WHERE dataset_id = d.id AND status = '${status}' ORDER BY created_at DESC, id DESC LIMIT ${VERSIONS_SHOWN})`;

/**
 * A version `v` as a page shows it: its file count and bytes (stored with the version, so a page
 * of versions of 500,000 files each counts nothing) and first VERSION_FILES_SHOWN files in path order.
 */
const VERSION_JSON = `json_build_object(
            'id', v.id, 'version', v.version, 'changelog', v.changelog, 'status', v.status,
            'createdAt', v.created_at, 'releasedAt', v.released_at,
            'fileCount', v.file_count, 'totalBytes', v.total_bytes,
            'files', (SELECT coalesce(json_agg(json_build_object('path', f.path, 'size', f.size, 'sha256', f.sha256) ORDER BY f.path), '[]'::json)
                      FROM (SELECT path, size, sha256 FROM version_file WHERE version_id = v.id ORDER BY path LIMIT ${VERSION_FILES_SHOWN}) f)
          )`;

/**
 * The status an offer `o` answers (Offer.statusAt): `expired` for an active one past its expiry,
 * decided by the clock that splits live offers from past ones above, so the two always agree.
 */
const OFFER_STATUS_SQL = `CASE WHEN o.status = 'active' AND NOT (${LIVE_OFFER_SQL}) THEN 'expired' ELSE o.status END`;

const OFFER_JSON = `json_build_object(
            'id', o.id, 'datasetId', o.dataset_id, 'license', json_build_object('template', o.template, 'terms', o.terms),
            'termsSha256', o.terms_sha256, 'pricing', o.pricing, 'requiresApproval', o.requires_approval,
            'exclusive', o.exclusive, 'buyerOrgId', o.buyer_org_id, 'expiresAt', o.expires_at, 'status', ${OFFER_STATUS_SQL},
            'createdAt', o.created_at, 'defaultQuantity', o.default_quantity
          )`;

/**
 * A listing, whether its vendor is suspended, how many versions it has, and what its page may
 * show in one round trip, by id (`$1`): the newest versions of each status (with their file count
 * and bytes and first VERSION_FILES_SHOWN files, and the bytes of each one's JSON, so that the answer can
 * be kept to one NATS message however many versions and files there are), every live offer (their
 * number is capped when one is created) and the newest PAST_OFFERS_SHOWN others, and the samples
 * (capped as well). Exported so that the gateway-read benchmark's baseline runs the very same read.
 */
export const DATASET_DETAIL_SQL = `SELECT ${COLUMNS}, ${VENDOR_SUSPENDED_SQL} AS vendor_suspended,
        (SELECT count(*)::int FROM dataset_version v WHERE v.dataset_id = d.id AND v.status = 'released') AS released_versions,
        (SELECT count(*)::int FROM dataset_version v WHERE v.dataset_id = d.id AND v.status = 'open') AS open_versions,
        (SELECT coalesce(json_agg(json_build_object('version', x.j, 'bytes', octet_length(x.j::text)) ORDER BY x.created_at, x.id), '[]'::json)
         FROM (SELECT v.created_at, v.id, ${VERSION_JSON} AS j
          FROM (${newestVersions('released')} UNION ALL ${newestVersions('open')}) v) x) AS versions,
        (SELECT coalesce(json_agg(x.j ORDER BY x.created_at, x.id), '[]'::json)
         FROM (SELECT o.created_at, o.id, ${OFFER_JSON} AS j FROM offer o WHERE o.dataset_id = d.id AND ${LIVE_OFFER_SQL}
               UNION ALL
               (SELECT o.created_at, o.id, ${OFFER_JSON} AS j FROM offer o WHERE o.dataset_id = d.id AND NOT (${LIVE_OFFER_SQL})
                ORDER BY o.created_at DESC, o.id DESC LIMIT ${PAST_OFFERS_SHOWN})) x) AS offers,
        (SELECT coalesce(json_agg(json_build_object(
            'id', s.id, 'path', s.path, 'size', s.size, 'sha256', s.sha256, 'contentType', s.content_type, 'createdAt', s.created_at
          ) ORDER BY s.path), '[]'::json)
         FROM sample s WHERE s.dataset_id = d.id) AS samples,
        ${LIVE_SALES_JSON_SQL} AS live_sales
       FROM dataset d WHERE d.id = $1`;

/** PostgreSQL's JSON times carry an offset and microseconds; the API speaks ISO 8601 UTC. */
const iso = (value: string | null): string | null => (value === null ? null : new Date(value).toISOString());

/** Listings, on the unit of work in progress. */
@Injectable()
export class DatasetRepository extends TransactionalRepository {
  /**
   * The read behind every dataset page: the row and its newest versions with their first files,
   * its offers and samples in one round trip. Plain SQL, since TypeORM's query builder cost more
   * CPU than the query itself on this path.
   */
  async findWithParts(id: string): Promise<DatasetWithParts | null> {
    const rows = (await this.manager.query(DATASET_DETAIL_SQL, [id])) as DetailRow[];
    const row = rows[0];
    if (!row) return null;
    return {
      dataset: toDataset(row),
      vendorSuspended: row.vendor_suspended,
      releasedVersions: row.released_versions,
      openVersions: row.open_versions,
      versions: row.versions.map(({ version: v, bytes }) => ({ version: { ...v, createdAt: iso(v.createdAt)!, releasedAt: iso(v.releasedAt) }, bytes })),
      // Terms in canonical form, as every offer view serves them (Offer.toView): what termsSha256 hashes.
      offers: row.offers.map((o) => ({ ...o, license: { ...o.license, terms: canonicalTerms(o.license.terms) }, expiresAt: iso(o.expiresAt), createdAt: iso(o.createdAt)! })),
      samples: row.samples.map((s) => ({ ...s, createdAt: iso(s.createdAt)! })),
      liveExclusiveSales: liveSalesOf(row.live_sales),
    };
  }

  /** The listing's newest release (by release time) with its first VERSION_FILES_SHOWN files, or null before its first. */
  async latestRelease(id: string): Promise<VersionView | null> {
    const rows = (await this.manager.query(
      `SELECT ${VERSION_JSON} AS version
         FROM dataset_version v WHERE v.dataset_id = $1 AND v.status = 'released'
        ORDER BY v.released_at DESC, v.created_at DESC, v.id DESC LIMIT 1`,
      [id],
    )) as { version: VersionJson }[];
    const v = rows[0]?.version;
    return v ? { ...v, createdAt: iso(v.createdAt)!, releasedAt: iso(v.releasedAt) } : null;
  }

  /** What deciding who may see a listing needs: its vendor, status and the vendor's standing. */
  async findVisibility(id: string): Promise<{ vendorOrganizationId: string; status: DatasetStatus; vendorSuspended: boolean } | null> {
    const rows = (await this.manager.query(`SELECT d.vendor_organization_id, d.status, ${VENDOR_SUSPENDED_SQL} AS vendor_suspended FROM dataset d WHERE d.id = $1`, [id])) as {
      vendor_organization_id: string;
      status: DatasetStatus;
      vendor_suspended: boolean;
    }[];
    const row = rows[0];
    return row ? { vendorOrganizationId: row.vendor_organization_id, status: row.status, vendorSuspended: row.vendor_suspended } : null;
  }

  /** Locks the listing for the rest of the transaction: commands on one dataset run one at a time. */
  async findForUpdate(id: string): Promise<Dataset | null> {
    return this.transaction.findOne(Dataset, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Locks every listing of a vendor, in id order, and answers their ids and statuses. A command
   * on one listing locks its row before it updates the search projection, so while these locks
   * are held no command can index one of these listings from a vendor standing about to change.
   */
  async lockOfVendor(vendorOrganizationId: string): Promise<{ id: string; status: DatasetStatus }[]> {
    return (await this.transaction.query(`SELECT id, status FROM dataset WHERE vendor_organization_id = $1 ORDER BY id FOR UPDATE`, [vendorOrganizationId])) as {
      id: string;
      status: DatasetStatus;
    }[];
  }

  async findById(id: string): Promise<Dataset | null> {
    return this.manager.findOneBy(Dataset, { id });
  }

  /** Saves a new listing and reads it back with the times the database gave it. */
  async insert(dataset: Dataset): Promise<Dataset> {
    await this.transaction.save(Dataset, dataset);
    return this.transaction.findOneByOrFail(Dataset, { id: dataset.id });
  }

  async save(dataset: Dataset): Promise<Dataset> {
    return this.transaction.save(Dataset, dataset);
  }

  /** What a listing has to sell: released versions and live offers. */
  async sellable(id: string): Promise<{ releasedVersions: number; liveOffers: number }> {
    const [row] = (await this.manager.query(
      `SELECT (SELECT count(*)::int FROM dataset_version WHERE dataset_id = $1 AND status = 'released') AS "releasedVersions",
              (SELECT count(*)::int FROM offer WHERE dataset_id = $1 AND status = 'active' AND (expires_at IS NULL OR expires_at > now())) AS "liveOffers"`,
      [id],
    )) as { releasedVersions: number; liveOffers: number }[];
    return row;
  }

  /** Listings in every state, of one vendor or all, newest first, keyset-paged. */
  async list(vendorOrganizationId: string | undefined, status: DatasetStatus | undefined, after: Position | undefined, limit: number): Promise<Dataset[]> {
    const params: unknown[] = [];
    let where = `true`;
    if (vendorOrganizationId) {
      params.push(vendorOrganizationId);
      where += ` AND d.vendor_organization_id = $${params.length}`;
    }
    if (status) {
      params.push(status);
      where += ` AND d.status = $${params.length}`;
    }
    if (after) {
      params.push(after.at, after.id);
      // The cursor holds milliseconds; the column holds microseconds. Compared and ordered at the
      // cursor's precision, a page never repeats or skips a row.
      where += ` AND (date_trunc('milliseconds', d.created_at), d.id) < ($${params.length - 1}, $${params.length})`;
    }
    params.push(limit + 1);
    const rows = (await this.manager.query(
      `SELECT ${COLUMNS} FROM dataset d WHERE ${where} ORDER BY date_trunc('milliseconds', d.created_at) DESC, d.id DESC LIMIT $${params.length}`,
      params,
    )) as DatasetRow[];
    return rows.map(toDataset);
  }
}

function toDataset(row: DatasetRow): Dataset {
  return Object.assign(new Dataset(), {
    id: row.id,
    vendorOrganizationId: row.vendor_organization_id,
    title: row.title,
    status: row.status,
    metadata: row.metadata,
    rejectionReason: row.rejection_reason,
    submittedAt: row.submitted_at,
    publishedAt: row.published_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
