/**
 * License templates and machine-readable terms, pricing, Money in integer minor units, the
 * canonical SHA-256 of terms, permits(terms, use) and the exclusivity overlap test. Values and
 * pure rules only, no tables or I/O.
 */
export * from './currency';
export * from './money';
export * from './terms';
export * from './templates';
export * from './template-rules';
export * from './terms-hash';
export * from './pricing';
export * from './offer';
export * from './license-period';
export * from './permits';
export * from './exclusivity';
export * from './data-export';
