import type { SampleView } from '@trove/contracts';
import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { bigintNumber } from '../columns';
import { Dataset } from '../datasets/dataset.entity';

/** A small public preview file of a dataset. Uploading the same path again replaces it. */
@Entity({ name: 'sample' })
@Unique('sample_dataset_path_key', ['datasetId', 'path'])
@Check('sample_size_check', `size >= 0`)
@Check('sample_sha256_check', `sha256 ~ '^[0-9a-f]{64}$'`)
export class Sample {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'dataset_id' })
  datasetId: string;

  @ManyToOne(() => Dataset, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'sample_dataset_fk' })
  dataset?: Dataset;

  @Column('text')
  path: string;

  @Column('bigint', { transformer: bigintNumber })
  size: number;

  @Column('text')
  sha256: string;

  @Column('text', { name: 'storage_key' })
  storageKey: string;

  @Column('text', { name: 'content_type', nullable: true })
  contentType: string | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  toView(): SampleView {
    return { id: this.id, path: this.path, size: this.size, sha256: this.sha256, contentType: this.contentType, createdAt: this.createdAt.toISOString() };
  }
}
