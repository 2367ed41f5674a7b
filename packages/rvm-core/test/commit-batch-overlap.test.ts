/**
 * CommitBatch finds overlapping ranges of different commits through page
 * stamps instead of sorting every batch, and sorts with a radix sort when it
 * must. These tests pin that the records it writes are byte for byte the ones
 * of the straightforward encoder (sort every batch by (segment id, offset,
 * commit order); merge clusters of overlapping or adjacent ranges, later
 * commits winning, only when some ranges overlap), whatever the stamps say.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pad8, RANGE_HEADER_SIZE, RECORD_HEADER_SIZE, sealRecord, writeRecordHeader } from '../src/format/log-record.js';
import { WordView } from '../src/copy-bytes.js';
import { CommitBatch } from '../src/log/commit-batch.js';
import { PAGE_SIZE } from '../src/segment/dirty-pages.js';

interface RangeWrite {
  readonly segment: number;
  readonly offset: number;
  readonly data: Buffer;
}

const SALT = 0x1234_5678;

/** The record the batch must write for `commits`, built the plain way. */
function referenceRecord(commits: ReadonlyArray<ReadonlyArray<RangeWrite>>, sequence: number, durableSequence: number): Buffer {
  const all: Array<RangeWrite & { index: number }> = [];
  const locals = new Map<number, number>();
  for (const c of commits) {
    for (const r of c) {
      if (!locals.has(r.segment)) locals.set(r.segment, locals.size);
      all.push({ ...r, index: all.length });
    }
  }
  const sorted = [...all].sort((x, y) => x.segment - y.segment || x.offset - y.offset || x.index - y.index);
  let overlap = false;
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1]!;
    const b = sorted[k]!;
    if (a.segment === b.segment && a.offset + a.data.length > b.offset) overlap = true;
  }
  const ranges: Array<{ segment: number; offset: number; data: Buffer }> = [];
  if (!overlap) {
    for (const r of all) ranges.push(r);
  } else {
    let k = 0;
    while (k < sorted.length) {
      const first = sorted[k]!;
      let hi = first.offset + first.data.length;
      let m = k + 1;
      while (m < sorted.length && sorted[m]!.segment === first.segment && sorted[m]!.offset <= hi) {
        hi = Math.max(hi, sorted[m]!.offset + sorted[m]!.data.length);
        m++;
      }
      const data = Buffer.alloc(hi - first.offset);
      const members = sorted.slice(k, m).sort((x, y) => x.index - y.index);
      for (const r of members) r.data.copy(data, r.offset - first.offset);
      ranges.push({ segment: first.segment, offset: first.offset, data });
      k = m;
    }
  }
  const parts: Buffer[] = [Buffer.alloc(RECORD_HEADER_SIZE)];
  const names = [...locals.keys()].map((id) => Buffer.concat([Buffer.from([segmentName(id).length]), Buffer.from(segmentName(id), 'latin1')]));
  const table = Buffer.concat(names);
  parts.push(table, Buffer.alloc(pad8(table.length) - table.length));
  for (const r of ranges) {
    const head = Buffer.alloc(RANGE_HEADER_SIZE);
    head.writeUInt32LE(locals.get(r.segment)!, 0);
    head.writeUInt32LE(r.data.length, 4);
    head.writeBigUInt64LE(BigInt(r.offset), 8);
    parts.push(head, r.data, Buffer.alloc(pad8(r.data.length) - r.data.length));
  }
  const record = Buffer.concat(parts);
  writeRecordHeader(record, 0, SALT, record.length, sequence, durableSequence, commits.length, locals.size, ranges.length);
  sealRecord(record, 0, record.length, null);
  return record;
}

function segmentName(id: number): string {
  return `seg${id}`;
}

/** Encodes the batch and returns the record as one Buffer (joining a detached body). */
function encode(batch: CommitBatch, sequence: number, durableSequence: number): Buffer {
  const out = Buffer.alloc(batch.encodedSizeMax());
  const size = batch.encode(out, SALT, sequence, durableSequence);
  const head = batch.record.subarray(batch.recordStart, batch.recordStart + size - batch.detachedSize);
  if (batch.detached === null) return Buffer.from(head);
  return Buffer.concat([head, batch.detached.subarray(batch.detachedStart, batch.detachedStart + batch.detachedSize)]);
}

/** Segments with their page stamps, kept across batches like the Rvm keeps them. */
class Segments {
  readonly bytes: Buffer[];
  readonly views: WordView[];
  readonly stamps: Int32Array[];
  constructor(sizes: readonly number[]) {
    this.bytes = sizes.map((size) => Buffer.alloc(size));
    this.views = this.bytes.map((bytes) => new WordView(bytes));
    this.stamps = sizes.map((size) => new Int32Array(Math.ceil(size / PAGE_SIZE)));
  }

