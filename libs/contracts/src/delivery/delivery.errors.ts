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
  /**
   * The upload URL was used already: the file sent through it was recorded. A URL is good for one
   * upload; ask for a new one to send the file again.
   */
  URL_USED = 'URL_USED',
  /** The license behind the URL was refunded or revoked. */
  ENTITLEMENT_REVOKED = 'ENTITLEMENT_REVOKED',
  /**
   * The URL was signed for an API key its organization has since revoked: every URL signed for
   * that key is refused. Read the manifest again with another key for new URLs.
   */
  API_KEY_REVOKED = 'API_KEY_REVOKED',
  /** The license behind the URL ended (its term, or the subscription lapsed). */
  ENTITLEMENT_EXPIRED = 'ENTITLEMENT_EXPIRED',
  /**
   * The license has not begun: a renewal bought while the buyer's earlier term still runs starts
   * where that term ends. The detail names the start; until then the earlier term serves.
   */
  ENTITLEMENT_NOT_STARTED = 'ENTITLEMENT_NOT_STARTED',
  /** The license allows this many downloads of each file, and they were made. */
  DOWNLOAD_LIMIT_REACHED = 'DOWNLOAD_LIMIT_REACHED',
  /** The license allows this many seats (API keys downloading), and they are taken. */
  SEATS_EXCEEDED = 'SEATS_EXCEEDED',
  /**
   * A metered offer sold per GiB: the bytes already delivered under the entitlement and this
   * request's bytes together are more than the GiB bought. Ask for a smaller Range, or buy more.
   */
  ALLOWANCE_EXHAUSTED = 'ALLOWANCE_EXHAUSTED',
  /** The Range header asks for one range of bytes the file does not have (several ranges are ignored: the whole file). */
  RANGE_NOT_SATISFIABLE = 'RANGE_NOT_SATISFIABLE',
  /**
   * The If-Match header names no entity-tag that is the file's ETag (strongly), and is not `*`:
   * the client's copy is another file. Nothing was sent, held or counted.
   */
  PRECONDITION_FAILED = 'PRECONDITION_FAILED',
  /**
   * The file is in the version's manifest and the buyer is entitled to it, but its object is
   * missing from storage (another failure to read it is still a 500). Nothing was sent, held or
   * counted; operators are alerted. Try again later (`Retry-After`).
   */
  FILE_UNAVAILABLE = 'FILE_UNAVAILABLE',
}

export const DELIVERY_ERROR_STATUS: Record<DeliveryErrorCode, number> = {
  [DeliveryErrorCode.CHECKSUM_MISMATCH]: 422,
  [DeliveryErrorCode.SIZE_MISMATCH]: 422,
  [DeliveryErrorCode.UPLOAD_TOO_LARGE]: 413,
  [DeliveryErrorCode.URL_EXPIRED]: 403,
  [DeliveryErrorCode.URL_INVALID]: 403,
  [DeliveryErrorCode.URL_USED]: 403,
  [DeliveryErrorCode.ENTITLEMENT_REVOKED]: 403,
  [DeliveryErrorCode.API_KEY_REVOKED]: 403,
  [DeliveryErrorCode.ENTITLEMENT_EXPIRED]: 403,
  [DeliveryErrorCode.ENTITLEMENT_NOT_STARTED]: 403,
  [DeliveryErrorCode.DOWNLOAD_LIMIT_REACHED]: 403,
  [DeliveryErrorCode.SEATS_EXCEEDED]: 403,
  [DeliveryErrorCode.ALLOWANCE_EXHAUSTED]: 403,
  [DeliveryErrorCode.RANGE_NOT_SATISFIABLE]: 416,
  [DeliveryErrorCode.PRECONDITION_FAILED]: 412,
  [DeliveryErrorCode.FILE_UNAVAILABLE]: 503,
};
