/**
 * A scan's bounds, as a user of leveldb writes them, turned into one B-tree
 * range. Keys are ordered by their UTF-8 bytes, which is Unicode code point
 * order (not JavaScript's `<`, which compares UTF-16 units).
 *
 * - `from` is inclusive and `to` exclusive: [from, to), like leveldb's
 *   [start, limit) and lmdb's { start, end }.
 * - `prefix` keeps the keys that start with it. The keys with a prefix are
 *   contiguous, between the prefix itself and `prefixEnd(prefix)`, so a prefix
 *   is two more bounds: the range is the intersection of all of them.
 */
import { encodeKey } from '@rvm/structs';
import type { RangeOptions } from '@rvm/structs';
import { KvError } from './kv-error.js';

export interface ScanOptions {
  /** Only keys starting with this. */
  readonly prefix?: string;
  /** Only keys >= this. */
  readonly from?: string;
  /** Only keys < this. */
  readonly to?: string;
  /** At most this many entries. */
  readonly limit?: number;
  /** Largest key first. */
  readonly reverse?: boolean;
}

const CODE_POINT_MAX = 0x10ffff;
const SURROGATE_FIRST = 0xd800;
const SURROGATE_LAST = 0xdfff;

/** The B-tree range for `options` (an empty range when the bounds cross). */
export function toRange(options: ScanOptions): RangeOptions<string> {
  const { prefix, from, to, limit, reverse } = options;
  for (const [name, bound] of [['prefix', prefix], ['from', from], ['to', to]] as const) {
    if (bound !== undefined && typeof bound !== 'string') throw new KvError('INVALID_ARGUMENT', `${name} must be a string; got ${typeof bound}.`, { [name]: bound });
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new KvError('INVALID_ARGUMENT', `limit must be a non-negative integer; got ${String(limit)}.`, { limit });
  }
  const lower = larger(prefix, from);
  const upper = smaller(prefix === undefined ? undefined : prefixEnd(prefix), to);
  const range: { gte?: string; lt?: string; limit?: number; reverse?: boolean } = {};
  if (lower !== undefined) range.gte = lower;
  if (upper !== undefined) range.lt = upper;
  if (limit !== undefined) range.limit = limit;
  if (reverse === true) range.reverse = true;
  if (lower !== undefined && upper !== undefined && compare(lower, upper) >= 0) range.limit = 0;
  return range;
}

/**
 * The smallest string above every string that starts with `prefix`, or
 * undefined when there is none (the empty prefix, or one made only of
 * U+10FFFF). It is the prefix with its last code point incremented, after
 * dropping trailing U+10FFFF: every string between the two starts with prefix.
 */
export function prefixEnd(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!;
    if (last === CODE_POINT_MAX) continue;
    const next = last + 1 === SURROGATE_FIRST ? SURROGATE_LAST + 1 : last + 1;
    codePoints.push(next);
    return String.fromCodePoint(...codePoints);
  }
  return undefined;
}

/** Compares two keys in the store's order. */
export function compare(a: string, b: string): number {
  return Buffer.compare(encodeKey(a), encodeKey(b));
}

function larger(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compare(a, b) >= 0 ? a : b;
}

function smaller(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compare(a, b) <= 0 ? a : b;
}