  /** Writes `value` to the range, adds it to the batch and returns what the reference encoder sees. */
  add(batch: CommitBatch, segment: number, offset: number, length: number, value: number, stamped: boolean): RangeWrite {
    const bytes = this.bytes[segment]!;
    for (let b = 0; b < length; b++) bytes[offset + b] = (value + b) & 0xff;
    batch.addRange(segment, segmentName(segment), this.views[segment]!, offset, length, stamped ? this.stamps[segment]! : null);
    return { segment, offset, data: Buffer.from(bytes.subarray(offset, offset + length)) };
  }
}

/** A commit: ranges of one transaction, disjoint and non-adjacent like a RangeSet makes them, sorted by (segment, offset). */
function commitRanges(raw: ReadonlyArray<{ segment: number; offset: number; length: number }>, sizes: readonly number[]): Array<{ segment: number; offset: number; length: number }> {
  const sorted = raw
    .map((r) => ({ segment: r.segment, offset: Math.min(r.offset, sizes[r.segment]! - 1), length: r.length }))
    .map((r) => ({ ...r, length: Math.min(r.length, sizes[r.segment]! - r.offset) }))
    .sort((x, y) => x.segment - y.segment || x.offset - y.offset);
  const out: Array<{ segment: number; offset: number; length: number }> = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.segment === r.segment && last.offset + last.length >= r.offset) continue; // keep them disjoint and non-adjacent
    out.push(r);
  }
  return out;
}

const rangeArb = (offsetMax: number, lengthMax: number) =>
  fc.record({ segment: fc.integer({ min: 0, max: 2 }), offset: fc.integer({ min: 0, max: offsetMax }), length: fc.integer({ min: 1, max: lengthMax }) });

