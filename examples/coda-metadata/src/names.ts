/**
 * What a directory entry name may be. The rules are those of a Unix file
 * system: no '/', no NUL, at most NAME_SIZE_MAX bytes of UTF-8; '.' and '..'
 * exist in every directory but are never created, removed or renamed by name.
 */
import { FsError } from './errors.js';

export const NAME_SIZE_MAX = 255;
/** A symbolic link's target, in bytes of UTF-8 (Linux allows 4095; a metadata store needs less). */
export const TARGET_SIZE_MAX = 1024;

/** In 'u' mode a surrogate pair is one code point, so only a lone surrogate is in category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

export const DOT = '.';
export const DOT_DOT = '..';

export function isDotName(name: string): boolean {
  return name === DOT || name === DOT_DOT;
}

/** Checks a name to look up: '.' and '..' allowed. */
export function checkLookupName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/') || name.includes('\0')) {
    throw new FsError('EINVAL', `"${String(name)}" is not a name: a name is non-empty and holds no '/' or NUL. Split paths with resolve().`, { name });
  }
  const size = Buffer.byteLength(name, 'utf8');
  if (size > NAME_SIZE_MAX) {
    throw new FsError('ENAMETOOLONG', `A name has at most ${NAME_SIZE_MAX} bytes of UTF-8; this one has ${size}. Use a shorter name.`, { name, size, sizeMax: NAME_SIZE_MAX });
  }
  if (LONE_SURROGATE.test(name)) {
    throw new FsError('EINVAL', 'A name must be well-formed Unicode (it holds a lone surrogate).', { name });
  }
}

/** Checks a name to create, remove or rename: '.' and '..' refused. */
export function checkEntryName(name: string): void {
  checkLookupName(name);
  if (isDotName(name)) {
    throw new FsError('EINVAL', `"${name}" names the directory itself or its parent; it cannot be created, removed or renamed.`, { name });
  }
}

export function checkTarget(target: string): void {
  if (typeof target !== 'string' || target.length === 0 || target.includes('\0')) {
    throw new FsError('EINVAL', 'A symlink target is a non-empty string without NUL.', { target });
  }
  const size = Buffer.byteLength(target, 'utf8');
  if (size > TARGET_SIZE_MAX) {
    throw new FsError('ENAMETOOLONG', `A symlink target has at most ${TARGET_SIZE_MAX} bytes; this one has ${size}.`, { size, sizeMax: TARGET_SIZE_MAX });
  }
  if (LONE_SURROGATE.test(target)) {
    throw new FsError('EINVAL', 'A symlink target must be well-formed Unicode.', { target });
  }
}
