import { ORGANIZATION_KINDS, ORGANIZATION_STATUSES, sqlIn, type Role } from '@trove/contracts';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { MAX_SUSPENSION_REASON_LENGTH, organizationStates, type OrganizationKind, type OrganizationStatus } from './organization-state';

// Indexes and checks as the migrations create them (the schema test holds the two together);
// the index is (kind, status, created_at DESC, id DESC) in the database.
@Entity({ name: 'organization' })
@Index('organization_kind_status_idx', ['kind', 'status', 'createdAt', 'id'])
@Index('organization_suspension_announced_idx', ['statusAnnouncedAt'], { where: `status = 'suspended'` })
@Check('organization_name_check', 'length(name) BETWEEN 1 AND 200')
@Check('organization_kind_check', sqlIn('kind', ORGANIZATION_KINDS))
@Check('organization_status_check', sqlIn('status', ORGANIZATION_STATUSES))
@Check('organization_status_reason_check', `status_reason IS NULL OR (status = 'suspended' AND length(status_reason) BETWEEN 1 AND ${MAX_SUSPENSION_REASON_LENGTH})`)
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

  @CreateDateColumn({ type: 'timestamptz', precision: 3, name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;

  /** When the status last changed: the `changedAt` of its status-changed event, every time it is announced. */
  @Column({ type: 'timestamptz', precision: 3, name: 'status_changed_at', nullable: true })
  statusChangedAt: Date | null;

  /** When the other services were last told the status (see StatusAnnouncer). */
  @Column({ type: 'timestamptz', precision: 3, name: 'status_announced_at', nullable: true })
  statusAnnouncedAt: Date | null;

  /**
   * Why an operator suspended the organization, if it said: the organization reads it in the
   * 403 its keys get. Only a suspended organization holds one; approving clears it.
   */
  @Column('text', { name: 'status_reason', nullable: true })
  statusReason: string | null;

  /** Every key of an organization acts with the role its kind gives. */
  get role(): Role {
    return this.kind;
  }

  approve(): void {
    this.moveTo('active', null);
  }

  /** From `pending` (declining a vendor's application) or `active`; `reason` is the organization's to read. */
  suspend(reason: string | null = null): void {
    this.moveTo('suspended', reason);
  }

  private moveTo(status: OrganizationStatus, reason: string | null): void {
    organizationStates.assert(this.status, status);
    this.status = status;
    this.statusReason = reason;
    this.statusChangedAt = this.statusAnnouncedAt = new Date();
  }
}
