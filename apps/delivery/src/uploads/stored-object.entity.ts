import { sqlIn, UPLOAD_TARGETS, type UploadTarget } from '@trove/contracts';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ValueTransformer } from 'typeorm';

/** Byte sizes are bigint columns, read back as numbers while they are safe integers. */
const bigintNumber: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} is beyond the safe integer range`);
    return n;
  },
};

/**
 * An object delivery holds in storage: what it is in the catalog (dataset, version, path) and
 * what was measured while it streamed in. Downloads are served from these rows.
 */
@Entity({ name: 'stored_object' })
@Index('stored_object_file_idx', ['target', 'datasetId', 'versionId', 'path'])
// A version's recorded files in byte order of path (path COLLATE "C", which TypeORM cannot
// declare), and the uploads still waiting for catalog: migration 1764910000000 makes both; the
// uploads catalog never confirmed, oldest first, for their sweep: migration 1764960000000.
@Index('stored_object_manifest_idx', { synchronize: false })
@Index('stored_object_unrecorded_idx', { synchronize: false })
@Index('stored_object_unconfirmed_idx', { synchronize: false })
@Check('stored_object_size_check', `size >= 0`)
@Check('stored_object_sha256_check', `sha256 ~ '^[0-9a-f]{64}$'`)
@Check('stored_object_target_check', sqlIn('target', UPLOAD_TARGETS))
@Check('stored_object_version_check', `(target = 'version-file') = (version_id IS NOT NULL)`)
export class StoredObject {
  /** The storage key, made by delivery; never the vendor's path. */
  @PrimaryColumn('text')
  key: string;

  @Column('text')
  target: UploadTarget;

  @Column('uuid', { name: 'dataset_id' })
  datasetId: string;

  @Column('uuid', { name: 'version_id', nullable: true })
  versionId: string | null;

  /** Where the file appears in the dataset (`audio/zh-CN/0001.wav`). */
  @Column('text')
  path: string;

  @Column('bigint', { transformer: bigintNumber })
  size: number;

  @Column('text')
  sha256: string;

  /** The organization whose signed URL uploaded it. */
  @Column('text', { name: 'uploaded_by' })
  uploadedBy: string;

  /** When catalog recorded the file; null while catalog has not answered yet. */
  @Column('timestamptz', { name: 'recorded_at', nullable: true })
  recordedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;
}
