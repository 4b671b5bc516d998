export * from './services';
export * from './subject';
export * from './errors';
export * from './system/system.messages';
export * from './system/system.subjects';
export * from './catalog/catalog.messages';
export * from './catalog/catalog.subjects';
