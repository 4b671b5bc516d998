import type { OfferStatus, OfferView } from '@trove/contracts';
import { canonicalTerms, type LicenseTermsValue, type PricingValue } from '@trove/licensing';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintNumber } from '../columns';
import { Dataset } from '../datasets/dataset.entity';

/**
 * A license offer on a dataset: the license template and its machine-readable terms (with
 * their canonical SHA-256, what a buyer accepts), the pricing, and who may see it: everyone,
 * or one buyer for a private offer.
 */
@Entity({ name: 'offer' })
@Index('offer_dataset_idx', ['datasetId'])
@Check('offer_status_check', `status IN ('active', 'withdrawn')`)
@Check('offer_terms_sha256_check', `terms_sha256 ~ '^[0-9a-f]{64}$'`)
@Check('offer_price_amount_check', `price_amount >= 0`)
@Check('offer_currency_check', `currency ~ '^[A-Z]{3}$'`)
@Check('offer_default_quantity_check', `default_quantity > 0`)
export class Offer {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'dataset_id' })
  datasetId: string;

  @ManyToOne(() => Dataset, { onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'offer_dataset_fk' })
  dataset?: Dataset;

  @Column('text')
  template: string;

  @Column('jsonb')
  terms: LicenseTermsValue;

  @Column('text', { name: 'terms_sha256' })
  termsSha256: string;

  @Column('boolean')
  exclusive: boolean;

  /** The whole pricing as offered (model, price, period or unit). */
  @Column('jsonb')
  pricing: PricingValue;

  /** The price's amount and currency again, for filtering and sorting by price. */
  @Column('bigint', { name: 'price_amount', transformer: bigintNumber })
  priceAmount: number;

  @Column('text')
  currency: string;

  @Column('boolean', { name: 'requires_approval', default: false })
  requiresApproval: boolean;

  /** A private offer: only this buyer (and the vendor and admins) sees it. */
  @Column('uuid', { name: 'buyer_org_id', nullable: true })
  buyerOrgId: string | null;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @Column('text', { default: 'active' })
  status: 'active' | 'withdrawn';

  /** A metered offer's units for an item without quantity: the listing's volume when the offer was made, lowered by every edit that declares less (OfferView). */
  @Column('bigint', { name: 'default_quantity', nullable: true, transformer: bigintNumber })
  defaultQuantity: number | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;

  /** Can be bought now: active and not expired. */
  isLive(now: Date): boolean {
    return this.statusAt(now) === 'active';
  }

  /** The status the offer answers at `now`: an active one past its expiry is `expired`. */
  statusAt(now: Date): OfferStatus {
    return offerStatus(this.status, this.expiresAt, now);
  }

  visibleTo(organizationId: string | undefined): boolean {
    return this.buyerOrgId === null || this.buyerOrgId === organizationId;
  }

  toView(now = new Date()): OfferView {
    return {
      id: this.id,
      datasetId: this.datasetId,
      // Served in canonical form (every field, defaults written out, uses and territories in
      // order): the JSON of `terms` with its keys sorted is then exactly what termsSha256 hashes,
      // so a buyer checks it with jq -cS and sha256sum. Orders copy the terms from here.
      license: { template: this.template, terms: canonicalTerms(this.terms) },
      termsSha256: this.termsSha256,
      pricing: this.pricing,
      requiresApproval: this.requiresApproval,
      exclusive: this.exclusive,
      buyerOrgId: this.buyerOrgId,
      expiresAt: this.expiresAt?.toISOString() ?? null,
      status: this.statusAt(now),
      createdAt: this.createdAt.toISOString(),
      defaultQuantity: this.defaultQuantity,
    };
  }
}

/**
 * What an offer's status reads as at `now`: `expired` for an active offer whose `expiresAt` has
 * passed, as the catalog's SQL tells it (OFFER_STATUS_SQL); the stored status otherwise.
 */
export function offerStatus(stored: 'active' | 'withdrawn', expiresAt: Date | null, now: Date): OfferStatus {
  return stored === 'active' && expiresAt !== null && expiresAt.getTime() <= now.getTime() ? 'expired' : stored;
}
