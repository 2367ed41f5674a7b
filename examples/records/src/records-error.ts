/**
 * Every expected failure of the records layer is a RecordsError with a stable
 * `code`. An invalid record is a SchemaError from @rvm/structs (code
 * SCHEMA_INVALID, with zod's `issues`); errors of the layers below (LOCKED,
 * POISONED, OUT_OF_SPACE, LIMIT_EXCEEDED, ...) pass through unchanged.
 */
export type RecordsErrorCode =
  /** The store holds a newer schema version than this code knows: use the newer code. */
  | 'VERSION_TOO_NEW'
  /** The records exist but no schema version is stored with them: the store was not written by this library. */
  | 'VERSION_MISSING'
  /** update() or insert() met an id that is missing or already there. */
  | 'NOT_FOUND'
  | 'DUPLICATE_ID'
  /** A query named an index this version does not have. */
  | 'UNKNOWN_INDEX'
  /** verify() found a record and its index entries out of step. */
  | 'INDEX_MISMATCH'
  /** An argument has the wrong type or value (a version, a changed id in update). */
  | 'INVALID_ARGUMENT';

export class RecordsError extends Error {
  override readonly name = 'RecordsError';
  readonly code: RecordsErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: RecordsErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.details = details;
  }
}

export function isRecordsError(e: unknown, code?: RecordsErrorCode): e is RecordsError {
  return e instanceof RecordsError && (code === undefined || e.code === code);
}
