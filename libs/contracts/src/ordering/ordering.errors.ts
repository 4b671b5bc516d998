/** Outcomes only ordering reports: orders and access requests. */
export enum OrderingErrorCode {
  /** The offer needs the vendor's approval of an access request before it can be ordered. */
  ACCESS_NOT_APPROVED = 'ACCESS_NOT_APPROVED',
  /** The items of one order are priced in different currencies: order them separately. */
  CURRENCY_MISMATCH = 'CURRENCY_MISMATCH',
  /** The offer cannot be bought through an order (its pricing has no price to charge). */
  OFFER_NOT_ORDERABLE = 'OFFER_NOT_ORDERABLE',
  /** A refund of an order that was never paid, or is refunded already. */
  ORDER_NOT_REFUNDABLE = 'ORDER_NOT_REFUNDABLE',
  /**
   * The buyer's last order of this exclusive offer was declined for want of funds a moment ago:
   * it may order the offer again once the cool-down has passed (the detail says when).
   */
  EXCLUSIVE_ORDER_DECLINED_RECENTLY = 'EXCLUSIVE_ORDER_DECLINED_RECENTLY',
  /**
   * The buyer holds this offer's perpetual license already, through a live order that covers
   * every version released so far: a second order would charge it for nothing new (the detail
   * names that order).
   */
  ALREADY_LICENSED = 'ALREADY_LICENSED',
}

export const ORDERING_ERROR_STATUS: Record<OrderingErrorCode, number> = {
  [OrderingErrorCode.ACCESS_NOT_APPROVED]: 403,
  [OrderingErrorCode.CURRENCY_MISMATCH]: 422,
  [OrderingErrorCode.OFFER_NOT_ORDERABLE]: 409,
  [OrderingErrorCode.ORDER_NOT_REFUNDABLE]: 409,
  [OrderingErrorCode.EXCLUSIVE_ORDER_DECLINED_RECENTLY]: 409,
  [OrderingErrorCode.ALREADY_LICENSED]: 409,
};
