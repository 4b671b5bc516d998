/** Outcomes only the catalog reports: listings, offers and their licenses. */
export enum CatalogErrorCode {
  /** The offer is withdrawn, its dataset is not published, or it cannot be sold right now. */
  OFFER_NOT_AVAILABLE = 'OFFER_NOT_AVAILABLE',
  /** An exclusive license for this dataset was already sold (or is being sold) for the same territory and term. */
  EXCLUSIVITY_CONFLICT = 'EXCLUSIVITY_CONFLICT',
  /** The vendor awaits an operator's approval: its listings can be prepared but not submitted. */
  VENDOR_NOT_APPROVED = 'VENDOR_NOT_APPROVED',
  /** The file would take the vendor's listings past the bytes it may store. */
  STORAGE_QUOTA_EXCEEDED = 'STORAGE_QUOTA_EXCEEDED',
}

export const CATALOG_ERROR_STATUS: Record<CatalogErrorCode, number> = {
  [CatalogErrorCode.OFFER_NOT_AVAILABLE]: 409,
  [CatalogErrorCode.EXCLUSIVITY_CONFLICT]: 409,
  [CatalogErrorCode.VENDOR_NOT_APPROVED]: 409,
  [CatalogErrorCode.STORAGE_QUOTA_EXCEEDED]: 413,
};
