/**
 * The dataset model every service shares: modality, languages (BCP 47), domain, annotation,
 * volume, collection, compliance and quality, a profile per modality, the validation that
 * lists every wrong field, and the Croissant card. Values and pure rules only, no tables or I/O.
 */
export * from './vocabulary';
export * from './language';
export * from './profiles';
export * from './compliance';
export * from './metadata';
export * from './validate';
export * from './croissant';
export * from './metadata.examples';
export * from './labels';
export * from './invisible';
export * from './read-alike';
export * from './file-path';
export * from './metered-volume';
