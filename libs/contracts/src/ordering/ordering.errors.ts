/** Outcomes only ordering reports: orders and access requests. */
export enum OrderingErrorCode {
  /** The offer needs the vendor's approval of an access request before it can be ordered. */
  ACCESS_NOT_APPROVED = 'ACCESS_NOT_APPROVED',
}

export const ORDERING_ERROR_STATUS: Record<OrderingErrorCode, number> = {
  [OrderingErrorCode.ACCESS_NOT_APPROVED]: 403,
};
