import type { DatasetStatus, DatasetSummary } from '@trove/contracts';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A vendor's dataset listing. Its full metadata model arrives with the catalog features. */
@Entity({ name: 'dataset' })
@Index('dataset_vendor_idx', ['vendorOrganizationId'])
export class Dataset {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'vendor_organization_id' })
  vendorOrganizationId: string;

  @Column('text')
  title: string;

  @Column('text')
  status: DatasetStatus;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;

  toSummary(): DatasetSummary {
    return {
      id: this.id,
      vendorOrganizationId: this.vendorOrganizationId,
      title: this.title,
      status: this.status,
      createdAt: this.createdAt.toISOString(),
      updatedAt: this.updatedAt.toISOString(),
    };
  }
}
