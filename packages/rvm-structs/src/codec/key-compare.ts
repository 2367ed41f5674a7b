/**
 * Compares encoded keys. Because the format preserves order (key-format.ts), comparing the bytes
 * is comparing the keys, and byte equality is key equality.
 */

import { Buffer } from 'node:buffer';

/** Compares two encoded keys with `Buffer.compare` semantics: -1, 0 or 1. */
export function compareKeys(a: Uint8Array, b: Uint8Array): -1 | 0 | 1 {
  return Buffer.compare(a, b);
}

/**
 * Compares `a[aStart, aEnd)` with `b[bStart, bEnd)` like `compareKeys`, without making views:
 * a B-tree page compares a probe with keys that sit inside the page. The ranges are trusted
 * (callers own both buffers); keys are short, so a plain loop beats a native call here.
 */
export function compareKeyRanges(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): -1 | 0 | 1 {
  const aSize = aEnd - aStart;
  const bSize = bEnd - bStart;
  const size = aSize < bSize ? aSize : bSize;
  for (let index = 0; index < size; index++) {
    const aByte = a[aStart + index]!;
    const bByte = b[bStart + index]!;
    if (aByte !== bByte) return aByte < bByte ? -1 : 1;
  }
  return aSize === bSize ? 0 : aSize < bSize ? -1 : 1;
}
