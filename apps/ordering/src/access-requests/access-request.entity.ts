import { ACCESS_REQUEST_STATUSES, sqlIn, type AccessRequestStatus, type AccessRequestView } from '@trove/contracts';
import { StateMachine } from '@trove/platform';
import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A vendor decides once: pending -> approved or rejected. */
export const accessRequestStates = new StateMachine<AccessRequestStatus>('access request', {
  pending: ['approved', 'rejected'],
  approved: [],
  rejected: [],
});

// Indexes and checks as CreateOrders and the later migrations make them (the schema test holds
// the two together); the list indexes end (created_at DESC, id DESC) in the database.
/** A buyer's request to order an offer that needs the vendor's approval. */
@Entity({ name: 'access_request' })
@Index('access_request_live_key', ['offerId', 'buyerOrganizationId'], { unique: true, where: sqlIn('status', ['pending', 'approved']) })
@Index('access_request_vendor_idx', ['vendorOrganizationId', 'createdAt', 'id'])
@Index('access_request_buyer_idx', ['buyerOrganizationId', 'createdAt', 'id'])
@Index('access_request_pending_idx', ['vendorOrganizationId', 'createdAt'], { where: `status = 'pending'` })
@Check('access_request_status_check', sqlIn('status', ACCESS_REQUEST_STATUSES))
@Check('access_request_rejection_reason_check', `rejection_reason IS NULL OR status = 'rejected'`)
export class AccessRequest {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'offer_id' })
  offerId: string;

  @Column('uuid', { name: 'dataset_id' })
  datasetId: string;

  @Column('uuid', { name: 'vendor_organization_id' })
  vendorOrganizationId: string;

  @Column('uuid', { name: 'buyer_organization_id' })
  buyerOrganizationId: string;

  @Column('text', { name: 'intended_use' })
  intendedUse: string;

  @Column('text')
  status: AccessRequestStatus;

  /** What the vendor told the buyer when it rejected the request; null without a reason, and for any other decision. */
  @Column('text', { name: 'rejection_reason', nullable: true })
  rejectionReason: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'decided_at', nullable: true })
  decidedAt: Date | null;

  /** `reason` is the buyer's to read, and only a rejection carries one. */
  decide(next: 'approved' | 'rejected', reason: string | null = null): void {
    accessRequestStates.assert(this.status, next);
    this.status = next;
    this.rejectionReason = next === 'rejected' ? reason : null;
    this.decidedAt = new Date();
  }

  toView(): AccessRequestView {
    return {
      id: this.id,
      offerId: this.offerId,
      datasetId: this.datasetId,
      vendorOrganizationId: this.vendorOrganizationId,
      buyerOrganizationId: this.buyerOrganizationId,
      intendedUse: this.intendedUse,
      status: this.status,
      rejectionReason: this.rejectionReason,
      createdAt: this.createdAt.toISOString(),
      decidedAt: this.decidedAt?.toISOString() ?? null,
    };
  }
}
