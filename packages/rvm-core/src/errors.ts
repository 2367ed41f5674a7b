/**
 * Every expected failure of the library is an `RvmError` with a stable `code`.
 * Codes never change meaning; messages may be reworded. Tests assert codes and
 * fields, not message text. A violated internal invariant is a bug and throws
 * `AssertionError` from `assert()` instead.
 */

export type RvmErrorCode =
  /** An argument has the wrong type or value (size 0, fractional offset, bad option). */
  | 'INVALID_ARGUMENT'
  /** An offset or length falls outside the segment. */
  | 'OUT_OF_RANGE'
  /** A segment name is not valid (see SEGMENT_NAME_PATTERN). */
  | 'INVALID_NAME'
  /** The Rvm instance was closed; open a new one. */
  | 'CLOSED'
  /** The transaction has already committed or aborted. */
  | 'TX_CLOSED'
  /** abort() on a transaction begun with { restore: false }. */
  | 'NO_RESTORE'
  /** Two open transactions declared overlapping bytes. */
  | 'CONFLICT'
  /** Another process (or another Rvm in this process) holds the store. */
  | 'LOCKED'
  /** The redo log failed validation (bad checksum followed by valid records, wrong store, bad header). */
  | 'LOG_CORRUPT'
  /** The store metadata file is damaged or missing while a log exists. */
  | 'STORE_CORRUPT'
  /** Inspection (which never creates a store) found no directory, or no store file in it. */
  | 'STORE_NOT_FOUND'
  /** The files were written by an unknown format version. */
  | 'VERSION_MISMATCH'
  /** A segment file the log refers to is missing. */
  | 'SEGMENT_MISSING'
  /** map(name, size) with a size different from the stored one. */
  | 'SIZE_MISMATCH'
  /** A segment does not exist and map() was given no size to create it. */
  | 'SEGMENT_NOT_FOUND'
  /** The segment is mapped (map twice, destroy while mapped). */
  | 'SEGMENT_MAPPED'
  /** The segment is not mapped by this instance (unmapped, or from another Rvm). */
  | 'SEGMENT_NOT_MAPPED'
  /** The segment has an open transaction touching it (unmap). */
  | 'SEGMENT_BUSY'
  /** checkWrites found bytes changed without setRange (details.writes lists them). */
  | 'UNDECLARED_WRITE'
  /** The operation would exceed a configured limit. */
  | 'LIMIT_EXCEEDED'
  /** A read, write or sync failed; the outcome on disk is unknown. */
  | 'IO_ERROR'
  /** The disk is full. */
  | 'NO_SPACE'
  /** An earlier write or sync failed; the instance refuses commits until it is closed and reopened. */
  | 'POISONED';

export class RvmError extends Error {
  override readonly name = 'RvmError';
  readonly code: RvmErrorCode;
  /** Structured details (segment, offset, length, path, ...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: RvmErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** A bug check. Cheap assertions stay on in production. */
export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new AssertionError(`assertion failed: ${why}`);
}

/** Whether `e` is an RvmError, optionally with the given code. */
export function isRvmError(e: unknown, code?: RvmErrorCode): e is RvmError {
  return e instanceof RvmError && (code === undefined || e.code === code);
}

/**
 * Maps an error thrown by the storage layer (Node's fs errors or the simulated
 * storage, both carrying an errno-style `code`) to an RvmError.
 */
export function ioError(e: unknown, what: string, details: Record<string, unknown> = {}): RvmError {
  if (e instanceof RvmError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new RvmError('NO_SPACE', `${what} failed: the disk is full. Free space, then close and reopen the store.`, { ...details, errno: code }, e);
  }
  return new RvmError('IO_ERROR', `${what} failed (${String(code ?? e)}). The outcome on disk is unknown: close and reopen the store to recover.`, { ...details, errno: code }, e);
}
