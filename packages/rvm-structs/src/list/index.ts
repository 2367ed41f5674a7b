/** The list of @rvm/structs: a counted B+-tree of encoded elements (format.ts). */
export { List } from './list.js';
export type { ListOptions } from './list.js';
export { ListCursor, ListIterator } from './cursor.js';
export type { ListStats } from './inspect.js';
export { ELEMENT_INLINE_MAX, ELEMENT_SIZE_MAX, LIST_FORMAT_VERSION, LIST_MAGIC } from './format.js';
