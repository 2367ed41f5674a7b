/** The B-tree of @rvm/structs: an ordered map in slotted-page nodes (format.ts). */
export { BTree } from './btree.js';
export type { BTreeOptions } from './btree.js';
export { BTreeIterator } from './iterator.js';
export type { RangeOptions } from './iterator.js';
export type { BTreeStats } from './verify.js';
export { BULK_FILL, BULK_FILL_MIN } from './bulk-load.js';
export type { BulkLoadOptions } from './bulk-load.js';
export {
  BTREE_FORMAT_VERSION, BTREE_MAGIC, cellSizeMaxFor, keySizeMaxFor, NODE_SIZE_DEFAULT as BTREE_NODE_SIZE_DEFAULT, NODE_SIZE_MAX as BTREE_NODE_SIZE_MAX,
  NODE_SIZE_MIN as BTREE_NODE_SIZE_MIN, VALUE_SIZE_MAX as BTREE_VALUE_SIZE_MAX,
} from './format.js';
