/**
 * License templates and machine-readable terms, pricing, Money in integer minor units, the
 * canonical SHA-256 of terms, permits(terms, use) and the exclusivity overlap test. Values and
 * pure rules only, no tables or I/O. Filled in with the catalog's offers.
 */
export {};
