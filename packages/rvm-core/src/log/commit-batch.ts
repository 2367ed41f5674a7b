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
 * u32 length, u64 offset, data, padding }), so when no two ranges overlap
 * (the common case) the record body is this buffer as it is, written without
 * another copy. Only a batch with overlaps is rebuilt, cluster by cluster.
 *
 * Memory: parallel typed arrays and one body buffer, grown by doubling and
 * reused after every write, so steady-state commits allocate nothing.
 */
import { assert } from '../errors.js';
import { pad8, RANGE_HEADER_SIZE, RECORD_HEADER_SIZE, writeRecordHeader, sealRecord } from '../format/log-record.js';
import { writeU64 } from '../format/u64.js';

/** Bodies up to this size are copied behind the header and written with one write. */
const INLINE_BODY_SIZE_MAX = 64 * 1024;

export class CommitBatch {
  /** Number of ranges. */
  rangeCount = 0;
  /** Number of commits in the batch. */
  commitCount = 0;
  /** Bytes of range data held (without headers). */
  dataSize = 0;
  /** Bytes used in `body`. */
  private bodySize = 0;
  private body = Buffer.alloc(64 * 1024);

  private segmentIds = new Int32Array(64);
  private offsets = new Float64Array(64);
  private lengths = new Float64Array(64);
  private bodyPositions = new Float64Array(64);

  /** Record-local segment index by segment id (-1: not in this batch), and the names in local order. */
  private localIndex = new Int32Array(16).fill(-1);
  private readonly localIds: number[] = [];
  private readonly localNames: string[] = [];

  // Scratch space for encode(), reused.
  private order = new Int32Array(64);
  private members = new Int32Array(64);

  /**
   * After encode(): when non-null, the record is the `out` buffer's first
   * `size - detachedSize` bytes followed by detached[0, detachedSize).
   */
  detached: Buffer | null = null;
  detachedSize = 0;

  /** Snapshots bytes[offset, offset + length) of segment `segmentId` (named `name`) as part of the current commit. */
  addRange(segmentId: number, name: string, bytes: Buffer, offset: number, length: number): void {
    const i = this.rangeCount;
    if (i === this.segmentIds.length) this.growRanges();
    let local = segmentId < this.localIndex.length ? this.localIndex[segmentId]! : -1;
    if (local < 0) local = this.addSegment(segmentId, name);
    const padded = pad8(length);
    const pos = this.bodySize;
    if (pos + RANGE_HEADER_SIZE + padded > this.body.length) this.growBody(pos + RANGE_HEADER_SIZE + padded);
    const body = this.body;
    body.writeUInt32LE(local, pos);
    body.writeUInt32LE(length, pos + 4);
    writeU64(body, pos + 8, offset);
    bytes.copy(body, pos + RANGE_HEADER_SIZE, offset, offset + length);
    for (let z = pos + RANGE_HEADER_SIZE + length; z < pos + RANGE_HEADER_SIZE + padded; z++) body[z] = 0;
    this.segmentIds[i] = segmentId;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.bodyPositions[i] = pos;
    this.bodySize = pos + RANGE_HEADER_SIZE + padded;
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
    for (const id of this.localIds) this.localIndex[id] = -1;
    this.localIds.length = 0;
    this.localNames.length = 0;
    this.rangeCount = 0;
    this.commitCount = 0;
    this.dataSize = 0;
    this.bodySize = 0;
    this.detached = null;
    this.detachedSize = 0;
  }

  /** An upper bound of the size of the part of the record encode() puts in `out`. */
  encodedSizeMax(): number {
    let names = 0;
    for (const name of this.localNames) names += 1 + name.length;
    return RECORD_HEADER_SIZE + pad8(names) + this.bodySize;
  }

