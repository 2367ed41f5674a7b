/**
 * Committed transactions whose new values have not been written to the log
 * yet. Each commit snapshots its ranges here (the segment bytes may change
 * again before the batch is written). When the batch is written, all its
 * commits become ONE record (format/log-record.ts). Because a record is
 * atomic, a crash recovers none or all of the batch, which is still a prefix
 * of the commit order; this is what allows the inter-transaction
 * optimisation of LRVM: when ranges of the batch overlap, they are merged and
 * bytes overwritten by a later commit of the batch are written once.
 *
 * Ranges are snapshotted straight into record layout ({ u32 segmentIndex,
 * u32 length, u64 offset, data, padding }) behind HEAD_ROOM free bytes, so
 * when no two ranges overlap (the common case) encode() puts the record
 * header and segment table in front of them and the record is written from
 * this buffer as it is, without another copy. Only a batch with overlaps is
 * rebuilt, cluster by cluster.
 *
 * Finding overlaps without sorting every batch: the caller passes, per
 * segment, an array of page stamps (one Int32 per 4 KiB page, kept in
 * segment/dirty-pages.ts), and addRange records in it the serial of the
 * commit that last touched each page. Ranges of one commit never overlap (the
 * transaction's RangeSet merges them), so two ranges of the batch can share a
 * byte only if a range touches a page whose stamp is the serial of an EARLIER
 * commit of this batch, i.e. in [batchFirstSerial, commitSerial). Only then is
 * `overlapPossible` set and encode() sorts the ranges to look; a batch without
 * it is known to be disjoint and is written as it is. Stale stamps (from
 * earlier batches, or from before the serial wrapped) can only make the test
 * say "possible" wrongly, never miss an overlap: a page touched by an earlier
 * commit of this batch holds that commit's serial, unless a later commit of
 * this batch overwrote it with its own, which is also in the window. When the
 * serial wraps inside a batch, the batch is marked overlapPossible.
 *
 * Memory: parallel typed arrays and one body buffer, grown by doubling (or
 * to a whole large commit at once, reserve()) and reused after every write,
 * so steady-state commits allocate nothing; a batch larger than steady state
 * allows (dataSizeKeepMax) gives its memory back when it is cleared.
 */
import { BATCH_SIZE_MAX_DEFAULT } from '../constants.js';
import { copyBytes, WordView } from '../copy-bytes.js';
import { assert } from '../errors.js';
import { pad8, RANGE_HEADER_SIZE, RECORD_HEADER_SIZE, writeRecordHeader, sealRecord } from '../format/log-record.js';
import { writeU64 } from '../format/u64.js';
import { PAGE_SHIFT } from '../segment/dirty-pages.js';

/**
 * Bytes kept free in front of the ranges in `body`, where encode() puts the
 * record header and segment table, so that the usual record (no overlapping
 * ranges, a segment table of up to HEAD_ROOM - RECORD_HEADER_SIZE bytes) is
 * written from `body` as it is: no copy of the ranges into another buffer.
 */
const HEAD_ROOM = 1024;

const BODY_SIZE_INITIAL = 64 * 1024;
const RANGE_COUNT_INITIAL = 64;

/** When the head does not fit HEAD_ROOM: bodies up to this size are copied behind it and written with one write. */
const INLINE_BODY_SIZE_MAX = 64 * 1024;

/** Commit serials run from 1 to this, then wrap to 1 (page stamps are Int32; 0 means "never"). */
const COMMIT_SERIAL_MAX = 0x7fff_ffff;

/** Radix sort digit: 11 bits, so a 32-bit offset takes three passes. */
const RADIX_BITS = 11;
const RADIX_SIZE = 1 << RADIX_BITS;
const RADIX_MASK = RADIX_SIZE - 1;

