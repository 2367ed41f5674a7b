/**
 * The allocator's only access to the segment: word reads through a
 * Uint32Array view, and writes that are declared to the transaction first and
 * journalled so that a failed operation can be undone.
 *
 * Invariants:
 * - `words` views `bytes`, and `bytes` is `segment.bytes` as of the last
 *   refresh(). Segment.bytes is replaced when the segment grows, so every
 *   operation refreshes first and again after growing; nothing else is cached.
 * - Declaration filter: a slot whose stamp equals `filterStamp` names an
 *   8-byte granule that `filterTx` has declared with setRange. Declared ranges
 *   stay declared until the transaction ends, and a transaction is known by its
 *   object and its id (ids are never reused by an Rvm), so skipping setRange
 *   for such a granule changes nothing (setRange would return at once). Another
 *   transaction gets a new stamp; a closed one never reaches the filter.
 * - Every declaration covers whole granules, so a granule marked in the filter
 *   is declared in full.
 * - The journal holds (word index, old value) for every put() since begin(),
 *   so rollback() restores the words the operation changed, newest first.
 */
import type { Segment, Transaction } from '@rvm/core';
import { assert } from './assert.js';

/**
 * Filter slots: about one per 512 bytes of segment (8 bytes each, so 1.6% of
 * the segment), from 4,096 to 65,536. A transaction that works over a large
 * heap touches many granules, and every miss costs a setRange call.
 */
const FILTER_SLOT_COUNT_MIN = 4096;
const FILTER_SLOT_COUNT_MAX = 65536;
const FILTER_SEGMENT_SIZE_PER_SLOT = 512;
/** Declarations longer than this many granules bypass the filter (payload copies). */
const FILTER_GRANULE_COUNT_MAX = 4;
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class HeapMemory {
  bytes: Buffer;
  words: Uint32Array;
  private tx: Transaction | null = null;
  private filterTx: Transaction | null = null;
  private filterTxId = -1;
  private filterStamp = 0;
  private filterGranules = new Int32Array(0);
  private filterStamps = new Int32Array(0);
  private filterMask = 0;
  private journalIndexes = new Int32Array(64);
  private journalValues = new Uint32Array(64);
  private journalCount = 0;

  constructor(readonly segment: Segment) {
    // The format is little-endian and words are read through a native-order view.
    assert(IS_LITTLE_ENDIAN, 'the platform is little-endian (big-endian hosts are not supported)');
    this.bytes = segment.bytes;
    this.words = viewOf(this.bytes);
    this.sizeFilter();
  }

  /** Takes a new view when the segment's Buffer was replaced (it grew). */
  refresh(): void {
    const bytes = this.segment.bytes;
    if (bytes !== this.bytes) {
      assert(this.journalCount === 0, 'the segment grows only before an operation writes');
      this.bytes = bytes;
      this.words = viewOf(bytes);
      this.sizeFilter();
    }
  }

  /** Makes the filter as large as the segment calls for; a new filter is empty (every granule misses once). */
  private sizeFilter(): void {
    let count = FILTER_SLOT_COUNT_MIN;
    while (count < FILTER_SLOT_COUNT_MAX && count * FILTER_SEGMENT_SIZE_PER_SLOT < this.bytes.length) count *= 2;
    if (count <= this.filterGranules.length) return;
    this.filterGranules = new Int32Array(count).fill(-1);
    this.filterStamps = new Int32Array(count);
    this.filterMask = count - 1;
  }

  /** Starts an operation that changes the heap inside `tx`. */
  begin(tx: Transaction): void {
    // A closed transaction must not reach the filter: setRange reports TX_CLOSED.
    if (!tx.open) tx.setRange(this.segment, 0, 0);
    if (tx !== this.filterTx || tx.id !== this.filterTxId) {
      this.filterTx = tx;
      this.filterTxId = tx.id;
      this.filterStamp++;
      if (this.filterStamp === 0x7fff_ffff) {
        this.filterStamp = 1;
        this.filterStamps.fill(0);
      }
    }
    this.tx = tx;
    this.journalCount = 0;
    this.refresh();
  }

  /** Ends the operation begun by begin(); its changes stay. */
  end(): void {
    this.tx = null;
    this.journalCount = 0;
  }

  /** Declares bytes [offset, offset + length) (widened to whole granules) to the transaction. */
  declare(offset: number, length: number): void {
    assert(length > 0, 'declare: a non-empty range');
    const first = offset >>> 3;
    const last = (offset + length - 1) >>> 3;
    const granules = this.filterGranules;
    const stamps = this.filterStamps;
    const mask = this.filterMask;
    const stamp = this.filterStamp;
    const count = last - first + 1;
    if (count <= FILTER_GRANULE_COUNT_MAX) {
      let g = first;
      while (g <= last && granules[g & mask] === g && stamps[g & mask] === stamp) g++;
      if (g > last) return;
    }
    const tx = this.tx;
    assert(tx !== null, 'declare inside an operation');
    tx.setRange(this.segment, first * 8, count * 8);
    if (count <= FILTER_GRANULE_COUNT_MAX) {
      for (let g = first; g <= last; g++) {
        granules[g & mask] = g;
        stamps[g & mask] = stamp;
      }
    }
  }

  /** Writes a word that has been declared, journalling its old value. */
  put(offset: number, value: number): void {
    const index = offset >>> 2;
    const n = this.journalCount;
    if (n === this.journalIndexes.length) this.growJournal();
    this.journalIndexes[n] = index;
    this.journalValues[n] = this.words[index]!;
    this.journalCount = n + 1;
    this.words[index] = value;
  }

  /** Undoes every put() of the current operation and ends it. */
  rollback(): void {
    const words = this.words;
    for (let k = this.journalCount - 1; k >= 0; k--) words[this.journalIndexes[k]!] = this.journalValues[k]!;
    this.end();
  }

  private growJournal(): void {
    const indexes = new Int32Array(this.journalIndexes.length * 2);
    indexes.set(this.journalIndexes);
    this.journalIndexes = indexes;
    const values = new Uint32Array(this.journalValues.length * 2);
    values.set(this.journalValues);
    this.journalValues = values;
  }
}

/** A Uint32Array over the same memory as `bytes`. */
export function viewOf(bytes: Buffer): Uint32Array {
  assert(bytes.byteOffset % 4 === 0, 'a segment Buffer is 4-byte aligned');
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
}
