import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOG_FORMAT_VERSION } from '../src/constants.js';
import { checkRecord, parseRecord, RecordCheck } from '../src/format/log-record.js';
import { WordView } from '../src/copy-bytes.js';
import { CommitBatch } from '../src/log/commit-batch.js';

/** Encodes the batch and returns a copy of the record as one Buffer (joining a detached body), and the `out` buffer it was given. */
function encodeWithOut(batch: CommitBatch, salt: number): { record: Buffer; out: Buffer } {
  const out = Buffer.alloc(batch.encodedSizeMax());
  const size = batch.encode(out, salt, 5, 4);
  const head = batch.record.subarray(batch.recordStart, batch.recordStart + size - batch.detachedSize);
  if (batch.detached === null) return { record: Buffer.from(head), out };
  return { record: Buffer.concat([head, batch.detached.subarray(batch.detachedStart, batch.detachedStart + batch.detachedSize)]), out };
}

function encode(batch: CommitBatch, salt: number): Buffer {
  return encodeWithOut(batch, salt).record;
}

describe('CommitBatch', () => {
  it('merges overlapping and adjacent ranges with later commits winning, and the record validates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ segment: fc.integer({ min: 0, max: 2 }), offset: fc.integer({ min: 0, max: 200 }), length: fc.integer({ min: 1, max: 40 }), value: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        (writes, big) => {
          const size = big ? 100_000 : 256;
          const segments = [Buffer.alloc(size), Buffer.alloc(size), Buffer.alloc(size)];
          const views = segments.map((bytes) => new WordView(bytes));
          const expected = segments.map(() => new Map<number, number>());
          const batch = new CommitBatch();
          for (const w of writes) {
            const offset = big ? w.offset * 400 : w.offset;
            segments[w.segment]!.fill(w.value, offset, offset + w.length);
            batch.addRange(w.segment, `seg${w.segment}`, views[w.segment]!, offset, w.length);
            batch.endCommit();
            for (let b = offset; b < offset + w.length; b++) expected[w.segment]!.set(b, w.value);
          }
          const record = encode(batch, 77);
          expect(checkRecord(record, 0, record.length, 77, LOG_FORMAT_VERSION)).toBe(RecordCheck.Valid);
          const parsed = parseRecord(record, 0);
          if (typeof parsed === 'string') throw new Error(parsed);
          expect(parsed.commitCount).toBe(writes.length);
          const replayed = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
          for (const r of parsed.ranges) {
            const index = Number(r.segmentName.slice(3));
            for (let k = 0; k < r.data.length; k++) replayed[index]!.set(r.offset + k, r.data[k]!);
          }
          for (let s = 0; s < 3; s++) expect(replayed[s]).toEqual(expected[s]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('completes the usual record in its own memory, without copying the ranges, however large', () => {
    const batch = new CommitBatch();
    const seg = Buffer.alloc(1 << 20, 3);
    const view = new WordView(seg);
    for (let i = 0; i < 1000; i++) {
      batch.addRange(0, 'big', view, i * 1000, 128);
      batch.endCommit();
    }
    const { record, out } = encodeWithOut(batch, 1);
    expect(batch.record).not.toBe(out);
    expect(batch.detached).toBeNull();
    expect(checkRecord(record, 0, record.length, 1, LOG_FORMAT_VERSION)).toBe(RecordCheck.Valid);
    expect(checkRecord(record, 0, record.length, 2, LOG_FORMAT_VERSION)).toBe(RecordCheck.Invalid);
  });

  it('puts a segment table too large for the head room in out: a small body copied behind it, a large one detached', () => {
    // Twelve segments with 100-character names: a 1216-byte table, more than fits in front of the ranges.
    const names = Array.from({ length: 12 }, (_, k) => `${k}`.padStart(100, 's'));
    const seg = Buffer.alloc(1 << 20, 5);
    const view = new WordView(seg);
    for (const rangeCount of [12, 1200]) {
      const batch = new CommitBatch();
      for (let i = 0; i < rangeCount; i++) {
        seg.writeUInt32LE(i, i * 512);
        batch.addRange(i % 12, names[i % 12]!, view, i * 512, 200);
        batch.endCommit();
      }
      const { record, out } = encodeWithOut(batch, 9);
      expect(batch.record).toBe(out);
      expect(batch.detached === null).toBe(rangeCount === 12);
      expect(checkRecord(record, 0, record.length, 9, LOG_FORMAT_VERSION)).toBe(RecordCheck.Valid);
      const parsed = parseRecord(record, 0);
      if (typeof parsed === 'string') throw new Error(parsed);
      expect(parsed.ranges.length).toBe(rangeCount);
      for (let i = 0; i < rangeCount; i++) {
        const r = parsed.ranges.find((x) => x.offset === i * 512)!;
        expect(r.segmentName).toBe(names[i % 12]);
        expect(r.data.equals(seg.subarray(i * 512, i * 512 + 200))).toBe(true);
      }
    }
  });
});