export class CommitBatch {
  /**
   * clear() releases the memory of a batch that held more range data than
   * this. The Rvm sets it to twice its batchSizeMax (a batch is written once
   * it holds batchSizeMax, so only a commit larger than that passes it).
   */
  dataSizeKeepMax = 2 * BATCH_SIZE_MAX_DEFAULT;
  /** Number of ranges. */
  rangeCount = 0;
  /** Number of commits in the batch. */
  commitCount = 0;
  /** Bytes of range data held (without headers). */
  dataSize = 0;
  /** The ranges occupy body[HEAD_ROOM, bodyEnd), in record layout. */
  private bodyEnd = HEAD_ROOM;
  private body = Buffer.alloc(BODY_SIZE_INITIAL);
  private bodyView = new WordView(this.body);

  private segmentIds = new Int32Array(RANGE_COUNT_INITIAL);
  private offsets = new Float64Array(RANGE_COUNT_INITIAL);
  private lengths = new Float64Array(RANGE_COUNT_INITIAL);
  private bodyPositions = new Float64Array(RANGE_COUNT_INITIAL);

  /** Record-local segment index by segment id (-1: not in this batch), and the names in local order. */
  private localIndex = new Int32Array(16).fill(-1);
  private readonly localIds: number[] = [];
  private readonly localNames: string[] = [];

  /** Serial of the commit being added; stamped into the pages its ranges touch. */
  private commitSerial: number;
  /** Serial of the batch's first commit: page stamps in [batchFirstSerial, commitSerial) are earlier commits of this batch. */
  private batchFirstSerial: number;
  /** Whether two ranges of different commits may share a byte (see the file comment); false means they certainly do not. */
  overlapPossible = false;

  // Scratch space for encode(), reused.
  private order = new Int32Array(RANGE_COUNT_INITIAL);
  private members = new Int32Array(RANGE_COUNT_INITIAL);
  private sortScratch = new Int32Array(RANGE_COUNT_INITIAL);
  private sortDigits = new Int32Array(RANGE_COUNT_INITIAL);
  private readonly radixCounts = new Int32Array(RADIX_SIZE);

  /** `commitSerialStart` exists for tests of the serial wrap; the default suits everything else. */
  constructor(commitSerialStart = 1) {
    assert(Number.isInteger(commitSerialStart) && commitSerialStart >= 1 && commitSerialStart <= COMMIT_SERIAL_MAX, 'a commit serial is a positive Int32');
    this.commitSerial = commitSerialStart;
    this.batchFirstSerial = commitSerialStart;
  }

  /**
   * After encode(), where the record is: record[recordStart, recordStart +
   * size - detachedSize), followed, when `detached` is non-null, by
   * detached[detachedStart, detachedStart + detachedSize). `record` is the
   * batch's own memory (the usual case) or the `out` buffer given to encode().
   */
  record: Buffer = this.body;
  recordStart = 0;
  detached: Buffer | null = null;
  detachedStart = 0;
  detachedSize = 0;

  /**
   * Snapshots source.bytes[offset, offset + length) of segment `segmentId`
   * (named `name`; `source` is the WordView of its memory, Segment._view) as
   * part of the current commit. `pageStamps` holds one entry per
   * 4 KiB page of that segment, used only by batches and kept across them
   * (see the file comment); null makes the batch assume ranges may overlap.
   */
  addRange(segmentId: number, name: string, source: WordView, offset: number, length: number, pageStamps: Int32Array | null = null): void {
    assert(length > 0 && length <= 0xffff_ffff, 'a batch range is non-empty and its length is a u32');
    assert(offset >= 0 && offset + length <= source.bytes.length, 'a batch range lies inside its segment');
    const i = this.rangeCount;
    if (i === this.segmentIds.length) this.growRanges();
    let local = segmentId < this.localIndex.length ? this.localIndex[segmentId]! : -1;
    if (local < 0) local = this.addSegment(segmentId, name);
    if (pageStamps === null) this.overlapPossible = true;
    else {
      // A range within one page (the common case) is stamped here: the call
      // to stampPages cost ~25 ns a range, measured in the group-commit path.
      const page = offset >>> PAGE_SHIFT;
      if (page === (offset + length - 1) >>> PAGE_SHIFT && page < pageStamps.length) {
        const stamp = pageStamps[page]!;
        if (stamp >= this.batchFirstSerial && stamp < this.commitSerial) this.overlapPossible = true;
        pageStamps[page] = this.commitSerial;
      } else {
        this.stampPages(pageStamps, offset, offset + length);
      }
    }
    const padded = pad8(length);
    const pos = this.bodyEnd;
    const end = pos + RANGE_HEADER_SIZE + padded;
    if (end > this.body.length) this.growBody(end);
    const body = this.body;
    writeU32(body, pos, local);
    writeU32(body, pos + 4, length);
    // offset + length <= SEGMENT_SIZE_MAX (2^32): the high word of the u64 offset is zero.
    writeU32(body, pos + 8, offset);
    writeU32(body, pos + 12, 0);
    copyBytes(source, offset, this.bodyView, pos + RANGE_HEADER_SIZE, length);
    for (let z = pos + RANGE_HEADER_SIZE + length; z < end; z++) body[z] = 0;
    this.segmentIds[i] = segmentId;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.bodyPositions[i] = pos;
    this.bodyEnd = end;
    this.dataSize += length;
    this.rangeCount = i + 1;
  }

