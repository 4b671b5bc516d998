import type { AccessRequestStatus, AccessRequestView } from '@trove/contracts';
import { StateMachine } from '@trove/platform';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A vendor decides once: pending -> approved or rejected. */
export const accessRequestStates = new StateMachine<AccessRequestStatus>('access request', {
  pending: ['approved', 'rejected'],
  approved: [],
  rejected: [],
});

/** A buyer's request to order an offer that needs the vendor's approval. */
@Entity({ name: 'access_request' })
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

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'decided_at', nullable: true })
  decidedAt: Date | null;

  decide(next: 'approved' | 'rejected'): void {
    accessRequestStates.assert(this.status, next);
    this.status = next;
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
      createdAt: this.createdAt.toISOString(),
      decidedAt: this.decidedAt?.toISOString() ?? null,
    };
  }
}
