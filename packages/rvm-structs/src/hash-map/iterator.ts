/**
 * Iteration over a HashMap in storage order: bucket 0 .. n-1, each chain from
 * its first page, each page's records in order. The order is unspecified to
 * callers and changes with every split or merge.
 *
 * An iterator holds a position (bucket, page, record offset), which means
 * something only while the map is unchanged. Each step therefore asks its
 * IteratorGuard (core/iterator-guard.ts) first and throws ITERATOR_INVALIDATED
 * once the map was mutated, or the transaction it was created in ended, or
 * the store closed: it never returns an entry twice, skips one, or reads a
 * freed page. Segment growth alone does not stale it (each step reads
 * `ctx.bytes` afresh).
 */
import type { Key } from '../codec/key-codec.js';
import { IteratorGuard } from '../core/iterator-guard.js';
import { StructError } from '../core/struct-error.js';
import {
  BLOB_REF_SIZE, CELL_BLOB, corrupt, directoryEntryOffset, HEADER_BUCKET_COUNT, PAGE_DATA_SIZE, PAGE_HEADER_SIZE, PAGE_NEXT, PAGE_SIZE,
  RECORD_HEADER_SIZE, RECORD_KEY_FIELD, RECORD_VALUE_FIELD,
} from './format.js';
import type { HashMap } from './hash-map.js';

export const ITERATE_KEYS = 0;
export const ITERATE_VALUES = 1;
export const ITERATE_ENTRIES = 2;
type IterateMode = typeof ITERATE_KEYS | typeof ITERATE_VALUES | typeof ITERATE_ENTRIES;

export class HashMapIterator<K extends Key, V, R> implements IterableIterator<R> {
  private readonly guard: IteratorGuard;
  /** The next bucket to enter once the current chain ends. */
  private bucket = 0;
  /** The current page, or 0 between chains. */
  private page = 0;
  /** The next record to return, inside `page`. */
  private pos = 0;
  private done = false;

  constructor(
    private readonly map: HashMap<K, V>,
    private readonly mode: IterateMode,
  ) {
    this.guard = new IteratorGuard(map.ctx, map._changeCount());
  }

  next(): IteratorResult<R> {
    if (this.done) return { done: true, value: undefined };
    const map = this.map;
    if (map._destroyed) {
      throw new StructError('ITERATOR_INVALIDATED', 'The HashMap this iterator walks was destroyed.', { headerOffset: map.headerOffset });
    }
    this.guard.check(map._changeCount(), 'HashMap iterator', { headerOffset: map.headerOffset });
    const bytes = map.ctx.bytes;
    const header = map.headerOffset;
    for (;;) {
      if (this.page === 0) {
        if (this.bucket >= bytes.readUInt32LE(header + HEADER_BUCKET_COUNT)) {
          this.done = true;
          return { done: true, value: undefined };
        }
        this.page = bytes.readUInt32LE(directoryEntryOffset(bytes, header, this.bucket));
        this.bucket++;
        this.pos = this.page + PAGE_HEADER_SIZE;
        continue;
      }
      const page = this.page;
      if (page + PAGE_SIZE > bytes.length) throw corrupt(header, page, 'a page lies outside the segment');
      const used = bytes.readUInt16LE(page);
      if (used > PAGE_DATA_SIZE) throw corrupt(header, page, `a page claims ${used} bytes of records`);
      const end = page + PAGE_HEADER_SIZE + used;
      const pos = this.pos;
      if (pos >= end) {
        this.page = bytes.readUInt32LE(page + PAGE_NEXT);
        this.pos = this.page + PAGE_HEADER_SIZE;
        continue;
      }
      const keyField = bytes.readUInt16LE(pos + RECORD_KEY_FIELD);
      const valueField = bytes.readUInt16LE(pos + RECORD_VALUE_FIELD);
      const size = RECORD_HEADER_SIZE + (keyField === CELL_BLOB ? BLOB_REF_SIZE : keyField) + (valueField === CELL_BLOB ? BLOB_REF_SIZE : valueField);
      if (pos + size > end) throw corrupt(header, pos, 'a record runs past its page');
      this.pos = pos + size;
      // Decoding runs the codec (and maybe a schema): take what it needs before it can run anything else.
      switch (this.mode) {
        case ITERATE_KEYS:
          return { done: false, value: map._keyAt(pos) as unknown as R };
        case ITERATE_VALUES:
          return { done: false, value: map._valueAt(pos) as unknown as R };
        default: {
          const key = map._keyAt(pos);
          return { done: false, value: [key, map._valueAt(pos)] as R };
        }
      }
    }
  }

  /** Stops early (for `break` in for-of); a later next() reports done. */
  return(): IteratorResult<R> {
    this.done = true;
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }
}