  /** Stamps the pages of [start, end) with the current commit; notes when an earlier commit of this batch touched one. */
  private stampPages(pageStamps: Int32Array, start: number, end: number): void {
    // Segments are at most 2^32 bytes (SEGMENT_SIZE_MAX), so >>> is exact and avoids a float division.
    const first = start >>> PAGE_SHIFT;
    const last = (end - 1) >>> PAGE_SHIFT;
    assert(end <= 2 ** 32 && last < pageStamps.length, 'page stamps cover the range');
    const serial = this.commitSerial;
    const batchFirst = this.batchFirstSerial;
    for (let p = first; p <= last; p++) {
      const stamp = pageStamps[p]!;
      if (stamp >= batchFirst && stamp < serial) this.overlapPossible = true;
      pageStamps[p] = serial;
    }
  }

  endCommit(): void {
    this.commitCount++;
    if (this.commitSerial === COMMIT_SERIAL_MAX) {
      // Stamps of this batch's earlier commits are now above the serial: the window test no longer sees them.
      this.commitSerial = 1;
      this.overlapPossible = true;
    } else {
      this.commitSerial++;
    }
  }

  isEmpty(): boolean {
    return this.commitCount === 0;
  }

  clear(): void {
    // The memory of a batch larger than batches get in steady state (one huge commit: a bulk
    // load of 100 MB) is released, not kept for good. Batches up to dataSizeKeepMax keep theirs:
    // releasing it after every full batch would make the next one grow it again.
    if (this.dataSize > this.dataSizeKeepMax) this.release();
    for (const id of this.localIds) this.localIndex[id] = -1;
    this.localIds.length = 0;
    this.localNames.length = 0;
    this.rangeCount = 0;
    this.commitCount = 0;
    this.dataSize = 0;
    this.bodyEnd = HEAD_ROOM;
    this.detached = null;
    this.detachedSize = 0;
    this.overlapPossible = false;
    this.batchFirstSerial = this.commitSerial;
  }

  /** An upper bound of the size of the part of the record encode() may put in `out`. */
  encodedSizeMax(): number {
    return RECORD_HEADER_SIZE + this.segmentTableSize() + (this.bodyEnd - HEAD_ROOM);
  }

