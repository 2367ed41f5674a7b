/**
 * Every expected failure of the key-value layer is a KvError with a stable
 * `code`. Errors of the layers below pass through unchanged with their own
 * codes: LOCKED, POISONED, IO_ERROR (@rvm/core), OUT_OF_SPACE (@rvm/alloc),
 * VALUE_TOO_LARGE, NO_TRANSACTION (@rvm/structs).
 */
export type KvErrorCode =
  /** A key is not a string, or has a lone surrogate (which UTF-8 cannot represent). */
  | 'INVALID_KEY'
  /** A key encodes to more than `keySizeMax` bytes (about 1000 with the default 4 KiB nodes). */
  | 'KEY_TOO_LARGE'
  /** A value is not plain JSON (undefined, NaN, a Date, a Map, a bigint, a cycle, ...). */
  | 'INVALID_VALUE'
  /** A line of an import or a batch file is not the JSON object it should be. */
  | 'INVALID_LINE'
  /** An option has the wrong type or value. */
  | 'INVALID_ARGUMENT';

export class KvError extends Error {
  override readonly name = 'KvError';
  readonly code: KvErrorCode;
  /** The message without the code in front. */
  readonly reason: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: KvErrorCode, reason: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${reason}`);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

export function isKvError(e: unknown, code?: KvErrorCode): e is KvError {
  return e instanceof KvError && (code === undefined || e.code === code);
}
