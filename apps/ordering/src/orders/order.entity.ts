import { ORDER_STATUSES, sqlIn, type LicenseReceiptView, type LinePricingV1, type OrderPaidV1, type OrderItemView, type OrderStatus, type OrderView, type ReceiptLineView, type SaleSubscriptionView, type SaleView } from '@trove/contracts';
import { canonicalJson, firstPeriodEndsAt, licenseEndsAt, type CurrencyCode, type LicenseTermsValue, type PricingValue } from '@trove/licensing';
import { createHash } from 'node:crypto';
import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import { bigintNumber } from '../columns';
import { orderStates } from './order-state';

// Indexes, checks and keys as CreateOrders makes them (the schema test holds the two together);
// indexes end (placed_at DESC, id DESC) in the database.
@Entity({ name: 'order_line' })
@Unique('order_line_position_key', ['orderId', 'position'])
@Index('order_line_vendor_idx', ['vendorOrganizationId', 'placedAt', 'id'])
@Index('order_line_vendor_dataset_idx', ['vendorOrganizationId', 'datasetId', 'placedAt', 'id'])
@Index('order_line_exclusive_offer_idx', ['offerId'], { where: 'exclusive' })
@Index('order_line_exclusive_dataset_idx', ['datasetId'], { where: 'exclusive' })
@Index('order_line_buyer_offer_idx', ['buyerOrganizationId', 'offerId'])
@Check('order_line_price_check', 'price_amount >= 0')
@Check('order_line_quantity_check', "(pricing->>'model' = 'metered') = (quantity IS NOT NULL) AND (quantity IS NULL OR quantity > 0)")
@Check('order_line_whole_quantity_check', 'whole_quantity IS NULL OR (quantity IS NOT NULL AND whole_quantity > 0)')
@Check('order_line_terms_sha256_check', "terms_sha256 ~ '^[0-9a-f]{64}$'")
export class OrderLine {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'order_id' })
  @ForeignKey(() => Order, { name: 'order_line_order_fk' })
  orderId: string;

  /** The order's buyer, repeated on each line so that a buyer's lines of an offer are found by index. */
  @Column('uuid', { name: 'buyer_organization_id' })
  buyerOrganizationId: string;

  @Column('integer')
  position: number;

  @Column('uuid', { name: 'offer_id' })
  offerId: string;

  @Column('uuid', { name: 'dataset_id' })
  datasetId: string;

  @Column('text', { name: 'dataset_title' })
  datasetTitle: string;

  @Column('uuid', { name: 'vendor_organization_id' })
  vendorOrganizationId: string;

  /** What the line costs: the offer's price, the unit price times `quantity`, or 0 for a free offer. */
  @Column('bigint', { name: 'price_amount', transformer: bigintNumber })
  priceAmount: number;

  /** The units a metered line bought (its allowance); null for every other model. */
  @Column('integer', { nullable: true })
  quantity: number | null;

  /**
   * A metered line not per GiB: the listing's whole volume in its unit when the order was placed
   * (the offer's `defaultQuantity`), of which `quantity` is a part; null where there is none.
   */
  @Column('bigint', { name: 'whole_quantity', nullable: true, transformer: bigintNumber })
  wholeQuantity: number | null;

  @Column('text')
  currency: CurrencyCode;

  @Column('jsonb')
  pricing: PricingValue;

  @Column('text', { name: 'license_template' })
  licenseTemplate: string;

  @Column('jsonb')
  terms: LicenseTermsValue;

  @Column('text', { name: 'terms_sha256' })
  termsSha256: string;

  @Column('boolean')
  exclusive: boolean;

  @Column('boolean', { name: 'covers_future_versions' })
  coversFutureVersions: boolean;

  @Column('jsonb', { name: 'version_ids' })
  versionIds: string[];

  @Column('timestamptz', { name: 'placed_at' })
  placedAt: Date;

  // A subscription line's run after its first period, from billing's events (PurchaseSaga):
  // renewals charged and their gross sum, the end of the last period paid, when it lapsed.
  @Column('integer', { name: 'subscription_renewals', default: 0 })
  subscriptionRenewals: number;

  @Column('bigint', { name: 'subscription_renewed_amount', default: 0, transformer: bigintNumber })
  subscriptionRenewedAmount: number;

  @Column('timestamptz', { name: 'subscription_paid_through', nullable: true })
  subscriptionPaidThrough: Date | null;

  @Column('timestamptz', { name: 'subscription_lapsed_at', nullable: true })
  subscriptionLapsedAt: Date | null;

  /** A renewed license's term start, when later than the payment (PurchaseSaga.captured); null otherwise. */
  @Column('timestamptz', { name: 'term_starts_at', nullable: true })
  termStartsAt: Date | null;

  /** A renewed license's run of renewals: where it began, and its months to this line's end. */
  @Column('timestamptz', { name: 'term_anchor_at', nullable: true })
  termAnchorAt: Date | null;

  @Column('integer', { name: 'term_anchor_months', nullable: true })
  termAnchorMonths: number | null;

  /** Whether buying this line again renews it: a license with a term, sold once for a price, not exclusive. */
  get renews(): boolean {
    return this.pricing.model === 'one_time' && !this.exclusive && this.terms.termMonths !== null;
  }

  toItemView(): OrderItemView {
    return {
      lineId: this.id,
      offerId: this.offerId,
      datasetId: this.datasetId,
      datasetTitle: this.datasetTitle,
      vendorOrganizationId: this.vendorOrganizationId,
      price: { amount: this.priceAmount, currency: this.currency },
      pricing: this.pricing,
      ...(this.quantity !== null ? { quantity: this.quantity } : {}),
      licenseTemplate: this.licenseTemplate,
      licenseTermsSha256: this.termsSha256,
    };
  }

  /** How the line was priced, as the saga's events carry it (a metered line with its quantity). */
  eventPricing(): LinePricingV1 {
    return {
      model: this.pricing.model,
      ...(this.pricing.period ? { period: this.pricing.period } : {}),
      ...(this.pricing.unit ? { unit: this.pricing.unit } : {}),
      ...(this.quantity !== null ? { quantity: this.quantity } : {}),
      // Bought in part: delivery grants that share of the bytes, not the whole corpus.
      ...(this.quantity !== null && this.wholeQuantity !== null && this.quantity < this.wholeQuantity ? { of: this.wholeQuantity } : {}),
    };
  }

  toSaleView(order: Order): SaleView {
    return {
      orderId: this.orderId,
      lineId: this.id,
      offerId: this.offerId,
      datasetId: this.datasetId,
      datasetTitle: this.datasetTitle,
      buyerOrganizationId: order.buyerOrganizationId,
      price: { amount: this.priceAmount, currency: this.currency },
      pricing: this.pricing,
      ...(this.quantity !== null ? { quantity: this.quantity } : {}),
      licenseTemplate: this.licenseTemplate,
      licenseTermsSha256: this.termsSha256,
      orderStatus: order.status,
      soldAt: this.placedAt.toISOString(),
      ...(this.pricing.model === 'subscription' ? { subscription: this.saleSubscription(order) } : {}),
    };
  }

  /**
   * A sold subscription as the vendor reads it: ended with its order's refund, lapsed once
   * billing let it lapse, active otherwise; the first period and each renewal billing charged.
   */
  private saleSubscription(order: Order): SaleSubscriptionView {
    const lapsedAt = this.subscriptionLapsedAt ?? null;
    return {
      status: order.status === 'refunded' ? 'ended' : lapsedAt ? 'lapsed' : 'active',
      periodsPaid: 1 + (this.subscriptionRenewals ?? 0),
      paidThrough: this.subscriptionPaidThrough?.toISOString() ?? null,
      lapsedAt: lapsedAt?.toISOString() ?? null,
      billed: { amount: this.priceAmount + (this.subscriptionRenewedAmount ?? 0), currency: this.currency },
    };
  }

  /**
   * When the period paid by the order's charge at `capturedAt` ends, as billing counts it: one
   * period from the charge, cut at the license end when the term is shorter (its term runs from
   * the placement for an exclusive line, from the charge otherwise). Null on other lines.
   */
  firstPeriodEnd(capturedAt: Date): Date | null {
    const period = this.pricing.period;
    if (this.pricing.model !== 'subscription' || !period) return null;
    return firstPeriodEndsAt(capturedAt, period, licenseEndsAt(this.terms, this.exclusive ? this.placedAt : capturedAt));
  }

  toReceiptLine(): ReceiptLineView {
    return {
      lineId: this.id,
      offerId: this.offerId,
      datasetId: this.datasetId,
      vendorOrganizationId: this.vendorOrganizationId,
      licenseTemplate: this.licenseTemplate,
      terms: this.terms,
      termsSha256: this.termsSha256,
      price: { amount: this.priceAmount, currency: this.currency },
      ...(this.quantity !== null ? { quantity: this.quantity } : {}),
    };
  }
}