  /**
   * Encodes the batch as one record and returns its total size; `record`,
   * `recordStart` and `detached*` then tell where it is (see `record`).
   * `out` must hold encodedSizeMax() bytes; it is used only when the record
   * cannot be completed in the batch's own memory: ranges to merge, or a
   * segment table too large for HEAD_ROOM.
   */
  encode(out: Buffer, salt: number, sequence: number, durableSequence: number): number {
    assert(this.commitCount > 0 && this.rangeCount > 0, 'encode of an empty batch');
    const headSize = RECORD_HEADER_SIZE + this.segmentTableSize();
    const bodySize = this.bodyEnd - HEAD_ROOM;
    let rangeCount = this.rangeCount;
    let record = out;
    let start = 0;
    let size = headSize + bodySize;
    this.detached = null;
    this.detachedStart = 0;
    this.detachedSize = 0;
    if (this.overlapPossible && this.anyOverlap()) {
      this.writeSegmentTable(out, RECORD_HEADER_SIZE, headSize);
      const merged = this.encodeMerged(out, headSize);
      rangeCount = merged.rangeCount;
      size = merged.end;
    } else if (headSize <= HEAD_ROOM) {
      // The usual record: its head goes right in front of the ranges.
      record = this.body;
      start = HEAD_ROOM - headSize;
      this.writeSegmentTable(record, start + RECORD_HEADER_SIZE, HEAD_ROOM);
    } else {
      this.writeSegmentTable(out, RECORD_HEADER_SIZE, headSize);
      if (bodySize <= INLINE_BODY_SIZE_MAX) {
        this.body.copy(out, headSize, HEAD_ROOM, this.bodyEnd);
      } else {
        this.detached = this.body;
        this.detachedStart = HEAD_ROOM;
        this.detachedSize = bodySize;
      }
    }
    writeRecordHeader(record, start, salt, size, sequence, durableSequence, this.commitCount, this.localNames.length, rangeCount);
    const words = record === this.body ? this.bodyView.words : null;
    if (this.detached === null) {
      sealRecord(record, start, size, words);
    } else {
      sealRecord(record, start, headSize, words, this.detached, this.detachedStart, this.detachedSize);
    }
    this.record = record;
    this.recordStart = start;
    return size;
  }

  /** Bytes of the record's segment table, padded to 8. */
  private segmentTableSize(): number {
    let names = 0;
    for (const name of this.localNames) names += 1 + name.length;
    return pad8(names);
  }

  /** Writes the segment table at buf[pos, end), zero-padded to `end`. */
  private writeSegmentTable(buf: Buffer, pos: number, end: number): void {
    for (const name of this.localNames) {
      buf[pos] = name.length;
      buf.write(name, pos + 1, 'latin1');
      pos += 1 + name.length;
    }
    assert(pos <= end && end - pos < 8, 'the segment table fills its padded size');
    buf.fill(0, pos, end);
  }

  private addSegment(segmentId: number, name: string): number {
    if (segmentId >= this.localIndex.length) {
      const grown = new Int32Array(Math.max(segmentId + 1, this.localIndex.length * 2)).fill(-1);
      grown.set(this.localIndex);
      this.localIndex = grown;
    }
    const local = this.localNames.length;
    assert(name.length > 0 && name.length <= 255, 'segment names fit the record segment table');
    this.localIndex[segmentId] = local;
    this.localIds.push(segmentId);
    this.localNames.push(name);
    return local;
  }

  /** Sorts `order` by (segment, offset, commit order) and reports whether any two ranges of a segment share a byte. */
  private anyOverlap(): boolean {
    const n = this.rangeCount;
    if (n === 1) return false;
    if (this.order.length < n) this.allocateSortScratch(this.segmentIds.length);
    for (let i = 0; i < n; i++) this.order[i] = i;
    if (!this.inOrder()) this.sortOrder();
    const order = this.order; // after sortOrder, which swaps it with sortScratch
    const ids = this.segmentIds;
    const offsets = this.offsets;
    const lengths = this.lengths;
    for (let k = 1; k < n; k++) {
      const a = order[k - 1]!;
      const b = order[k]!;
      if (ids[a] === ids[b] && offsets[a]! + lengths[a]! > offsets[b]!) return true;
    }
    return false;
  }

