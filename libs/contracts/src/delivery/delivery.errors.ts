/** Outcomes only delivery reports: uploads into storage and signed download URLs. */
export enum DeliveryErrorCode {
  /** The uploaded bytes do not have the SHA-256 the upload declared; nothing was kept. */
  CHECKSUM_MISMATCH = 'CHECKSUM_MISMATCH',
  /** The uploaded bytes are not the size the upload declared; nothing was kept. */
  SIZE_MISMATCH = 'SIZE_MISMATCH',
  /** The upload is larger than its kind allows (a sample, a file). */
  UPLOAD_TOO_LARGE = 'UPLOAD_TOO_LARGE',
  /** The signed URL was valid once and has expired: ask for a new one. */
  URL_EXPIRED = 'URL_EXPIRED',
  /** The signed URL was not made by Trove, or was changed. */
  URL_INVALID = 'URL_INVALID',
  /** The license behind the URL was refunded or revoked. */
  ENTITLEMENT_REVOKED = 'ENTITLEMENT_REVOKED',
}

export const DELIVERY_ERROR_STATUS: Record<DeliveryErrorCode, number> = {
  [DeliveryErrorCode.CHECKSUM_MISMATCH]: 422,
  [DeliveryErrorCode.SIZE_MISMATCH]: 422,
  [DeliveryErrorCode.UPLOAD_TOO_LARGE]: 413,
  [DeliveryErrorCode.URL_EXPIRED]: 403,
  [DeliveryErrorCode.URL_INVALID]: 403,
  [DeliveryErrorCode.ENTITLEMENT_REVOKED]: 403,
};
