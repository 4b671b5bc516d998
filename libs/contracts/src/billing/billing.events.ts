import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '@trove/licensing';
import { eventSubject } from '../subject';

/** The buyer's wallet paid for the order: one journal entry, postings summing to zero. */
export class PaymentCapturedV1 {
  @IsUUID()
  orderId: string;

  /** The journal entry of the charge. */
  @IsUUID()
  paymentId: string;

  @ValidateNested()
  @Type(() => Money)
  amount: Money;

  @IsISO8601({ strict: true })
  capturedAt: string;
}

/** Nothing was posted: the wallet could not cover the order. */
export class PaymentDeclinedV1 {
  @IsUUID()
  orderId: string;

  @IsIn(['INSUFFICIENT_FUNDS'])
  reason: 'INSUFFICIENT_FUNDS';
}

/** The charge was reversed by a new journal entry. */
export class PaymentRefundedV1 {
  @IsUUID()
  orderId: string;

  /** The reversing journal entry. */
  @IsUUID()
  refundId: string;
}

export class SubscriptionRenewedV1 {
  @IsUUID()
  orderId: string;

  @IsString()
  lineId: string;

  /** The end (exclusive) of the period just paid. */
  @IsISO8601({ strict: true })
  periodEnd: string;

  /**
   * What the renewal charged, gross: one period's price, or its share when the license ends
   * within the period. Optional: renewals published before billing said it carry none.
   */
  @IsOptional()
  @ValidateNested()
  @Type(() => Money)
  amount?: Money;
}

export class SubscriptionLapsedV1 {
  @IsUUID()
  orderId: string;

  @IsString()
  lineId: string;
}

/** Billing's facts; every one belongs to the order it is about. */
export const BillingEvents = {
  paymentCaptured: eventSubject('evt.billing.payment.captured.v1', PaymentCapturedV1, { aggregate: (p) => p.orderId }),
  paymentDeclined: eventSubject('evt.billing.payment.declined.v1', PaymentDeclinedV1, { aggregate: (p) => p.orderId }),
  paymentRefunded: eventSubject('evt.billing.payment.refunded.v1', PaymentRefundedV1, { aggregate: (p) => p.orderId }),
  subscriptionRenewed: eventSubject('evt.billing.subscription.renewed.v1', SubscriptionRenewedV1, { aggregate: (p) => p.orderId }),
  subscriptionLapsed: eventSubject('evt.billing.subscription.lapsed.v1', SubscriptionLapsedV1, { aggregate: (p) => p.orderId }),
};
