import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { MAX_TERM_MONTHS, Money, Price, type LicenseTermsValue } from '@trove/licensing';
import { eventSubject } from '../subject';

const SHA256 = /^[0-9a-f]{64}$/;

/** How an order line was priced, as the saga's events carry it. */
export interface LinePricingV1 {
  model: string;
  period?: string;
  unit?: string;
  /** Metered lines: the units of `unit` bought, the entitlement's allowance. */
  quantity?: number;
  /**
   * A metered line bought in part, not per GiB: the listing's whole volume in `unit` (10 hours
   * `of` 1,000). Delivery lets the buyer download `quantity / of` of the bytes of the versions it
   * covers. Absent when the line bought the whole, or the listing states no volume.
   */
  of?: number;
}

/** One line of a placed order, as billing charges it. */
export class PlacedOrderLineV1 {
  @IsString()
  @Length(1, 100)
  lineId: string;

  @IsUUID()
  offerId: string;

  @IsUUID()
  datasetId: string;

  @IsUUID()
  vendorOrganizationId: string;

  /**
   * The listing's title when the order was placed, what the invoice line names as the thing
   * sold (a fapiao names its goods). Optional: events placed before it carry none.
   */
  @IsOptional()
  @IsString()
  @Length(1, 300)
  datasetTitle?: string;

  @ValidateNested()
  @Type(() => Price)
  price: Price;

  /**
   * `{model, period?, unit?, quantity?}`: `quantity` is the units a metered line bought (its
   * price is the unit price times it). A field inside this object, so consumers that predate
   * it still accept the event.
   */
  @IsObject()
  pricing: LinePricingV1;

  @IsString()
  @MaxLength(100)
  licenseTemplate: string;

  @Matches(SHA256)
  termsSha256: string;

  /**
   * The accepted terms' `termMonths`: the license runs that many months from the payment (null:
   * perpetual), so billing renews a subscription no longer than its license. Optional: events
   * placed before it carry none, and their subscriptions renew as before.
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TERM_MONTHS)
  termMonths?: number | null;

  /**
   * An exclusive line's: when its term began, the order's placement, as in `order.paid`. Billing
   * counts a subscription's license end from it, so that it is delivery's and the exclusive
   * sale's, not later by the time the charge took. Absent for every other line, whose term runs
   * from the payment.
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  termStartsAt?: string;
}

/**
 * A buyer placed an order and accepted its licenses: billing charges it. Only an order with a
 * price is placed this way, and only its priced lines are listed (a free line costs nothing and
 * is not billed); an order of free offers alone goes straight to `order.paid`.
 */
export class OrderPlacedV1 {
  @IsUUID()
  orderId: string;

  @IsUUID()
  buyerOrganizationId: string;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => PlacedOrderLineV1)
  lines: PlacedOrderLineV1[];

  @ValidateNested()
  @Type(() => Money)
  total: Money;

  @IsISO8601({ strict: true })
  placedAt: string;
}

/** One line of a paid order, as delivery grants it. */
export class PaidOrderLineV1 {
  @IsString()
  @Length(1, 100)
  lineId: string;

  @IsUUID()
  offerId: string;

  @IsUUID()
  datasetId: string;

  @IsUUID()
  vendorOrganizationId: string;

  @IsString()
  @MaxLength(100)
  licenseTemplate: string;

  @IsObject()
  terms: LicenseTermsValue;

  @Matches(SHA256)
  termsSha256: string;

  /** `{model, period?, unit?, quantity?}`, as in `order.placed`. */
  @IsObject()
  pricing: LinePricingV1;

  /** A subscription covers the versions released while it runs; a one-time purchase those below. */
  @IsBoolean()
  coversFutureVersions: boolean;

  /** The released versions the offer covered at purchase, in the order they were released (oldest first). */
  @IsArray()
  @IsUUID('all', { each: true })
  versionIds: string[];

  /**
   * An exclusive line's: when its term began, the order's placement, where the catalog's
   * exclusive sale of it starts. Its license ends with that sale; counted from the payment it
   * outlived the sale by the time the payment took, and for that long the territory could be
   * sold again. A renewed license's (one with a term, bought again while its buyer's earlier
   * terms of it run): when the last of those ends, so that it adds its term after them rather
   * than alongside. Absent for every other line, whose term runs from the payment.
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  termStartsAt?: string;

  /**
   * A renewed license's end: its run of renewals' start plus every month paid along it, not its
   * own start plus its term, so that no renewal loses the days a short month clamped off an
   * earlier end. Absent for every other line, whose term ends its term after its start.
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  termEndsAt?: string;
}

/** Billing captured the payment: delivery grants the entitlements. */
export class OrderPaidV1 {
  @IsUUID()
  orderId: string;

  @IsUUID()
  buyerOrganizationId: string;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => PaidOrderLineV1)
  lines: PaidOrderLineV1[];

  @IsISO8601({ strict: true })
  paidAt: string;
}

/** The order ended without payment; nothing was charged or granted. */
export class OrderCancelledV1 {
  @IsUUID()
  orderId: string;

  @IsIn(['INSUFFICIENT_FUNDS'])
  reason: 'INSUFFICIENT_FUNDS';
}

/** An operator asked for the money back: billing posts the reversing entry. */
export class OrderRefundRequestedV1 {
  @IsUUID()
  orderId: string;

  @IsString()
  @MaxLength(2000)
  reason: string;
}

/** The money went back: delivery revokes the order's entitlements. */
export class OrderRefundedV1 {
  @IsUUID()
  orderId: string;
}

/** Why an order stopped holding its exclusive sale. */
export const EXCLUSIVE_END_REASONS = ['cancelled', 'refunded', 'lapsed'] as const;
export type ExclusiveEndReason = (typeof EXCLUSIVE_END_REASONS)[number];

/**
 * The order no longer holds its exclusive sale: it was cancelled (billing declined it) or
 * refunded, or its exclusive subscription lapsed. The catalog releases the sale, so the territory
 * may be sold to another buyer. Written only for an order with an exclusive line, in the
 * transaction of the change that ended its hold, so the release reaches the catalog whenever the
 * catalog is up again, and the saga never waits for it.
 */
export class OrderExclusiveEndedV1 {
  @IsUUID()
  orderId: string;

  @IsIn(EXCLUSIVE_END_REASONS)
  reason: ExclusiveEndReason;
}

/** Ordering's facts, each about one order (published and applied in the order written). */
export const OrderingEvents = {
  orderPlaced: eventSubject('evt.ordering.order.placed.v1', OrderPlacedV1, { aggregate: (p) => p.orderId }),
  orderPaid: eventSubject('evt.ordering.order.paid.v1', OrderPaidV1, { aggregate: (p) => p.orderId }),
  orderCancelled: eventSubject('evt.ordering.order.cancelled.v1', OrderCancelledV1, { aggregate: (p) => p.orderId }),
  orderRefundRequested: eventSubject('evt.ordering.order.refund-requested.v1', OrderRefundRequestedV1, { aggregate: (p) => p.orderId }),
  orderRefunded: eventSubject('evt.ordering.order.refunded.v1', OrderRefundedV1, { aggregate: (p) => p.orderId }),
  orderExclusiveEnded: eventSubject('evt.ordering.order.exclusive-ended.v1', OrderExclusiveEndedV1, { aggregate: (p) => p.orderId }),
};
