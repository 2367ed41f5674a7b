/**
 * Errors of the codec layer. Every expected failure is a `CodecError` with a stable `code`;
 * codes never change meaning, messages may be reworded, so tests and callers branch on `code`
 * and read details from fields. A violated internal invariant is a bug and throws
 * `CodecAssertionError` from `assert()` instead.
 *
 * The codec has no dependency on `@rvm/core`, so it keeps its own small error class; the codes
 * are disjoint from `RvmErrorCode` so both can be reported side by side.
 */

export type CodecErrorCode =
  /** A key is not a `Key` (undefined, object, NaN, a lone surrogate, nesting too deep or cyclic). Remedy: map the value to a supported key type first. */
  | 'INVALID_KEY'
  /** Bytes given to `decodeKey` are not one canonical encoded key. Remedy: treat the page as corrupt; never repair by guessing. */
  | 'KEY_CORRUPT'
  /** A value does not have the type its codec encodes (for example a string given to `rawCodec`). Remedy: use a codec for that type. */
  | 'INVALID_VALUE'
  /** Bytes given to a value codec's `decode` could not be decoded. Remedy: treat the record as corrupt. */
  | 'VALUE_CORRUPT'
  /** A value failed its zod schema (see `SchemaError.issues`). Remedy: fix the value, or migrate stored data to the new schema. */
  | 'SCHEMA_INVALID'
  /** An argument is out of its domain (a negative offset, end before start). Remedy: fix the caller. */
  | 'INVALID_ARGUMENT';

export class CodecError extends Error {
  override readonly name: string = 'CodecError';
  readonly code: CodecErrorCode;
  /** Structured details (offset, tag, depth, ...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: CodecErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

/** Whether `e` is a CodecError, optionally with the given code. */
export function isCodecError(e: unknown, code?: CodecErrorCode): e is CodecError {
  return e instanceof CodecError && (code === undefined || e.code === code);
}

export class CodecAssertionError extends Error {
  override readonly name = 'CodecAssertionError';
}

/** A bug check. These are cheap and stay on in production. */
export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new CodecAssertionError(`assertion failed: ${why}`);
}