  /**
   * Sorts order[0, n) (the identity on entry) by (segment id, offset, index)
   * with a stable LSD radix sort: passes over the offset's 11-bit digits from
   * the lowest, then over its bits from 2^32 up if any offset has them, then
   * over the segment, each pass stable so ties keep commit order. A pass whose
   * digit is the same for every range is skipped. O(n), no comparator calls.
   */
  private sortOrder(): void {
    const n = this.rangeCount;
    const offsets = this.offsets;
    let offsetMax = 0;
    for (let i = 0; i < n; i++) if (offsets[i]! > offsetMax) offsetMax = offsets[i]!;
    const digits = this.sortDigits;
    for (let shift = 0; shift < 32; shift += RADIX_BITS) {
      if (shift > 0 && offsetMax < 2 ** shift) break;
      for (let i = 0; i < n; i++) digits[i] = (offsets[i]! >>> shift) & RADIX_MASK;
      this.radixPass(n);
    }
    for (let high = Math.floor(offsetMax / 0x1_0000_0000), shift = 0; high >= 2 ** shift; shift += RADIX_BITS) {
      for (let i = 0; i < n; i++) digits[i] = (Math.floor(offsets[i]! / 0x1_0000_0000) >>> shift) & RADIX_MASK;
      this.radixPass(n);
    }
    const segmentCount = this.localIds.length;
    if (segmentCount > 1) {
      // Segment ids are ranked among the (few) segments of the batch: usually one pass.
      const rank = this.localIndexRanks();
      const ids = this.segmentIds;
      const localIndex = this.localIndex;
      for (let shift = 0; segmentCount > 2 ** shift; shift += RADIX_BITS) {
        for (let i = 0; i < n; i++) digits[i] = (rank[localIndex[ids[i]!]!]! >>> shift) & RADIX_MASK;
        this.radixPass(n);
      }
    }
  }

  /** For each local segment index, the rank of its segment id among the batch's segments. */
  private localIndexRanks(): Int32Array {
    const count = this.localIds.length;
    const sorted = Int32Array.from(this.localIds).sort();
    const rank = new Int32Array(count);
    for (let r = 0; r < count; r++) rank[this.localIndex[sorted[r]!]!] = r;
    return rank;
  }

  /** Whether ranges were added in (segment, offset) order. */
  private inOrder(): boolean {
    const ids = this.segmentIds;
    const offsets = this.offsets;
    for (let i = 1; i < this.rangeCount; i++) {
      const a = ids[i - 1]!;
      const b = ids[i]!;
      if (a > b || (a === b && offsets[i - 1]! > offsets[i]!)) return false;
    }
    return true;
  }

