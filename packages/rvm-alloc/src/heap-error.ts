/**
 * Every expected failure of the allocator is a `HeapError` with a stable
 * `code`; errors of the core (TX_CLOSED, CONFLICT, CLOSED, IO_ERROR, ...) pass
 * through as `RvmError`. Codes never change meaning; messages may be reworded.
 * A failed heap call has changed nothing, and its transaction stays usable.
 */

export type HeapErrorCode =
  /** alloc/realloc size is not an integer from 1 to ALLOC_SIZE_MAX. */
  | 'INVALID_SIZE'
  /** The offset is not the start of an allocated block: never allocated, interior, misaligned or outside the heap. */
  | 'INVALID_OFFSET'
  /** free() of a block that is already free (or of a stale pointer to a freed block). */
  | 'DOUBLE_FREE'
  /** No free block fits and the heap may not grow enough (no sizeMax, or sizeMax reached). */
  | 'OUT_OF_SPACE'
  /** grow() past sizeMax or HEAP_SIZE_MAX. */
  | 'LIMIT_EXCEEDED'
  /** An option or argument has the wrong type or value. */
  | 'INVALID_ARGUMENT'
  /** A root name is not 1 to 28 bytes of UTF-8 without NUL. */
  | 'INVALID_ROOT_NAME'
  /** All ROOT_COUNT root entries are in use. */
  | 'ROOTS_FULL'
  /** The segment holds no heap (no magic number at offset 0). */
  | 'NOT_A_HEAP'
  /** format() of a segment that already holds a heap, without { overwrite: true }. */
  | 'HEAP_EXISTS'
  /** The heap was written by another format version. */
  | 'VERSION_MISMATCH'
  /** The heap's metadata is damaged: a header, link, footer or the geometry is invalid. */
  | 'HEAP_CORRUPT';

export class HeapError extends Error {
  override readonly name = 'HeapError';
  readonly code: HeapErrorCode;
  /** Structured details (offset, size, heapSize, ...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: HeapErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.details = details;
  }
}

/** Whether `e` is a HeapError, optionally with the given code. */
export function isHeapError(e: unknown, code?: HeapErrorCode): e is HeapError {
  return e instanceof HeapError && (code === undefined || e.code === code);
}
