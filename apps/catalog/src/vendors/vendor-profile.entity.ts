import type { VendorProfileView } from '@trove/contracts';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** How a vendor organization presents itself in the catalog, in Chinese and English. */
@Entity({ name: 'vendor_profile' })
export class VendorProfile {
  @PrimaryColumn('uuid', { name: 'organization_id' })
  organizationId: string;

  @Column('text', { name: 'display_name_zh' })
  displayNameZh: string;

  @Column('text', { name: 'display_name_en' })
  displayNameEn: string;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('text', { nullable: true })
  website: string | null;

  /** ISO 27001, 数据安全能力成熟度 (DSMM), registration numbers at data exchanges, ... */
  @Column('jsonb', { default: [] })
  certifications: string[];

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;

  toView(): VendorProfileView {
    return {
      organizationId: this.organizationId,
      displayNameZh: this.displayNameZh,
      displayNameEn: this.displayNameEn,
      description: this.description,
      website: this.website,
      certifications: this.certifications,
      updatedAt: this.updatedAt.toISOString(),
    };
  }
}