/** An order: the buyer's purchase of one or more offers, moved through the saga by events. */
@Entity({ name: 'purchase_order' })
@Index('purchase_order_buyer_idx', ['buyerOrganizationId', 'placedAt', 'id'])
@Index('purchase_order_status_idx', ['status', 'placedAt', 'id'])
@Index('purchase_order_in_flight_idx', ['updatedAt'], { where: sqlIn('status', ['pending_payment', 'paid', 'refund_pending']) })
@Check('purchase_order_status_check', sqlIn('status', ORDER_STATUSES))
@Check('purchase_order_total_check', 'total_amount >= 0')
@Check('purchase_order_currency_check', "currency ~ '^[A-Z]{3}$'")
export class Order {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'buyer_organization_id' })
  buyerOrganizationId: string;

  @Column('text')
  status: OrderStatus;

  @Column('bigint', { name: 'total_amount', transformer: bigintNumber })
  totalAmount: number;

  @Column('text')
  currency: CurrencyCode;

  @Column('text', { name: 'cancellation_reason', nullable: true })
  cancellationReason: string | null;

  @Column('text', { name: 'refund_reason', nullable: true })
  refundReason: string | null;

  @Column('uuid', { name: 'payment_id', nullable: true })
  paymentId: string | null;

  @Column('jsonb', { name: 'entitlement_ids', default: [] })
  entitlementIds: string[];

  /** The event whose answer the order waits for; the sweep publishes it again when none comes. */
  @Column('uuid', { name: 'awaiting_event_id', nullable: true })
  awaitingEventId: string | null;

  @Column('integer', { default: 0 })
  redrives: number;

  @Column('timestamptz', { name: 'placed_at' })
  placedAt: Date;

  @Column('timestamptz', { name: 'paid_at', nullable: true })
  paidAt: Date | null;

  @Column('timestamptz', { name: 'fulfilled_at', nullable: true })
  fulfilledAt: Date | null;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  /** Moves the order along the transition table; an illegal move is a CONFLICT. */
  moveTo(next: OrderStatus, at: Date = new Date()): void {
    orderStates.assert(this.status, next);
    this.status = next;
    this.updatedAt = at;
    if (next === 'paid') this.paidAt = at;
    if (next === 'fulfilled') this.fulfilledAt = at;
    if (orderStates.isTerminal(next)) this.closedAt = at;
  }

  /**
   * `order.paid`: what delivery needs to grant an entitlement per line. Call once the order is
   * paid, with the term starts of renewed lines (`renewals`, by line id).
   */
  paidEvent(lines: OrderLine[], renewals: ReadonlyMap<string, Renewal> = new Map()): OrderPaidV1 {
    return {
      orderId: this.id,
      buyerOrganizationId: this.buyerOrganizationId,
      lines: lines.map((line) => ({
        lineId: line.id,
        offerId: line.offerId,
        datasetId: line.datasetId,
        vendorOrganizationId: line.vendorOrganizationId,
        licenseTemplate: line.licenseTemplate,
        terms: line.terms,
        termsSha256: line.termsSha256,
        pricing: line.eventPricing(),
        coversFutureVersions: line.coversFutureVersions,
        versionIds: line.versionIds,
        ...(line.exclusive ? { termStartsAt: line.placedAt.toISOString() } : renewals.has(line.id) ? renewalTerm(renewals.get(line.id)!) : {}),
      })),
      paidAt: this.paidAt!.toISOString(),
    };
  }

  toView(lines: OrderLine[]): OrderView {
    return {
      id: this.id,
      buyerOrganizationId: this.buyerOrganizationId,
      status: this.status,
      items: lines.map((line) => line.toItemView()),
      total: { amount: this.totalAmount, currency: this.currency },
      cancellationReason: this.cancellationReason,
      refundReason: this.refundReason,
      paymentId: this.paymentId,
      entitlementIds: this.entitlementIds,
      placedAt: this.placedAt.toISOString(),
      paidAt: this.paidAt?.toISOString() ?? null,
      fulfilledAt: this.fulfilledAt?.toISOString() ?? null,
      closedAt: this.closedAt?.toISOString() ?? null,
      updatedAt: this.updatedAt.toISOString(),
    };
  }
}

