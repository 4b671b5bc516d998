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
  /**
   * The bank transfer of this reference (compared trimmed, NFKC, case-folded, without the bank's name before the serial) was credited
   * already by another top-up in the same currency: one transfer credits one top-up.
   */
  TRANSFER_ALREADY_CREDITED = 'TRANSFER_ALREADY_CREDITED',
  /** The buyer's organization filed this transfer already, for the same amount, and it awaits confirmation. */
  TOP_UP_ALREADY_FILED = 'TOP_UP_ALREADY_FILED',
  /**
   * Confirming the top-up or paying the payout would take billing past what it holds
   * (`LEDGER_LIMIT`, `MAX_TRANSFER_AMOUNT`); nothing was posted.
   */
  LEDGER_LIMIT_EXCEEDED = 'LEDGER_LIMIT_EXCEEDED',
  /**
   * The payout's vendor is suspended (fraud, a licensing dispute): its payouts are held until an
   * operator reinstates it, or rejects them. Nothing was posted.
   */
  PAYOUT_HELD = 'PAYOUT_HELD',
}

export const BILLING_ERROR_STATUS: Record<BillingErrorCode, number> = {
  [BillingErrorCode.INSUFFICIENT_FUNDS]: 402,
  [BillingErrorCode.ORDER_NOT_PAID]: 409,
  [BillingErrorCode.ALREADY_REFUNDED]: 409,
  [BillingErrorCode.PAYOUT_EXCEEDS_BALANCE]: 409,
  [BillingErrorCode.TRANSFER_ALREADY_CREDITED]: 409,
  [BillingErrorCode.TOP_UP_ALREADY_FILED]: 409,
  [BillingErrorCode.LEDGER_LIMIT_EXCEEDED]: 409,
  [BillingErrorCode.PAYOUT_HELD]: 409,
};
