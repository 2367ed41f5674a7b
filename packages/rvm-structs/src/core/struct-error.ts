/**
 * Every expected failure of a persistent structure is a `StructError` with a
 * stable `code`. Errors of the layers below pass through unchanged: RvmError
 * (@rvm/core: CONFLICT, TX_CLOSED, POISONED, ...), HeapError (@rvm/alloc:
 * OUT_OF_SPACE, ...) and CodecError (codec/: INVALID_KEY, SCHEMA_INVALID, ...).
 */
export type StructErrorCode =
  /** A mutation needs a transaction and none is open (see StructContext.tx). */
  | 'NO_TRANSACTION'
  /** An encoded key is longer than the structure allows. */
  | 'KEY_TOO_LARGE'
  /** An encoded value is longer than the structure allows. */
  | 'VALUE_TOO_LARGE'
  /** A position is outside the collection. */
  | 'INDEX_OUT_OF_RANGE'
  /** The collection is empty (pop, shift, first on an empty one where a value is required). */
  | 'EMPTY'
  /** The named root holds another kind of structure, or none. */
  | 'WRONG_KIND'
  /** A structure with this name exists already. */
  | 'EXISTS'
  /** No structure with this name exists. */
  | 'NOT_FOUND'
  /** An iterator or cursor was used after the structure changed or its store closed. */
  | 'ITERATOR_INVALIDATED'
  /** An argument has the wrong type or value. */
  | 'INVALID_ARGUMENT'
  /** The structure's bytes violate its invariants (reported by verify or met while reading). */
  | 'STRUCT_CORRUPT'
  /** The store was written in a format version this library does not read (store/store-format.ts). */
  | 'FORMAT_UNSUPPORTED'
  /**
   * A nested store.transaction(fn) threw and its error was caught inside the
   * outer one; RVM cannot undo part of a transaction, so the whole one was
   * aborted when the outer fn returned. The nested error is `cause`.
   */
  | 'TRANSACTION_ABORTED';

export class StructError extends Error {
  override readonly name = 'StructError';
  readonly code: StructErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: StructErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.details = details;
  }
}

export function isStructError(e: unknown, code?: StructErrorCode): e is StructError {
  return e instanceof StructError && (code === undefined || e.code === code);
}
