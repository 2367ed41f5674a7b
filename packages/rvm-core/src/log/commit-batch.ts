/**
 * Committed transactions whose new values have not been written to the log
 * yet. Each commit snapshots its ranges here (the segment bytes may change
 * again before the batch is written). When the batch is written, all its
 * commits become ONE record: overlapping and adjacent ranges of a segment are
 * merged and bytes overwritten by a later commit of the batch are written once
 * (the inter-transaction optimisation of LRVM). Because the record is atomic,
 * a crash recovers either none or all of the batch, which is still a prefix of
 * the commit order.
 *
 * Memory: parallel typed arrays and one data buffer, grown by doubling and
 * reused after every write, so steady-state commits allocate nothing.
 */
import { assert } from '../errors.js';
import { pad8, RANGE_HEADER_SIZE, RECORD_HEADER_SIZE, writeRecordHeader, sealRecord } from '../format/log-record.js';
import { writeU64 } from '../format/u64.js';

export class CommitBatch {
  /** Number of ranges. */
  rangeCount = 0;
  /** Number of commits in the batch. */
  commitCount = 0;
  /** Bytes of range data held. */
  dataSize = 0;

  private segmentIds = new Int32Array(64);
  private offsets = new Float64Array(64);
  private lengths = new Float64Array(64);
  private dataPositions = new Float64Array(64);
  private data = Buffer.allocUnsafe(64 * 1024);

  // Scratch space for encode(), reused.
  private order = new Int32Array(64);
  private members = new Int32Array(64);
  private readonly localIndex = new Map<number, number>();
  private readonly localNames: string[] = [];

  /** Snapshots bytes[offset, offset + length) of segment `segmentId` as part of the current commit. */
  addRange(segmentId: number, bytes: Buffer, offset: number, length: number): void {
    const i = this.rangeCount;
    if (i === this.segmentIds.length) this.growRanges();
    if (this.dataSize + length > this.data.length) this.growData(this.dataSize + length);
    this.segmentIds[i] = segmentId;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.dataPositions[i] = this.dataSize;
    bytes.copy(this.data, this.dataSize, offset, offset + length);
    this.dataSize += length;
    this.rangeCount = i + 1;
  }

  endCommit(): void {
    this.commitCount++;
  }

  isEmpty(): boolean {
    return this.commitCount === 0;
  }

  clear(): void {
    this.rangeCount = 0;
    this.commitCount = 0;
    this.dataSize = 0;
  }

  /**
   * Encodes the batch as one record into `out` at 0 and returns its size. The
   * caller provides a buffer of at least encodedSizeMax() bytes.
   */
  encode(out: Buffer, salt: number, sequence: number, durableSequence: number, names: readonly string[]): number {
    assert(this.commitCount > 0 && this.rangeCount > 0, 'encode of an empty batch');
    const n = this.rangeCount;
    if (this.order.length < n) {
      this.order = new Int32Array(this.segmentIds.length);
      this.members = new Int32Array(this.segmentIds.length);
    }
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    if (!this.sortedAndDisjoint()) this.sortOrder(n);

    // Segment table.
    this.localIndex.clear();
    this.localNames.length = 0;
    for (let k = 0; k < n; k++) {
      const id = this.segmentIds[order[k]!]!;
      if (!this.localIndex.has(id)) {
        const name = names[id];
        assert(name !== undefined, 'batch range of an unknown segment');
        this.localIndex.set(id, this.localNames.length);
        this.localNames.push(name);
      }
    }
    let pos = RECORD_HEADER_SIZE;
    for (const name of this.localNames) {
      out[pos] = name.length;
      out.write(name, pos + 1, 'latin1');
      pos += 1 + name.length;
    }
    const tableEnd = pad8(pos);
    out.fill(0, pos, tableEnd);
    pos = tableEnd;

    // Ranges: each cluster of overlapping or adjacent ranges of one segment
    // becomes one range whose bytes are written in commit order.
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
      out.writeUInt32LE(this.localIndex.get(id)!, pos);
      out.writeUInt32LE(length, pos + 4);
      writeU64(out, pos + 8, lo);
      const dataStart = pos + RANGE_HEADER_SIZE;
      this.copyCluster(out, dataStart, lo, k, m);
      const end = dataStart + pad8(length);
      out.fill(0, dataStart + length, end);
      pos = end;
      rangeCount++;
      k = m;
    }
    writeRecordHeader(out, 0, salt, pos, sequence, durableSequence, this.commitCount, this.localNames.length, rangeCount);
    sealRecord(out, 0, pos);
    return pos;
  }

  /** An upper bound of the encoded size, for sizing the output buffer. */
  encodedSizeMax(names: readonly string[]): number {
    let nameBytes = 0;
    for (let i = 0; i < this.rangeCount; i++) nameBytes += 1 + (names[this.segmentIds[i]!]?.length ?? 0);
    return RECORD_HEADER_SIZE + pad8(nameBytes) + this.rangeCount * (RANGE_HEADER_SIZE + 8) + this.dataSize;
  }

  /** Whether ranges are in (segment, offset) order and none overlaps the next (adjacent ones are merged while encoding). */
  private sortedAndDisjoint(): boolean {
    for (let i = 1; i < this.rangeCount; i++) {
      const a = this.segmentIds[i - 1]!;
      const b = this.segmentIds[i]!;
      if (a > b) return false;
      if (a === b && this.offsets[i - 1]! + this.lengths[i - 1]! > this.offsets[i]!) return false;
    }
    return true;
  }

  private sortOrder(n: number): void {
    const ids = this.segmentIds;
    const offsets = this.offsets;
    this.order.subarray(0, n).sort((x, y) => ids[x]! - ids[y]! || offsets[x]! - offsets[y]! || x - y);
  }

  /** Copies the data of the ranges order[k, m) into out at dataStart (segment offset lo), in commit order. */
  private copyCluster(out: Buffer, dataStart: number, lo: number, k: number, m: number): void {
    if (m - k === 1) {
      const j = this.order[k]!;
      const p = this.dataPositions[j]!;
      this.data.copy(out, dataStart, p, p + this.lengths[j]!);
      return;
    }
    // Members sorted by offset that do not overlap can be copied in that
    // order; otherwise copy in commit order so that later commits win.
    const members = this.members;
    let overlapping = false;
    let end = -1;
    for (let x = k; x < m; x++) {
      const j = this.order[x]!;
      members[x - k] = j;
      if (this.offsets[j]! < end) overlapping = true;
      end = Math.max(end, this.offsets[j]! + this.lengths[j]!);
    }
    if (overlapping) members.subarray(0, m - k).sort();
    for (let x = 0; x < m - k; x++) {
      const j = members[x]!;
      const p = this.dataPositions[j]!;
      this.data.copy(out, dataStart + (this.offsets[j]! - lo), p, p + this.lengths[j]!);
    }
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
    positions.set(this.dataPositions);
    this.dataPositions = positions;
  }

  private growData(needed: number): void {
    let size = this.data.length * 2;
    while (size < needed) size *= 2;
    const data = Buffer.allocUnsafe(size);
    this.data.copy(data, 0, 0, this.dataSize);
    this.data = data;
  }
}
