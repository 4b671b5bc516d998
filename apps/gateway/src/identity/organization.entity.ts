import type { Role } from '@trove/platform';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { organizationStates, type OrganizationKind, type OrganizationStatus } from './organization-state';

@Entity({ name: 'organization' })
export class Organization {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text')
  kind: OrganizationKind;

  @Column('text')
  status: OrganizationStatus;

  @Column('text', { name: 'contact_email' })
  contactEmail: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;

  /** Every key of an organization acts with the role its kind gives. */
  get role(): Role {
    return this.kind;
  }

  approve(): void {
    this.moveTo('active');
  }

  suspend(): void {
    this.moveTo('suspended');
  }

  private moveTo(status: OrganizationStatus): void {
    organizationStates.assert(this.status, status);
    this.status = status;
  }
}
