/**
 * @rvm/structs: typed persistent collections (B-tree, hash map, list) and
 * typed fixed layouts in RVM segments, whose writes declare themselves in the
 * current transaction. This file is the package's only public surface.
 */
export * from './codec/index.js';
export { Store, DATA_SEGMENT, SEGMENT_SIZE_DEFAULT } from './store.js';
export type { CollectionInfo, Durability, StoreOptions, TransactionOptions } from './store.js';
export { COLLECTION_KINDS } from './store/kinds.js';
export type { CollectionKind } from './store/kinds.js';
export { CATALOG_ROOT, NAME_LENGTH_MAX } from './store/catalog.js';
export * from './btree/index.js';
export * from './hash-map/index.js';
export * from './list/index.js';
export * from './layout/index.js';
export { StructContext } from './core/struct-context.js';
export { StructError, isStructError } from './core/struct-error.js';
export type { StructErrorCode } from './core/struct-error.js';
export type { ValueOptions } from './core/value-options.js';
