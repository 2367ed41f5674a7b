/**
 * Named roots: a fixed table in the heap header through which structures are
 * found again after a restart.
 *
 * ROOT ENTRY (ROOT_ENTRY_SIZE bytes at ROOTS_OFFSET + index * ROOT_ENTRY_SIZE)
 *  offset size field
 *       0    4 offset  the caller's offset of an allocated block (never 0 in a used entry)
 *       4   28 name    UTF-8, 1 to 28 bytes without NUL, zero-padded
 * An entry is in use iff name byte 0 is not zero; an unused entry is all zeros.
 */
import { HeapError } from './heap-error.js';
import { ROOT_COUNT, ROOT_ENTRY_SIZE, ROOTS_OFFSET } from './layout.js';

export const ROOT_NAME_SIZE_MAX = ROOT_ENTRY_SIZE - 4;

/** The name's bytes, zero-padded to ROOT_NAME_SIZE_MAX; INVALID_ROOT_NAME when it cannot be stored. */
export function encodeRootName(name: string): Buffer {
  if (typeof name !== 'string') throw new HeapError('INVALID_ROOT_NAME', `A root name must be a string; got ${typeof name}.`, { name });
  const encoded = Buffer.from(name, 'utf8');
  if (encoded.length === 0 || encoded.length > ROOT_NAME_SIZE_MAX || encoded.includes(0)) {
    throw new HeapError('INVALID_ROOT_NAME', `Root name ${JSON.stringify(name)} is ${encoded.length} bytes of UTF-8; use 1 to ${ROOT_NAME_SIZE_MAX} bytes without NUL.`, { name, size: encoded.length });
  }
  const padded = Buffer.alloc(ROOT_NAME_SIZE_MAX);
  encoded.copy(padded);
  return padded;
}

export function rootEntryOffset(index: number): number {
  return ROOTS_OFFSET + index * ROOT_ENTRY_SIZE;
}

/** The index of the entry named `padded`, or -1. */
export function findRoot(bytes: Buffer, padded: Buffer): number {
  for (let index = 0; index < ROOT_COUNT; index++) {
    const name = rootEntryOffset(index) + 4;
    if (bytes.compare(padded, 0, ROOT_NAME_SIZE_MAX, name, name + ROOT_NAME_SIZE_MAX) === 0) return index;
  }
  return -1;
}

/** The index of an unused entry, or -1. */
export function findUnusedRoot(bytes: Buffer): number {
  for (let index = 0; index < ROOT_COUNT; index++) {
    if (bytes[rootEntryOffset(index) + 4] === 0) return index;
  }
  return -1;
}

/** The name stored in entry `index` ('' when unused). */
export function rootName(bytes: Buffer, index: number): string {
  const start = rootEntryOffset(index) + 4;
  let end = start;
  while (end < start + ROOT_NAME_SIZE_MAX && bytes[end] !== 0) end++;
  return bytes.toString('utf8', start, end);
}