  /**
   * Encodes the batch as one record and returns its total size: the record is
   * out[0, size) when `detached` is null, else out[0, size - detachedSize)
   * followed by detached[0, detachedSize). `out` must hold encodedSizeMax() bytes.
   */
  encode(out: Buffer, salt: number, sequence: number, durableSequence: number): number {
    assert(this.commitCount > 0 && this.rangeCount > 0, 'encode of an empty batch');
    let pos = RECORD_HEADER_SIZE;
    for (const name of this.localNames) {
      out[pos] = name.length;
      out.write(name, pos + 1, 'latin1');
      pos += 1 + name.length;
    }
    const tableEnd = pad8(pos);
    out.fill(0, pos, tableEnd);
    pos = tableEnd;
    const headSize = pos;

    let rangeCount = this.rangeCount;
    this.detached = null;
    this.detachedSize = 0;
    if (!this.anyOverlap()) {
      if (this.bodySize <= INLINE_BODY_SIZE_MAX) {
        this.body.copy(out, pos, 0, this.bodySize);
        pos += this.bodySize;
      } else {
        this.detached = this.body;
        this.detachedSize = this.bodySize;
      }
    } else {
      const merged = this.encodeMerged(out, pos);
      rangeCount = merged.rangeCount;
      pos = merged.end;
    }
    const size = pos + this.detachedSize;
    writeRecordHeader(out, 0, salt, size, sequence, durableSequence, this.commitCount, this.localNames.length, rangeCount);
    if (this.detached === null) {
      sealRecord(out, 0, size);
    } else {
      sealRecord(out, 0, headSize, this.detached, this.detachedSize);
    }
    return size;
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
    if (this.order.length < n) {
      this.order = new Int32Array(this.segmentIds.length);
      this.members = new Int32Array(this.segmentIds.length);
    }
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    if (!this.inOrder()) {
      const ids = this.segmentIds;
      const offsets = this.offsets;
      order.subarray(0, n).sort((x, y) => ids[x]! - ids[y]! || offsets[x]! - offsets[y]! || x - y);
    }
    for (let k = 1; k < n; k++) {
      const a = order[k - 1]!;
      const b = order[k]!;
      if (this.segmentIds[a] === this.segmentIds[b] && this.offsets[a]! + this.lengths[a]! > this.offsets[b]!) return true;
    }
    return false;
  }

  /** Whether ranges were added in (segment, offset) order. */
  private inOrder(): boolean {
    for (let i = 1; i < this.rangeCount; i++) {
      const a = this.segmentIds[i - 1]!;
      const b = this.segmentIds[i]!;
      if (a > b || (a === b && this.offsets[i - 1]! > this.offsets[i]!)) return false;
    }
    return true;
  }

  /**
   * Writes the ranges as clusters: overlapping or adjacent ranges of a segment
   * become one range whose bytes are copied in commit order (later commits win).
   */
  private encodeMerged(out: Buffer, start: number): { rangeCount: number; end: number } {
    const n = this.rangeCount;
    const order = this.order;
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
      out.writeUInt32LE(this.localIndex[id]!, pos);
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
    return { rangeCount, end: pos };
  }

  /** Copies the data of the ranges order[k, m) into out at dataStart (segment offset lo), in commit order. */
  private copyCluster(out: Buffer, dataStart: number, lo: number, k: number, m: number): void {
    const members = this.members;
    for (let x = k; x < m; x++) members[x - k] = this.order[x]!;
    if (m - k > 1) members.subarray(0, m - k).sort();
    for (let x = 0; x < m - k; x++) {
      const j = members[x]!;
      const p = this.bodyPositions[j]! + RANGE_HEADER_SIZE;
      this.body.copy(out, dataStart + (this.offsets[j]! - lo), p, p + this.lengths[j]!);
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
    positions.set(this.bodyPositions);
    this.bodyPositions = positions;
  }

  private growBody(needed: number): void {
    let size = this.body.length * 2;
    while (size < needed) size *= 2;
    const body = Buffer.alloc(size);
    this.body.copy(body, 0, 0, this.bodySize);
    this.body = body;
  }
}
