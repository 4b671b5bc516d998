import type { VersionFileView } from '@trove/contracts';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../columns';
import { DatasetVersion } from './dataset-version.entity';

/** One file in a version's manifest, as delivery stored and measured it. */
@Entity({ name: 'version_file' })
@Check('version_file_size_check', `size >= 0`)
@Check('version_file_sha256_check', `sha256 ~ '^[0-9a-f]{64}$'`)
// An expression index TypeORM cannot describe (paths folded as lower(upper(path)), in byte
// order): made by migration 1764500006000, folded so by 1765300002000, and left alone by the
// schema builder.
@Index('version_file_path_fold_idx', { synchronize: false })
export class VersionFile {
  @PrimaryColumn('uuid', { name: 'version_id' })
  versionId: string;

  @ManyToOne(() => DatasetVersion, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'version_id', foreignKeyConstraintName: 'version_file_version_fk' })
  datasetVersion?: DatasetVersion;

  @PrimaryColumn('text')
  path: string;

  @Column('bigint', { transformer: bigintNumber })
  size: number;

  @Column('text')
  sha256: string;

  /** Where delivery keeps the bytes; never derived from the vendor's path. */
  @Column('text', { name: 'storage_key' })
  storageKey: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  toView(): VersionFileView {
    return { path: this.path, size: this.size, sha256: this.sha256 };
  }
}
