/**
 * Every expected failure of a file-server operation is an FsError with a
 * stable POSIX-style `code`, a message that says what to do, and the operands
 * as `details`. Tests and callers branch on `code`, never on the text.
 * Errors of the layers below (RvmError, StructError, CodecError) pass through
 * unchanged: they are not the caller's mistake but the store's condition.
 */
export type FsErrorCode =
  /** A name or path component does not exist. */
  | 'ENOENT'
  /** The target name exists already (create, mkdir, symlink, link, a volume name). */
  | 'EEXIST'
  /** A path component, or the directory argument, is not a directory. */
  | 'ENOTDIR'
  /** A directory was given where a non-directory is required (unlink, link source, rename over it, setattr length). */
  | 'EISDIR'
  /** rmdir of, or rename over, a directory that holds entries. */
  | 'ENOTEMPTY'
  /** An argument is malformed: a name with '/', '.' or '..' as a target, a mode out of range, moving a directory into itself. */
  | 'EINVAL'
  /** A fid names no live vnode: it was removed, or its vnode number was reused (the uniquifier differs). */
  | 'ESTALE'
  /** Path resolution followed more than SYMLINK_FOLLOW_MAX symbolic links. */
  | 'ELOOP'
  /** A name is longer than NAME_SIZE_MAX bytes, or a symlink target longer than TARGET_SIZE_MAX. */
  | 'ENAMETOOLONG'
  /** A hard link to a directory. */
  | 'EPERM'
  /** The volume root cannot be removed or renamed. */
  | 'EBUSY'
  /** A link or rename between two volumes (each volume has its own vnode table). */
  | 'EXDEV'
  /** The volume has used every vnode number (2^32 - 1). */
  | 'ENOSPC';

export class FsError extends Error {
  override readonly name = 'FsError';
  readonly code: FsErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: FsErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.details = details;
  }
}

export function isFsError(e: unknown, code?: FsErrorCode): e is FsError {
  return e instanceof FsError && (code === undefined || e.code === code);
}

/** A bug, not an expected condition: stays on in production because it is cheap. */
export class CodaAssertionError extends Error {
  override readonly name = 'CodaAssertionError';
}

export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new CodaAssertionError(`assertion failed: ${why}`);
}