/** The immutable record of the licenses a buyer accepted with an order (the database refuses edits). */
@Entity({ name: 'license_receipt' })
@Unique('license_receipt_order_key', ['orderId'])
@Check('license_receipt_sha256_check', "sha256 ~ '^[0-9a-f]{64}$'")
export class LicenseReceipt {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'order_id' })
  @ForeignKey(() => Order, { name: 'license_receipt_order_fk' })
  orderId: string;

  @Column('uuid', { name: 'accepted_by_organization_id' })
  acceptedByOrganizationId: string;

  @Column('text', { name: 'accepted_by_key_id' })
  acceptedByKeyId: string;

  @Column('timestamptz', { name: 'accepted_at' })
  acceptedAt: Date;

  @Column('jsonb')
  lines: ReceiptLineView[];

  @Column('text')
  sha256: string;

  static issue(fields: Omit<LicenseReceipt, 'sha256' | 'toView'>): LicenseReceipt {
    const receipt = Object.assign(new LicenseReceipt(), fields);
    receipt.sha256 = receiptSha256(receipt.toView());
    return receipt;
  }

  toView(): LicenseReceiptView {
    return {
      id: this.id,
      orderId: this.orderId,
      acceptedByOrganizationId: this.acceptedByOrganizationId,
      acceptedByKeyId: this.acceptedByKeyId,
      acceptedAt: this.acceptedAt.toISOString(),
      lines: this.lines,
      sha256: this.sha256,
    };
  }
}

/** SHA-256 (hex) of the canonical JSON of every field of the receipt but `sha256` itself. */
export function receiptSha256(receipt: Omit<LicenseReceiptView, 'sha256'> & { sha256?: string }): string {
  const { sha256: _ignored, ...content } = receipt;
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

/**
 * A renewed line's term: it starts where the terms it renews end, and runs to its run's start
 * plus every month paid along the run (`anchorMonths`), so no renewal loses what a short month
 * clamped off an earlier end.
 */
export interface Renewal {
  startsAt: Date;
  anchorAt: Date;
  anchorMonths: number;
}

function renewalTerm(renewal: Renewal): { termStartsAt: string; termEndsAt: string } {
  return { termStartsAt: renewal.startsAt.toISOString(), termEndsAt: licenseEndsAt({ termMonths: renewal.anchorMonths }, renewal.anchorAt)!.toISOString() };
}
