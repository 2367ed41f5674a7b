/** The public surface of the kv-store example: the library behind the `kv` command. */
export { IMPORT_BATCH_SIZE, KvStore, TREE_NAME } from './kv-store.js';
export type { ImportOptions, ImportProgress, ImportReport, KvOpenOptions } from './kv-store.js';
export type { KvStats } from './kv-stats.js';
export { isKvError, KvError } from './kv-error.js';
export type { KvErrorCode } from './kv-error.js';
export { checkJson, JSON_DEPTH_MAX } from './json-value.js';
export type { Json } from './json-value.js';
export { formatEntry, parseEntry, parseOp } from './json-lines.js';
export type { BatchOp, DelOp, PutOp } from './json-lines.js';
export { prefixEnd, toRange } from './key-range.js';
export type { ScanOptions } from './key-range.js';