  /** One stable counting-sort pass of order[0, n) by sortDigits[order[k]] (digits in [0, RADIX_SIZE)). */
  private radixPass(n: number): void {
    const counts = this.radixCounts;
    const digits = this.sortDigits;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[digits[i]!]!++;
    if (counts[digits[0]!] === n) return; // every range has the same digit: order stays
    let sum = 0;
    for (let d = 0; d < RADIX_SIZE; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    const from = this.order;
    const to = this.sortScratch;
    for (let k = 0; k < n; k++) {
      const j = from[k]!;
      to[counts[digits[j]!]!++] = j;
    }
    this.order = to;
    this.sortScratch = from;
  }

  /**
   * Writes the ranges as clusters: overlapping or adjacent ranges of a segment
   * become one range whose bytes are copied in commit order (later commits win).
   */
  private encodeMerged(out: Buffer, start: number): { rangeCount: number; end: number } {
    const n = this.rangeCount;
    const order = this.order;
    const outView = new WordView(out);
    let pos = start;
    let rangeCount = 0;
    let k = 0;
    while (k < n) {
      const first = order[k]!;
      const id = this.segmentIds[first]!;
      const lo = this.offsets[first]!;
      let hi = lo + this.lengths[first]!;
      let m = k + 1;
      while (m < n) {
        const j = order[m]!;
        if (this.segmentIds[j] !== id || this.offsets[j]! > hi) break;
        hi = Math.max(hi, this.offsets[j]! + this.lengths[j]!);
        m++;
      }
      const length = hi - lo;
      assert(length <= 0xffff_ffff && pos + RANGE_HEADER_SIZE + pad8(length) <= out.length, 'a merged range fits a u32 and the output');
      writeU32(out, pos, this.localIndex[id]!);
      writeU32(out, pos + 4, length);
      writeU64(out, pos + 8, lo);
      const dataStart = pos + RANGE_HEADER_SIZE;
      this.copyCluster(outView, dataStart, lo, k, m);
      const end = dataStart + pad8(length);
      for (let z = dataStart + length; z < end; z++) out[z] = 0;
      pos = end;
      rangeCount++;
      k = m;
    }
    return { rangeCount, end: pos };
  }

  /** Copies the data of the ranges order[k, m) into out at dataStart (segment offset lo), in commit order. */
  private copyCluster(out: WordView, dataStart: number, lo: number, k: number, m: number): void {
    const members = this.members;
    const count = m - k;
    for (let x = k; x < m; x++) members[x - k] = this.order[x]!;
    if (count > 16) members.subarray(0, count).sort();
    else insertionSort(members, count);
    for (let x = 0; x < m - k; x++) {
      const j = members[x]!;
      const p = this.bodyPositions[j]! + RANGE_HEADER_SIZE;
      copyBytes(this.bodyView, p, out, dataStart + (this.offsets[j]! - lo), this.lengths[j]!);
    }
  }

  private release(): void {
    this.body = Buffer.alloc(BODY_SIZE_INITIAL);
    this.bodyView = new WordView(this.body);
    this.segmentIds = new Int32Array(RANGE_COUNT_INITIAL);
    this.offsets = new Float64Array(RANGE_COUNT_INITIAL);
    this.lengths = new Float64Array(RANGE_COUNT_INITIAL);
    this.bodyPositions = new Float64Array(RANGE_COUNT_INITIAL);
    this.allocateSortScratch(RANGE_COUNT_INITIAL);
  }

  /** The scratch arrays of encode(), for `size` ranges. */
  private allocateSortScratch(size: number): void {
    this.order = new Int32Array(size);
    this.members = new Int32Array(size);
    this.sortScratch = new Int32Array(size);
    this.sortDigits = new Int32Array(size);
  }

  /**
   * Makes room for `rangeCount` more ranges holding `dataSize` bytes in all, so
   * that a large commit grows the batch's memory once, not by doubling many
   * times (each doubling copies everything held).
   */
  reserve(rangeCount: number, dataSize: number): void {
    const end = this.bodyEnd + rangeCount * (RANGE_HEADER_SIZE + 7) + dataSize;
    if (end > this.body.length) this.growBody(end);
    while (this.rangeCount + rangeCount > this.segmentIds.length) this.growRanges();
  }

  /** Bytes of memory the batch holds (tests: a huge batch's memory is released by clear()). */
  get capacity(): number {
    return this.body.length + this.segmentIds.length * 28 + this.order.length * 16;
  }

  private growRanges(): void {
    const size = this.segmentIds.length * 2;
    const ids = new Int32Array(size);
    ids.set(this.segmentIds);
    this.segmentIds = ids;
    const offsets = new Float64Array(size);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const lengths = new Float64Array(size);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const positions = new Float64Array(size);
    positions.set(this.bodyPositions);
    this.bodyPositions = positions;
  }

  private growBody(needed: number): void {
    let size = this.body.length * 2;
    while (size < needed) size *= 2;
    const body = Buffer.alloc(size);
    this.body.copy(body, HEAD_ROOM, HEAD_ROOM, this.bodyEnd);
    this.body = body;
    this.bodyView = new WordView(body);
  }
}

/** Little-endian u32 at buf[pos, pos + 4); the caller has checked that it fits and that value is a u32. */
function writeU32(buf: Buffer, pos: number, value: number): void {
  buf[pos] = value;
  buf[pos + 1] = value >>> 8;
  buf[pos + 2] = value >>> 16;
  buf[pos + 3] = value >>> 24;
}

/** Sorts a[0, count) ascending; for the few members of a cluster. */
function insertionSort(a: Int32Array, count: number): void {
  for (let x = 1; x < count; x++) {
    const v = a[x]!;
    let y = x - 1;
    while (y >= 0 && a[y]! > v) {
      a[y + 1] = a[y]!;
      y--;
    }
    a[y + 1] = v;
  }
}