describe('CommitBatch overlap detection', () => {
  it('writes the same records as the plain encoder, for batches after batches sharing page stamps', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(256, 3 * PAGE_SIZE, 64 * PAGE_SIZE, 4096 * PAGE_SIZE),
        fc.array(fc.array(fc.array(rangeArb(4096 * PAGE_SIZE, 3 * PAGE_SIZE), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.constantFrom(1, 0x7fff_ffff - 20, 0x7fff_ffff),
        (size, batches, stamped, serialStart) => {
          const sizes = [size, size * 2, PAGE_SIZE];
          const segments = new Segments(sizes);
          const batch = new CommitBatch(serialStart);
          let sequence = 1;
          for (const commits of batches) {
            const expected: RangeWrite[][] = [];
            let value = 1;
            for (const raw of commits) {
              const writes: RangeWrite[] = [];
              for (const r of commitRanges(raw, sizes)) writes.push(segments.add(batch, r.segment, r.offset, r.length, value++, stamped));
              batch.endCommit();
              expected.push(writes);
            }
            expect(encode(batch, sequence, sequence - 1).equals(referenceRecord(expected, sequence, sequence - 1))).toBe(true);
            batch.clear();
            sequence++;
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('leaves the batch unsorted when no page is shared between commits, and marks it when one is', () => {
    const segments = new Segments([64 * PAGE_SIZE, 64 * PAGE_SIZE]);
    const batch = new CommitBatch();
    // Two ranges of one commit on one page: a transaction's ranges never overlap.
    segments.add(batch, 0, 10, 5, 1, true);
    segments.add(batch, 0, 100, 5, 2, true);
    batch.endCommit();
    // Same offsets in another segment, and another page of the first one.
    segments.add(batch, 1, 10, 5, 3, true);
    segments.add(batch, 0, 5 * PAGE_SIZE, 5, 4, true);
    batch.endCommit();
    expect(batch.overlapPossible).toBe(false);
    // Same page as commit 1, disjoint bytes: possible, and encode finds none.
    const writes = [
      [{ segment: 0, offset: 10, data: Buffer.from([1, 2, 3, 4, 5]) }, { segment: 0, offset: 100, data: Buffer.from([2, 3, 4, 5, 6]) }],
      [{ segment: 1, offset: 10, data: Buffer.from([3, 4, 5, 6, 7]) }, { segment: 0, offset: 5 * PAGE_SIZE, data: Buffer.from([4, 5, 6, 7, 8]) }],
      [segments.add(batch, 0, 200, 5, 9, true)],
    ];
    batch.endCommit();
    expect(batch.overlapPossible).toBe(true);
    const record = encode(batch, 3, 2);
    expect(record.equals(referenceRecord(writes, 3, 2))).toBe(true);
    expect(record.readUInt32LE(40)).toBe(5); // five ranges, not merged
    batch.clear();
    expect(batch.overlapPossible).toBe(false);
    // A new batch does not see the stamps of the last one as its own.
    segments.add(batch, 0, 10, 5, 1, true);
    batch.endCommit();
    expect(batch.overlapPossible).toBe(false);
  });

  it('merges adjacent ranges only when the batch has an overlap, later commits winning', () => {
    const segments = new Segments([PAGE_SIZE, PAGE_SIZE]);
    const batch = new CommitBatch();
    const a = segments.add(batch, 0, 0, 8, 10, true);
    batch.endCommit();
    const b = segments.add(batch, 0, 8, 8, 20, true); // adjacent to a
    batch.endCommit();
    let record = encode(batch, 1, 0);
    expect(record.equals(referenceRecord([[a], [b]], 1, 0))).toBe(true);
    expect(record.readUInt32LE(40)).toBe(2);
    batch.clear();

    const c = segments.add(batch, 0, 0, 8, 30, true);
    batch.endCommit();
    const d = segments.add(batch, 0, 8, 8, 40, true); // adjacent to c
    const e = segments.add(batch, 1, 4, 8, 50, true); // other segment, same offsets as f
    batch.endCommit();
    const f = segments.add(batch, 0, 4, 8, 60, true); // overlaps c and d
    batch.endCommit();
    record = encode(batch, 2, 1);
    expect(record.equals(referenceRecord([[c], [d, e], [f]], 2, 1))).toBe(true);
    expect(record.readUInt32LE(40)).toBe(2); // one cluster in segment 0, one range in segment 1
    const dataStart = RECORD_HEADER_SIZE + 16 + RANGE_HEADER_SIZE; // the segment table "seg0", "seg1" takes 16 bytes
    const data = record.subarray(dataStart, dataStart + 16);
    expect([...data]).toEqual([...segments.bytes[0]!.subarray(0, 16)]);
    expect(data[4]).toBe(60); // f, the latest commit, won over c
  });

  it('sorts by segment id, not by the order segments joined the batch', () => {
    const segments = new Segments([PAGE_SIZE, PAGE_SIZE, PAGE_SIZE]);
    const batch = new CommitBatch();
    const writes: RangeWrite[][] = [];
    writes.push([segments.add(batch, 2, 50, 10, 1, true)]);
    batch.endCommit();
    writes.push([segments.add(batch, 0, 70, 10, 2, true), segments.add(batch, 1, 0, 10, 3, true)]);
    batch.endCommit();
    writes.push([segments.add(batch, 2, 55, 10, 4, true)]);
    batch.endCommit();
    expect(encode(batch, 1, 0).equals(referenceRecord(writes, 1, 0))).toBe(true);
  });

  it('handles thousands of scattered ranges and many commits in one batch, with and without overlaps', () => {
    const size = 64 << 20;
    for (const slots of [size / 128, 4096]) {
      const segments = new Segments([size]);
      const batch = new CommitBatch();
      const writes: RangeWrite[][] = [];
      for (let i = 0; i < 5000; i++) {
        writes.push([segments.add(batch, 0, ((i * 7919) % slots) * 128, 128, i, true)]);
        batch.endCommit();
      }
      expect(encode(batch, 1, 0).equals(referenceRecord(writes, 1, 0))).toBe(true);
    }
  });

  it('stays correct when the commit serial wraps inside a batch', () => {
    const segments = new Segments([PAGE_SIZE]);
    const batch = new CommitBatch(0x7fff_ffff - 1);
    const writes: RangeWrite[][] = [];
    for (let i = 0; i < 4; i++) {
      writes.push([segments.add(batch, 0, i * 4, 8, i * 16, true)]); // each overlaps the one before
      batch.endCommit();
    }
    expect(batch.overlapPossible).toBe(true);
    expect(encode(batch, 1, 0).equals(referenceRecord(writes, 1, 0))).toBe(true);
    batch.clear();
    // After the wrap the stamps hold serials from both sides of it.
    const next: RangeWrite[][] = [];
    next.push([segments.add(batch, 0, 0, 8, 1, true)]);
    batch.endCommit();
    next.push([segments.add(batch, 0, 4, 8, 2, true)]);
    batch.endCommit();
    expect(batch.overlapPossible).toBe(true);
    expect(encode(batch, 2, 1).equals(referenceRecord(next, 2, 1))).toBe(true);
  });

  it('assumes overlaps are possible for a range given without page stamps', () => {
    const segments = new Segments([PAGE_SIZE]);
    const batch = new CommitBatch();
    segments.add(batch, 0, 0, 8, 1, false);
    batch.endCommit();
    expect(batch.overlapPossible).toBe(true);
  });

  it('refuses page stamps that do not cover the range', () => {
    const batch = new CommitBatch();
    expect(() => batch.addRange(0, 'seg0', new WordView(Buffer.alloc(2 * PAGE_SIZE)), PAGE_SIZE, 8, new Int32Array(1))).toThrow(/page stamps cover the range/);
  });
});
