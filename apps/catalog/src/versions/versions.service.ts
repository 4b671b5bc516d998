import { CatalogEvents, CommonErrorCode, type VersionFileView, type VersionView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { UnitOfWork, type Transaction } from '@trove/messaging';
import { ServiceException, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { notFound } from '../access';
import { DatasetIndexer } from '../datasets/dataset-indexer';
import { DatasetsService } from '../datasets/datasets.service';
import { DatasetVersion } from './dataset-version.entity';
import { VersionFile } from './version-file.entity';

@Injectable()
export class VersionsService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly datasets: DatasetsService,
    private readonly indexer: DatasetIndexer,
  ) {}

  async create(caller: Caller, datasetId: string, version: string, changelog: string | undefined): Promise<VersionView> {
    return this.unitOfWork.run(async (tx) => {
      await this.datasets.lockOwned(tx, caller, datasetId);
      // The dataset row is locked, so no other transaction can add the same version meanwhile.
      if (await tx.manager.existsBy(DatasetVersion, { datasetId, version })) {
        throw new ServiceException(CommonErrorCode.CONFLICT, `The dataset already has a version ${version}.`);
      }
      const created = Object.assign(new DatasetVersion(), { id: randomUUID(), datasetId, version, changelog: changelog ?? null, status: 'open' as const, releasedAt: null });
      await tx.manager.save(DatasetVersion, created);
      return (await tx.manager.findOneByOrFail(DatasetVersion, { id: created.id })).toView([]);
    });
  }

  /** Freezes the file list; buyers' entitlements may include the version from now on. */
  async release(caller: Caller, datasetId: string, versionId: string): Promise<VersionView> {
    return this.unitOfWork.run(async (tx) => {
      await this.datasets.lockOwned(tx, caller, datasetId);
      const version = await this.versionOf(tx, datasetId, versionId);
      const files = await tx.manager.find(VersionFile, { where: { versionId }, order: { path: 'ASC' } });
      version.release(files.length, new Date());
      await tx.manager.save(DatasetVersion, version);
      await tx.publish(CatalogEvents.versionReleased, { datasetId, versionId, version: version.version, releasedAt: version.releasedAt!.toISOString() });
      await this.indexer.datasetChanged(tx, datasetId, 'version-released');
      return version.toView(files);
    });
  }

  /**
   * Delivery stored and measured the bytes: the file joins the version, replacing an entry of
   * the same path. A version released meanwhile refuses it (409), and delivery drops the bytes.
   */
  async addFile(file: { datasetId: string; versionId: string; path: string; size: number; sha256: string; storageKey: string }): Promise<VersionFileView> {
    return this.unitOfWork.run(async (tx) => {
      await this.datasets.lockAny(tx, file.datasetId);
      const version = await this.versionOf(tx, file.datasetId, file.versionId);
      version.assertOpen();
      await tx.manager.upsert(
        VersionFile,
        { versionId: file.versionId, path: file.path, size: file.size, sha256: file.sha256, storageKey: file.storageKey },
        { conflictPaths: ['versionId', 'path'] },
      );
      return { path: file.path, size: file.size, sha256: file.sha256 };
    });
  }

  /** The version of this dataset, locked, or NOT_FOUND. */
  async versionOf(tx: Transaction, datasetId: string, versionId: string): Promise<DatasetVersion> {
    const version = await tx.manager.findOne(DatasetVersion, { where: { id: versionId, datasetId }, lock: { mode: 'pessimistic_write' } });
    if (!version) throw notFound('version', versionId);
    return version;
  }
}
