/** Outcomes only billing reports: balances, payments and refunds. */
export enum BillingErrorCode {
  /** The buyer's balance does not cover the amount. */
  INSUFFICIENT_FUNDS = 'INSUFFICIENT_FUNDS',
  /** A refund of an order billing never charged (declined, or never placed). */
  ORDER_NOT_PAID = 'ORDER_NOT_PAID',
  /** The order's payment was refunded already: a refund is made once. */
  ALREADY_REFUNDED = 'ALREADY_REFUNDED',
  /** A payout larger than what the platform owes the vendor. */
  PAYOUT_EXCEEDS_BALANCE = 'PAYOUT_EXCEEDS_BALANCE',
}

export const BILLING_ERROR_STATUS: Record<BillingErrorCode, number> = {
  [BillingErrorCode.INSUFFICIENT_FUNDS]: 402,
  [BillingErrorCode.ORDER_NOT_PAID]: 409,
  [BillingErrorCode.ALREADY_REFUNDED]: 409,
  [BillingErrorCode.PAYOUT_EXCEEDS_BALANCE]: 409,
};
