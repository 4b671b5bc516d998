import { CatalogEvents, CommonErrorCode, VERSION_FILES_SHOWN, type VersionFilePage, type VersionFileView, type VersionPage, type VersionView } from '@trove/contracts';
import { MAX_FILE_PATH_BYTES } from '@trove/dataset';
import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { decodeCursor, DEFAULT_PAGE_SIZE, ServiceException, toPage, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { notFound, seesEverything } from '../access';
import { assertDisplayText } from '../display-text';
import { StorageQuota } from '../vendors/storage-quota';
import { DatasetIndexer } from '../datasets/dataset-indexer';
import { DatasetsService } from '../datasets/datasets.service';
import { DatasetVersion } from './dataset-version.entity';
import { VersionRepository } from './version.repository';

/** The refusal of a file path that `collidingPath` found taken by `existing`. */
export function pathCollision(path: string, existing: string): ServiceException {
  return new ServiceException(
    CommonErrorCode.CONFLICT,
    `The version already has ${existing}, which cannot be saved beside ${path} on a buyer's disk (names that differ only in case, or a file and a folder of one name). Rename one of them.`,
    [{ field: 'path', problems: [`path collides with ${existing} of the same version`] }],
  );
}

/**
 * A files cursor: the version it pages and the last path of the page, `<versionId>|<path>`, in
 * base64url. Bound to its version, as a versions cursor is a position in its own list: a cursor
 * of another version, or one nobody handed out, is refused instead of paging from somewhere.
 */
export function encodeFileCursor(versionId: string, path: string): string {
  return Buffer.from(`${versionId}|${path}`, 'utf8').toString('base64url');
}

/**
 * The path a files cursor of `versionId` holds: text PostgreSQL can compare (no U+0000), as long
 * as a path may be. Anything but what `encodeFileCursor` wrote for this version is VALIDATION_FAILED.
 */
export function decodeFileCursor(versionId: string, cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const path = text.slice(bar + 1);
  const valid =
    bar >= 0 &&
    text.slice(0, bar) === versionId &&
    // Written by encodeFileCursor: the same text encodes back to the same cursor (no bytes that
    // are not UTF-8, no padding, nothing after the last character).
    Buffer.from(text, 'utf8').toString('base64url') === cursor &&
    path.length > 0 &&
    !path.includes('\u0000') &&
    Buffer.byteLength(path, 'utf8') <= MAX_FILE_PATH_BYTES;
  if (!valid) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'cursor: not a nextCursor of this version', [
      { field: 'cursor', problems: ['cursor must be the nextCursor of the previous page of the same version'] },
    ]);
  }
  return path;
}

/** What a vendor can do again once its listing's review is decided. */
export const HELD_VERSIONS = 'its versions and their files can change again';

