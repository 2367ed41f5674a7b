import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRecord, parseRecord, RecordCheck } from '../src/format/log-record.js';
import { CommitBatch } from '../src/log/commit-batch.js';

/** Encodes the batch and returns the record as one Buffer (joining a detached body). */
function encode(batch: CommitBatch, salt: number): Buffer {
  const out = Buffer.alloc(batch.encodedSizeMax());
  const size = batch.encode(out, salt, 5, 4);
  if (batch.detached === null) return out.subarray(0, size);
  return Buffer.concat([out.subarray(0, size - batch.detachedSize), batch.detached.subarray(0, batch.detachedSize)]);
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
          const expected = segments.map(() => new Map<number, number>());
          const batch = new CommitBatch();
          for (const w of writes) {
            const offset = big ? w.offset * 400 : w.offset;
            segments[w.segment]!.fill(w.value, offset, offset + w.length);
            batch.addRange(w.segment, `seg${w.segment}`, segments[w.segment]!, offset, w.length);
            batch.endCommit();
            for (let b = offset; b < offset + w.length; b++) expected[w.segment]!.set(b, w.value);
          }
          const record = encode(batch, 77);
          expect(checkRecord(record, 0, record.length, 77)).toBe(RecordCheck.Valid);
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

  it('writes a body larger than the inline limit detached, without copying it', () => {
    const batch = new CommitBatch();
    const seg = Buffer.alloc(1 << 20, 3);
    for (let i = 0; i < 1000; i++) {
      batch.addRange(0, 'big', seg, i * 1000, 128);
      batch.endCommit();
    }
    const record = encode(batch, 1);
    expect(batch.detached).not.toBeNull();
    expect(checkRecord(record, 0, record.length, 1)).toBe(RecordCheck.Valid);
    expect(checkRecord(record, 0, record.length, 2)).toBe(RecordCheck.Invalid);
  });
});
