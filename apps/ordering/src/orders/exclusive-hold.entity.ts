import type { LicenseTermsValue } from '@trove/licensing';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An exclusive sale the catalog may hold for an order that does not exist yet: written (and
 * committed) before placement asks the catalog to reserve, consumed by the transaction that
 * writes the order, and otherwise given back by whoever finds it (the failed placement, or the
 * sweep once it is older than ORDER_REDRIVE_AFTER_MS). See ExclusiveHolds.
 */
@Entity({ name: 'exclusive_hold' })
@Index('exclusive_hold_held_at_idx', ['heldAt'])
@Index('exclusive_hold_dataset_idx', ['datasetId'], { where: 'dataset_id IS NOT NULL' })
export class ExclusiveHold {
  @PrimaryColumn('uuid', { name: 'order_id' })
  orderId: string;

  @Column('uuid', { name: 'buyer_organization_id' })
  buyerOrganizationId: string;

  /**
   * Which hold this is: a placement writes its order only while the hold it wrote (or joined)
   * is still there with the same token. A hold given back and written again has a new one.
   */
  @Column('uuid')
  token: string;

  /** When a placement last wrote it: the sweep leaves it alone until it is old. */
  @Column('timestamptz', { name: 'held_at' })
  heldAt: Date;

  /** The dataset whose exclusive offer the placement reserves (null on holds older than the column). */
  @Column('uuid', { name: 'dataset_id', nullable: true })
  datasetId: string | null;

  /** That offer's terms: other placements of the dataset are checked against them meanwhile. */
  @Column('jsonb', { nullable: true })
  terms: LicenseTermsValue | null;
}
