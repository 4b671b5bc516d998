import type { ExclusiveSaleView } from '@trove/contracts';
import type { LicenseTermsValue } from '@trove/licensing';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { Dataset } from '../datasets/dataset.entity';
import { Offer } from './offer.entity';

/**
 * An exclusive license that was sold: while it is live, no exclusive offer or sale of the same
 * dataset may collide with its territory and term. A refund or a cancellation releases it, and
 * so does ordering when the order it was reserved for was never written.
 */
@Entity({ name: 'exclusive_sale' })
@Index('exclusive_sale_dataset_idx', ['datasetId', 'status'])
@Unique('exclusive_sale_order_key', ['orderId'])
@Check('exclusive_sale_status_check', `status IN ('live', 'released')`)
export class ExclusiveSale {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'dataset_id' })
  datasetId: string;

  @ManyToOne(() => Dataset, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'exclusive_sale_dataset_fk' })
  dataset?: Dataset;

  @Column('uuid', { name: 'offer_id' })
  offerId: string;

  @ManyToOne(() => Offer, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'offer_id', foreignKeyConstraintName: 'exclusive_sale_offer_fk' })
  offer?: Offer;

  @Column('uuid', { name: 'buyer_org_id' })
  buyerOrgId: string;

  @Column('uuid', { name: 'order_id' })
  orderId: string;

  /** The terms as sold, which the overlap test reads (territory, term, exclusivity). */
  @Column('jsonb')
  terms: LicenseTermsValue;

  @Column('timestamptz', { name: 'starts_at' })
  startsAt: Date;

  @Column('timestamptz', { name: 'ends_at', nullable: true })
  endsAt: Date | null;

  @Column('text', { default: 'live' })
  status: 'live' | 'released';

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'released_at', nullable: true })
  releasedAt: Date | null;

  toView(): ExclusiveSaleView {
    return {
      id: this.id,
      offerId: this.offerId,
      datasetId: this.datasetId,
      buyerOrgId: this.buyerOrgId,
      orderId: this.orderId,
      startsAt: this.startsAt.toISOString(),
      endsAt: this.endsAt?.toISOString() ?? null,
      status: this.status,
    };
  }
}
