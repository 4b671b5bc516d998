import { VERSION_FILES_SHOWN, type DatasetStatus, type OfferView, type SampleView, type VersionView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import type { Position } from '@trove/platform';
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

interface DetailRow extends DatasetRow {
  vendor_suspended: boolean;
  versions: (Omit<VersionView, 'createdAt' | 'releasedAt'> & { createdAt: string; releasedAt: string | null })[];
  offers: OfferView[];
  samples: SampleView[];
}

/** A listing with everything its page shows, before visibility rules pick what the caller sees. */
export interface DatasetWithParts {
  dataset: Dataset;
  /** An operator suspended the listing's vendor: the listing is not public, whatever its status. */
  vendorSuspended: boolean;
  versions: VersionView[];
  offers: OfferView[];
  samples: SampleView[];
}

const COLUMNS = `d.id, d.vendor_organization_id, d.title, d.status, d.metadata, d.rejection_reason, d.submitted_at, d.published_at, d.created_at, d.updated_at`;

/** Whether the vendor of the listing `d` is suspended, as the gateway last reported (see access.ts, isPublic). */
export const VENDOR_SUSPENDED_SQL = `EXISTS (SELECT 1 FROM organization_standing s WHERE s.organization_id = d.vendor_organization_id AND s.status = 'suspended')`;

/**
 * A listing, whether its vendor is suspended, and its versions (with their file count and first
 * VERSION_FILES_SHOWN files, so that the answer fits in a NATS message however many files a
 * version holds), offers and samples in one round trip, by id (`$1`).
 * Exported so that the gateway-read benchmark's baseline runs the very same read.
 */
export const DATASET_DETAIL_SQL = `SELECT ${COLUMNS}, ${VENDOR_SUSPENDED_SQL} AS vendor_suspended,
        (SELECT coalesce(json_agg(json_build_object(
            'id', v.id, 'version', v.version, 'changelog', v.changelog, 'status', v.status,
            'createdAt', v.created_at, 'releasedAt', v.released_at,
            'fileCount', (SELECT count(*)::int FROM version_file f WHERE f.version_id = v.id),
            'files', (SELECT coalesce(json_agg(json_build_object('path', f.path, 'size', f.size, 'sha256', f.sha256) ORDER BY f.path), '[]'::json)
                      FROM (SELECT path, size, sha256 FROM version_file WHERE version_id = v.id ORDER BY path LIMIT ${VERSION_FILES_SHOWN}) f)
          ) ORDER BY v.created_at, v.id), '[]'::json)
         FROM dataset_version v WHERE v.dataset_id = d.id) AS versions,
        (SELECT coalesce(json_agg(json_build_object(
            'id', o.id, 'datasetId', o.dataset_id, 'license', json_build_object('template', o.template, 'terms', o.terms),
            'termsSha256', o.terms_sha256, 'pricing', o.pricing, 'requiresApproval', o.requires_approval,
            'exclusive', o.exclusive, 'buyerOrgId', o.buyer_org_id, 'expiresAt', o.expires_at, 'status', o.status,
            'createdAt', o.created_at
          ) ORDER BY o.created_at, o.id), '[]'::json)
         FROM offer o WHERE o.dataset_id = d.id) AS offers,
        (SELECT coalesce(json_agg(json_build_object(
            'id', s.id, 'path', s.path, 'size', s.size, 'sha256', s.sha256, 'contentType', s.content_type, 'createdAt', s.created_at
          ) ORDER BY s.path), '[]'::json)
         FROM sample s WHERE s.dataset_id = d.id) AS samples
       FROM dataset d WHERE d.id = $1`;

/** PostgreSQL's JSON times carry an offset and microseconds; the API speaks ISO 8601 UTC. */
const iso = (value: string | null): string | null => (value === null ? null : new Date(value).toISOString());

/** Listings, on the unit of work in progress. */
@Injectable()
export class DatasetRepository extends TransactionalRepository {
  /**
   * The read behind every dataset page: the row and its versions, files, offers and samples in
   * one round trip. Plain SQL, since TypeORM's query builder cost more CPU than the query itself
   * on this path.
   */
  async findWithParts(id: string): Promise<DatasetWithParts | null> {
    const rows = (await this.manager.query(DATASET_DETAIL_SQL, [id])) as DetailRow[];
    const row = rows[0];
    if (!row) return null;
    return {
      dataset: toDataset(row),
      vendorSuspended: row.vendor_suspended,
      versions: row.versions.map((v) => ({ ...v, createdAt: iso(v.createdAt)!, releasedAt: iso(v.releasedAt) })),
      offers: row.offers.map((o) => ({ ...o, expiresAt: iso(o.expiresAt), createdAt: iso(o.createdAt)! })),
      samples: row.samples.map((s) => ({ ...s, createdAt: iso(s.createdAt)! })),
    };
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
