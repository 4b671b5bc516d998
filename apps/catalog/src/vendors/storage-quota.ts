import { CatalogErrorCode } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { CatalogConfig } from '../catalog.config';

/** What a vendor's files take and may take, in bytes; `limit` null when it has none. */
export interface StorageUse {
  used: number;
  limit: number | null;
}

const GIB = 1024 * 1024 * 1024;

/**
 * How many bytes a vendor's listings may hold: the files of every version and every sample,
 * counted as the catalog lists them. A vendor an operator has not approved yet (no `active`
 * standing from the gateway's events: vendors sign up `pending`) may hold
 * PENDING_VENDOR_STORAGE_BYTES, enough to prepare a listing; an approved one
 * VENDOR_STORAGE_BYTES (0: no limit). Checked when an upload URL is asked for (the URL is capped
 * to what is left) and again when delivery records the file, under a lock of the vendor's
 * storage: URLs asked for at once, each within what was left, cannot together go past it.
 */
@Injectable()
export class StorageQuota extends TransactionalRepository {
  constructor(private readonly config: CatalogConfig) {
    super();
  }

  async use(vendorOrganizationId: string): Promise<StorageUse> {
    const [row] = (await this.manager.query(
      `SELECT (SELECT status FROM organization_standing WHERE organization_id = $1) AS status,
              COALESCE((SELECT sum(v.total_bytes) FROM dataset_version v JOIN dataset d ON d.id = v.dataset_id WHERE d.vendor_organization_id = $1), 0)
            + COALESCE((SELECT sum(s.size) FROM sample s JOIN dataset d ON d.id = s.dataset_id WHERE d.vendor_organization_id = $1), 0) AS used`,
      [vendorOrganizationId],
    )) as { status: string | null; used: string }[];
    const limit = row.status === 'active' ? this.config.VENDOR_STORAGE_BYTES : this.config.PENDING_VENDOR_STORAGE_BYTES;
    return { used: Number(row.used), limit: limit === 0 ? null : limit };
  }

  /**
   * The most one more file may hold, or null when there is no limit: for signing an upload URL
   * of a file that would replace `replacing` bytes at its path. 413 when nothing is left, or when
   * the size the vendor declared does not fit.
   */
  async room(vendorOrganizationId: string, declaredSize: number | undefined, replacing: number): Promise<number | null> {
    const use = await this.use(vendorOrganizationId);
    if (use.limit === null) return null;
    const left = use.limit - use.used + replacing;
    if (left <= 0 || (declaredSize !== undefined && declaredSize > left)) throw full(use.used, use.limit, declaredSize ?? 0);
    return left;
  }

  /**
   * In the transaction recording a file: takes the vendor's storage lock (held to the commit),
   * then refuses the file (413) when, replacing `replacing` bytes of the same path, it would take
   * the vendor past its limit.
   */
  async assertRoom(vendorOrganizationId: string, adding: number, replacing: number): Promise<void> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended('vendor-storage:' || $1, 0))`, [vendorOrganizationId]);
    const use = await this.use(vendorOrganizationId);
    if (use.limit !== null && use.used - replacing + adding > use.limit) throw full(use.used, use.limit, adding);
  }
}

function full(used: number, limit: number, adding: number): ServiceException {
  const gib = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;
  const what = adding > 0 ? `This file (${adding} bytes) does not fit: ` : 'Nothing more fits: ';
  return new ServiceException(
    CatalogErrorCode.STORAGE_QUOTA_EXCEEDED,
    `${what}the vendor's listings hold ${used} bytes (${gib(used)}) of the ${limit} (${gib(limit)}) it may store. An operator's approval of the vendor raises the limit; replacing or leaving out files makes room.`,
  );
}
