import { CatalogErrorCode } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { CatalogConfig } from '../catalog.config';

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

  /** The bytes the vendor may store, or null for no limit: by its standing as the gateway reported it. */
  async limit(vendorOrganizationId: string): Promise<number | null> {
    const [row] = (await this.manager.query(`SELECT status FROM organization_standing WHERE organization_id = $1`, [vendorOrganizationId])) as { status: string }[];
    const limit = row?.status === 'active' ? this.config.VENDOR_STORAGE_BYTES : this.config.PENDING_VENDOR_STORAGE_BYTES;
    return limit === 0 ? null : limit;
  }

  /** The bytes the vendor's listings hold: the files of every version and every sample. */
  async used(vendorOrganizationId: string): Promise<number> {
    const [row] = (await this.manager.query(
      `SELECT COALESCE((SELECT sum(v.total_bytes) FROM dataset_version v JOIN dataset d ON d.id = v.dataset_id WHERE d.vendor_organization_id = $1), 0)
            + COALESCE((SELECT sum(s.size) FROM sample s JOIN dataset d ON d.id = s.dataset_id WHERE d.vendor_organization_id = $1), 0) AS used`,
      [vendorOrganizationId],
    )) as { used: string }[];
    return Number(row.used);
  }

  /**
   * The most one more file may hold, or null when there is no limit: for signing an upload URL
   * of a file that would replace `replacing()` bytes at its path (read only when there is a limit) (a vendor over its limit, after an
   * operator lowered it, may still replace a file with one no larger). 413 when nothing is left,
   * or when the size the vendor declared does not fit.
   */
  async room(vendorOrganizationId: string, declaredSize: number | undefined, replacing: () => Promise<number>): Promise<number | null> {
    const limit = await this.limit(vendorOrganizationId);
    if (limit === null) return null;
    const used = await this.used(vendorOrganizationId);
    const room = Math.max(limit - used, 0) + (await replacing());
    if ((room <= 0 && declaredSize !== 0) || (declaredSize !== undefined && declaredSize > room)) throw full(used, limit, declaredSize ?? 0);
    return room;
  }

  /**
   * In the transaction recording a file: refuses it (413) when, replacing `replacing` bytes of
   * the same path, it would take the vendor past its limit (growing what it holds). The count is
   * taken under a lock of the vendor's storage, held to the commit, so files recorded at once in
   * different listings are counted one after the other. A vendor with no limit takes no lock.
   */
  async assertRoom(vendorOrganizationId: string, adding: number, replacing: number): Promise<void> {
    const limit = await this.limit(vendorOrganizationId);
    if (limit === null || adding <= replacing) return;
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended('vendor-storage:' || $1, 0))`, [vendorOrganizationId]);
    const used = await this.used(vendorOrganizationId);
    if (used - replacing + adding > limit) throw full(used, limit, adding);
  }
}

function full(used: number, limit: number, adding: number): ServiceException {
  const gib = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;
  const what = adding > 0 ? `This file (${adding} bytes) does not fit: ` : 'Nothing more fits: ';
  return new ServiceException(
    CatalogErrorCode.STORAGE_QUOTA_EXCEEDED,
    `${what}the vendor's listings hold ${used} bytes (${gib(used)}) of the ${limit} (${gib(limit)}) it may store. An operator's approval of the vendor raises the limit; a file uploaded again to the same path counts once.`,
  );
}
