export * from './codec/index.js';
export { Store, DATA_SEGMENT, SEGMENT_SIZE_DEFAULT } from './store.js';
export type { CollectionInfo, Durability, StoreOptions, TransactionOptions } from './store.js';
export * from './btree/index.js';
export * from './hash-map/index.js';
export * from './list/index.js';
export { StructError, isStructError } from './core/struct-error.js';
export type { StructErrorCode } from './core/struct-error.js';
export type { ValueOptions } from './core/value-options.js';