@Injectable()
export class VersionsService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly datasets: DatasetsService,
    private readonly versions: VersionRepository,
    private readonly indexer: DatasetIndexer,
    private readonly storage: StorageQuota,
  ) {}

  async create(caller: Caller, datasetId: string, version: string, changelog: string | undefined): Promise<VersionView> {
    assertDisplayText({ changelog }, ['changelog']);
    return this.unitOfWork.run(async () => {
      (await this.datasets.lockOwned(caller, datasetId)).assertNotInReview(HELD_VERSIONS);
      // The dataset row is locked, so no other transaction can add the same version meanwhile.
      if (await this.versions.exists(datasetId, version)) {
        throw new ServiceException(CommonErrorCode.CONFLICT, `The dataset already has a version ${version}.`);
      }
      const created = Object.assign(new DatasetVersion(), { id: randomUUID(), datasetId, version, changelog: changelog ?? null, status: 'open' as const, releasedAt: null });
      return (await this.versions.insert(created)).toView([]);
    });
  }

  /** Freezes the file list; buyers' entitlements may include the version from now on. */
  async release(caller: Caller, datasetId: string, versionId: string): Promise<VersionView> {
    return this.unitOfWork.run(async (tx) => {
      (await this.datasets.lockOwned(caller, datasetId)).assertNotInReview(HELD_VERSIONS);
      // Locked after the dataset, as every file recorded is: its stored count is the final one.
      const version = await this.versionOf(datasetId, versionId);
      version.release(new Date());
      await this.versions.save(version);
      await tx.publish(CatalogEvents.versionReleased, {
        datasetId,
        versionId,
        version: version.version,
        releasedAt: version.releasedAt!.toISOString(),
        fileCount: version.fileCount,
        totalBytes: version.totalBytes,
      });
      await this.indexer.datasetChanged(tx, datasetId, 'version-released');
      return version.toView(await this.versions.files(versionId, VERSION_FILES_SHOWN));
    });
  }

  /**
   * Delivery stored and measured the bytes: the file joins the version, replacing an entry of
   * the same path. A version released meanwhile, or a listing sent to review meanwhile, refuses
   * it (409), and so does a vendor's storage it would overflow (413); delivery drops the bytes.
   */
  async addFile(caller: Caller | undefined, file: { datasetId: string; versionId: string; path: string; size: number; sha256: string; storageKey: string }): Promise<VersionFileView> {
    return this.unitOfWork.run(async () => {
      // Delivery tells the catalog as the vendor that uploaded; that must still be the owner.
      const dataset = caller ? await this.datasets.lockOwned(caller, file.datasetId) : await this.datasets.lockAny(file.datasetId);
      dataset.assertNotInReview(HELD_VERSIONS);
      const version = await this.versionOf(file.datasetId, file.versionId);
      version.assertOpen();
      // The version row is locked: two uploads recorded at once cannot both pass this, and their
      // files are counted one after the other.
      const clash = await this.versions.collidingPath(file.versionId, file.path);
      if (clash) throw pathCollision(file.path, clash);
      await this.storage.assertRoom(dataset.vendorOrganizationId, file.size, await this.versions.sizeAt(file.versionId, file.path));
      await this.versions.putFile({ versionId: file.versionId, path: file.path, size: file.size, sha256: file.sha256, storageKey: file.storageKey });
      return { path: file.path, size: file.size, sha256: file.sha256 };
    });
  }

  /**
   * The owning vendor takes a file out of an open version (a stray upload, a file under the wrong
   * path): the version no longer lists it, its file count, bytes and the vendor's storage drop
   * with it, and delivery deletes the bytes (ObjectUnlisted, committed with the removal). A
   * released version's files are frozen (409), and so is everything while the listing is in
   * review; a path the version does not list is NOT_FOUND.
   */
  async removeFile(caller: Caller, datasetId: string, versionId: string, path: string): Promise<null> {
    return this.unitOfWork.run(async (tx) => {
      (await this.datasets.lockOwned(caller, datasetId)).assertNotInReview(HELD_VERSIONS);
      (await this.versionOf(datasetId, versionId)).assertOpen();
      const storageKey = await this.versions.removeFile(versionId, path);
      if (storageKey === null) throw notFound('file', path);
      await tx.publish(CatalogEvents.objectUnlisted, { target: 'version-file', datasetId, versionId, path, storageKey });
      return null;
    });
  }

  /**
   * A listing's versions newest first, each with its file count and none of its files, a page at
   * a time, to whoever the listing's page shows them: released versions of a public listing to
   * anyone, every version to its vendor and admins; anything else is NOT_FOUND, as the listing
   * would be. A page of long changelogs (10,000 characters each) may hold fewer than `limit`
   * versions, so that it fits in one answer; `nextCursor` goes on from there.
   */
  async list(caller: Caller | undefined, datasetId: string, cursor: string | undefined, limit = DEFAULT_PAGE_SIZE): Promise<VersionPage> {
    const scope = `versions|${datasetId}`;
    const after = decodeCursor(cursor, scope);
    const dataset = await this.datasets.visible(caller, datasetId);
    const rows = await this.versions.page(datasetId, seesEverything(caller, dataset.vendorOrganizationId), after, limit + 1);
    return toPage(rows, limit, (version) => ({ at: version.createdAt, id: version.id }), (version) => version.toSummary(), scope);
  }

  /**
   * A version's files in path order, a page at a time, to whoever the listing's page shows the
   * version: released versions of a public listing to anyone, every version to its vendor and
   * admins; anything else is NOT_FOUND, as the listing would be.
   */
  async files(caller: Caller | undefined, datasetId: string, versionId: string, cursor: string | undefined, limit = DEFAULT_PAGE_SIZE): Promise<VersionFilePage> {
    const dataset = await this.datasets.visible(caller, datasetId);
    const version = await this.versions.find(datasetId, versionId);
    if (!version || (version.status !== 'released' && !seesEverything(caller, dataset.vendorOrganizationId))) throw notFound('version', versionId);
    const rows = await this.versions.files(versionId, limit + 1, cursor === undefined ? undefined : decodeFileCursor(version.id, cursor));
    const items = rows.slice(0, limit).map((f) => f.toView());
    return { items, nextCursor: rows.length > limit ? encodeFileCursor(version.id, items[items.length - 1].path) : null };
  }

  /** The version of this dataset, locked, or NOT_FOUND. */
  async versionOf(datasetId: string, versionId: string): Promise<DatasetVersion> {
    const version = await this.versions.findForUpdate(datasetId, versionId);
    if (!version) throw notFound('version', versionId);
    return version;
  }
}
