/**
 * @rvm/alloc: a recoverable allocator inside an RVM segment. Allocations,
 * frees and roots are changed only through the caller's transaction, so they
 * commit, abort and survive crashes together with the caller's writes.
 * This file is the package's only public surface.
 */
export { Heap } from './heap.js';
export type { HeapFormatOptions, HeapOptions } from './heap.js';
export { HeapError, isHeapError } from './heap-error.js';
export type { HeapErrorCode } from './heap-error.js';
export type { HeapBlock, HeapClassStats, HeapStats } from './heap-walk.js';
export { ALLOC_SIZE_MAX, BLOCK_HEADER_SIZE, BLOCK_SIZE_MIN, HEAP_FORMAT_VERSION, HEAP_SIZE_MAX, HEAP_SIZE_MIN, ROOT_COUNT } from './layout.js';
export { ROOT_NAME_SIZE_MAX } from './roots.js';
