import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, Equals, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import type { LicenseTermsValue, MoneyValue, PricingValue } from '@trove/licensing';
import { DisplayText } from '../display-text';
import { PageRequest } from '../page-request';
import { trimLine } from '@trove/dataset';

/** Where an order is in the purchase saga. `refund_pending` waits for billing's reversal. */
export const ORDER_STATUSES = ['pending_payment', 'paid', 'fulfilled', 'cancelled', 'refund_pending', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ACCESS_REQUEST_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type AccessRequestStatus = (typeof ACCESS_REQUEST_STATUSES)[number];

/** The longest reason a vendor may give the buyer for rejecting an access request, in characters after trimming. */
export const MAX_ACCESS_REJECTION_REASON_LENGTH = 1000;


/** The most items one order may hold. */
export const MAX_ORDER_ITEMS = 20;

/**
 * The most units of a metered offer one order line may buy (a billion hours, images, thousands
 * of tokens or GiB): far beyond any real purchase, and small enough that the line's price stays
 * a safe integer at any sane unit price (ordering checks the product too).
 */
export const MAX_METERED_QUANTITY = 1_000_000_000;

/**
 * What makes two order items the same offer: its id, whatever the case of its hex digits
 * (a UUID in capitals names the same offer to PostgreSQL, so `items` may not hold both).
 */
export const sameOfferKey = (item: { offerId?: unknown } | undefined): unknown => (typeof item?.offerId === 'string' ? item.offerId.toLowerCase() : item?.offerId);

// ---------------------------------------------------------------- requests

export class OrderItemInput {
  @IsUUID()
  offerId: string;

  /**
   * Units of a metered offer's `unit` to buy (hours, images, GiB...): required for a metered
   * offer, refused for any other (ordering knows the offer's model, so it checks that).
   */
  @IsOptional()
  @IsInt({ message: 'quantity must be a whole number of the offer\'s unit' })
  @Min(1, { message: 'quantity must be at least 1' })
  @Max(MAX_METERED_QUANTITY, { message: `quantity must be at most ${MAX_METERED_QUANTITY}` })
  quantity?: number;
}

/** `POST /v1/orders`: the offers to buy, and the buyer's acceptance of their licenses. */
export class PlaceOrderRequest {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ArrayUnique(sameOfferKey, { message: 'items must not name the same offer twice' })
  @ValidateNested({ each: true })
  @Type(() => OrderItemInput)
  items: OrderItemInput[];

  /** The buyer accepts the exact terms of every item: must be `true`. */
  @Equals(true, { message: 'acceptLicense must be true: an order accepts the license terms of its items' })
  acceptLicense: true;
}

export class GetOrderRequest {
  @IsUUID()
  id: string;
}

export class ListOrdersRequest extends PageRequest {
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;

  /** An operator's list narrowed to one buying organization; a buyer's list is always its own. */
  @IsOptional()
  @IsUUID()
  buyer?: string;
}

export class ListSalesRequest extends PageRequest {
  /** Only the sales of this dataset: one of the vendor's (another's lists nothing). */
  @IsOptional()
  @IsUUID()
  datasetId?: string;

  /** Only the sales to this buying organization. */
  @IsOptional()
  @IsUUID()
  buyerOrganizationId?: string;
}

export class RefundOrderRequest {
  @IsUUID()
  id: string;

  /** The operator's reason, which the buyer reads as the order's `refundReason`. */
  @IsString()
  @Length(1, 2000)
  @DisplayText('prose')
  reason: string;
}

export class CreateAccessRequestRequest {
  @IsUUID()
  offerId: string;

  /** What the buyer will do with the data, for the vendor to judge: shown to it as written. */
  @IsString()
  @Length(1, 2000)
  @DisplayText('prose')
  intendedUse: string;
}

export class DecideAccessRequestRequest {
  @IsUUID()
  id: string;
}

/**
 * A rejection, with the reason the buyer reads when the vendor gives one: 1 to 1,000
 * characters after trimming, prose (line breaks and tabs are fine; other controls and
 * bidirectional overrides are not, as in the catalog's listings).
 */
export class RejectAccessRequestRequest extends DecideAccessRequestRequest {
  @IsOptional()
  @Transform(trimLine)
  @IsString()
  @Length(1, MAX_ACCESS_REJECTION_REASON_LENGTH)
  @DisplayText('prose')
  reason?: string;
}

export class ListAccessRequestsRequest extends PageRequest {
  @IsOptional()
  @IsIn(ACCESS_REQUEST_STATUSES)
  status?: AccessRequestStatus;
}

export class OrderStatsRequest {
  /** Only orders and access requests of this buyer; every one when absent. */
  @IsOptional()
  @IsUUID()
  buyerOrganizationId?: string;
}

// ---------------------------------------------------------------- replies

export interface OrderItemView {
  lineId: string;
  offerId: string;
  datasetId: string;
  datasetTitle: string;
  vendorOrganizationId: string;
  /** What the line costs: the offer's price, the unit price times `quantity`, or zero for a free offer. */
  price: MoneyValue;
  pricing: PricingValue;
  /** Metered lines only: the units of `pricing.unit` bought (the entitlement's allowance). */
  quantity?: number;
  licenseTemplate: string;
  licenseTermsSha256: string;
}

export interface OrderView {
  id: string;
  buyerOrganizationId: string;
  status: OrderStatus;
  items: OrderItemView[];
  total: MoneyValue;
  cancellationReason: string | null;
  refundReason: string | null;
  paymentId: string | null;
  entitlementIds: string[];
  placedAt: string;
  paidAt: string | null;
  fulfilledAt: string | null;
  closedAt: string | null;
  updatedAt: string;
}

export interface OrderPage {
  items: OrderView[];
  nextCursor: string | null;
}

/** One license as the buyer accepted it. */
export interface ReceiptLineView {
  lineId: string;
  offerId: string;
  datasetId: string;
  vendorOrganizationId: string;
  licenseTemplate: string;
  terms: LicenseTermsValue;
  termsSha256: string;
  price: MoneyValue;
  /** Metered lines only: the units bought. */
  quantity?: number;
}

/**
 * The license receipt of an order, written once when the order is placed and never changed.
 * `sha256` is the SHA-256 (hex) of the canonical JSON (RFC 8785, keys sorted) of every other
 * field: anyone holding the receipt can recompute it.
 */
export interface LicenseReceiptView {
  id: string;
  orderId: string;
  acceptedByOrganizationId: string;
  acceptedByKeyId: string;
  acceptedAt: string;
  lines: ReceiptLineView[];
  sha256: string;
}

export interface SaleView {
  orderId: string;
  lineId: string;
  offerId: string;
  datasetId: string;
  datasetTitle: string;
  buyerOrganizationId: string;
  price: MoneyValue;
  /** How the line was priced when the order was placed: the model, and its unit or period. */
  pricing: PricingValue;
  /** Metered lines only: the units of `pricing.unit` bought. */
  quantity?: number;
  licenseTemplate: string;
  licenseTermsSha256: string;
  orderStatus: OrderStatus;
  soldAt: string;
  /** Subscription lines only: how the subscription has run since the sale, as billing reported it. */
  subscription?: SaleSubscriptionView;
}

/** Where a sold subscription stands: still renewing, lapsed, or ended by its order's refund. */
export const SALE_SUBSCRIPTION_STATUSES = ['active', 'lapsed', 'ended'] as const;
export type SaleSubscriptionStatus = (typeof SALE_SUBSCRIPTION_STATUSES)[number];

export interface SaleSubscriptionView {
  status: SaleSubscriptionStatus;
  /** Periods charged: the first, with the order, and each renewal. */
  periodsPaid: number;
  /** The end (exclusive) of the last period paid; null for a line paid before ordering recorded it and not renewed since. */
  paidThrough: string | null;
  /** When billing let it lapse; null while it renews, and when its order's refund ended it before any lapse. */
  lapsedAt: string | null;
  /** Gross charged for the line: the first period's price and every renewal's amount. */
  billed: MoneyValue;
}

export interface SalePage {
  items: SaleView[];
  nextCursor: string | null;
}

export interface AccessRequestView {
  id: string;
  offerId: string;
  datasetId: string;
  vendorOrganizationId: string;
  buyerOrganizationId: string;
  intendedUse: string;
  status: AccessRequestStatus;
  /** The vendor's reason, when it rejected the request with one; null otherwise. */
  rejectionReason: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export interface AccessRequestPage {
  items: AccessRequestView[];
  nextCursor: string | null;
}

/** The most vendors `AccessRequestsWaitingView.slowestVendors` lists. */
export const SLOWEST_VENDORS_LISTED = 10;

/** One vendor's access requests still pending. */
export interface VendorAccessRequestsWaitingView {
  vendorOrganizationId: string;
  pending: number;
  /** When its oldest pending request was made, ISO 8601. */
  oldestCreatedAt: string;
}

/** Access requests no vendor has decided yet: buyers of datasets that need approval wait on these. */
export interface AccessRequestsWaitingView {
  pending: number;
  /** When the oldest pending request was made, ISO 8601; null when none is pending. */
  oldestCreatedAt: string | null;
  /** Pending and made more than 7 days before the database's `now()`. */
  overSevenDays: number;
  /** Up to SLOWEST_VENDORS_LISTED vendors with pending requests, the one whose oldest has waited longest first. */
  slowestVendors: VendorAccessRequestsWaitingView[];
}

export interface OrderStatsView {
  /** Every status, zero included. */
  byStatus: Record<OrderStatus, number>;
  accessRequestsWaiting: AccessRequestsWaitingView;
}
