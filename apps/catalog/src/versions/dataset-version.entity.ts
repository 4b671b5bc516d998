import type { VersionStatus, VersionSummaryView, VersionView } from '@trove/contracts';
import { CommonErrorCode, sqlIn, VERSION_STATUSES } from '@trove/contracts';
import { ServiceException } from '@trove/platform';
import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { bigintNumber } from '../columns';
import { Dataset } from '../datasets/dataset.entity';
import type { VersionFile } from './version-file.entity';

/** A version of a dataset: files are added while it is open; releasing freezes the list. */
@Entity({ name: 'dataset_version' })
@Unique('dataset_version_version_key', ['datasetId', 'version'])
@Check('dataset_version_status_check', sqlIn('status', VERSION_STATUSES))
@Check('dataset_version_file_count_check', `file_count >= 0`)
@Check('dataset_version_total_bytes_check', `total_bytes >= 0`)
export class DatasetVersion {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'dataset_id' })
  datasetId: string;

  @ManyToOne(() => Dataset, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'dataset_version_dataset_fk' })
  dataset?: Dataset;

  @Column('text')
  version: string;

  @Column('text', { nullable: true })
  changelog: string | null;

  @Column('text')
  status: VersionStatus;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'released_at', nullable: true })
  releasedAt: Date | null;

  /**
   * How many files the version holds and their bytes: kept by the database's triggers on
   * `version_file` (migration 1764500008000) in the transaction that adds, replaces or removes a
   * file, so the application reads them and never writes them.
   */
  @Column({ type: 'integer', name: 'file_count', default: 0, insert: false, update: false })
  fileCount: number;

  @Column({ type: 'bigint', name: 'total_bytes', default: 0, insert: false, update: false, transformer: bigintNumber })
  totalBytes: number;

  /** A released version's file list is frozen: no file is added, replaced or removed. */
  assertOpen(): void {
    if (this.status !== 'open') {
      throw new ServiceException(CommonErrorCode.INVALID_STATE, `Version ${this.version} is released; its file list is frozen. Add a new version instead.`);
    }
  }

  release(now: Date): void {
    this.assertOpen();
    if (this.fileCount === 0) throw new ServiceException(CommonErrorCode.INVALID_STATE, `Version ${this.version} has no file yet; upload at least one before releasing it.`);
    this.status = 'released';
    this.releasedAt = now;
  }

  /** The version as a list of versions shows it: its file count and bytes, none of its files. */
  toSummary(): VersionSummaryView {
    return {
      id: this.id,
      version: this.version,
      changelog: this.changelog,
      status: this.status,
      createdAt: this.createdAt.toISOString(),
      releasedAt: this.releasedAt?.toISOString() ?? null,
      fileCount: this.fileCount,
      totalBytes: this.totalBytes,
    };
  }

  /** `files` are the first VERSION_FILES_SHOWN of the `fileCount` the version holds, in path order. */
  toView(files: VersionFile[]): VersionView {
    return { ...this.toSummary(), files: files.map((f) => f.toView()) };
  }
}
