/**
 * The dataset model every service shares: modality, languages (BCP 47), domain, annotation,
 * volume, collection, compliance and quality. Values and pure rules only, no tables or I/O.
 * Filled in with the catalog.
 */
export {};
