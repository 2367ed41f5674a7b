/** The hash map of @rvm/structs: linear hashing over bucket pages (format.ts). */
export { HashMap } from './hash-map.js';
export type { HashMapOptions } from './hash-map.js';
export { HashMapIterator } from './iterator.js';
export type { HashMapStats } from './inspect.js';
export {
  HASH_MAP_FORMAT_VERSION, HASH_MAP_MAGIC, HASH_SEED_DEFAULT, KEY_INLINE_MAX, KEY_SIZE_MAX, PAGE_SIZE as HASH_MAP_PAGE_SIZE,
  VALUE_INLINE_MAX, VALUE_SIZE_MAX,
} from './format.js';
