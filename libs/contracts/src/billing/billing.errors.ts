/** Outcomes only billing reports: balances, payments and refunds. */
export enum BillingErrorCode {
  /** The buyer's balance does not cover the amount. */
  INSUFFICIENT_FUNDS = 'INSUFFICIENT_FUNDS',
}

export const BILLING_ERROR_STATUS: Record<BillingErrorCode, number> = {
  [BillingErrorCode.INSUFFICIENT_FUNDS]: 402,
};
