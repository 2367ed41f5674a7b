/**
 * StructContext write helpers that do more than declare and copy:
 * writeBytesChanged declares only the span of bytes that differ.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore } from './btree-support.js';
import { runs } from './laws/runs.js';

/** The span [first, last) where a and b differ, or null. */
function naiveSpan(a: Uint8Array, b: Uint8Array): [number, number] | null {
  let first = 0;
  while (first < a.length && a[first] === b[first]) first++;
  if (first === a.length) return null;
  let last = a.length;
  while (a[last - 1] === b[last - 1]) last--;
  return [first, last];
}

describe('StructContext.writeBytesChanged', () => {
  it('declares exactly the span from the first to the last differing byte, at any alignment', () => {
    const { store } = openStore();
    const ctx = store.ctx;
    const block = store.transaction(() => ctx.alloc(256));
    const declared: { offset: number; data: Buffer }[] = [];
    const unsubscribe = store.rvm.onCommit((event) => {
      for (const range of event.ranges) declared.push({ offset: range.offset, data: range.data });
    });
    // A source buffer larger than the bytes written, so that start and end move inside it.
    const source = Buffer.alloc(300);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 80 }),
        fc.nat({ max: 100 }),
        fc.nat({ max: 100 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
        (before, at, sourceStart, changes) => {
          const length = before.length;
          const offset = block + Math.min(at, 256 - length);
          store.transaction(() => ctx.writeBytes(offset, before, 0, length));
          const after = Uint8Array.from(before);
          for (const [where, delta] of changes) if (length > 0) after[where % length] = (after[where % length]! + delta) & 0xff;
          source.set(after, sourceStart);
          declared.length = 0;
          const size = store.transaction(() => ctx.writeBytesChanged(offset, source, sourceStart, sourceStart + length));
          expect(Buffer.compare(store.segment.bytes.subarray(offset, offset + length), after)).toBe(0);
          const span = naiveSpan(before, after);
          if (span === null) {
            expect(size).toBe(0);
            expect(declared).toEqual([]);
          } else {
            expect(size).toBe(span[1] - span[0]);
            expect(declared).toHaveLength(1);
            expect(declared[0]!.offset).toBe(offset + span[0]);
            expect(Buffer.compare(declared[0]!.data, after.subarray(span[0], span[1]))).toBe(0);
          }
        },
      ),
      runs(300),
    );
    unsubscribe();
    store.ctx.heap.verify();
  });

  it('reads the segment memory afresh after the segment grows', () => {
    const { store } = openStore({ segmentSize: 64 * 1024 });
    const ctx = store.ctx;
    const small = store.transaction(() => ctx.alloc(64));
    const source = Buffer.alloc(64, 7);
    store.transaction(() => ctx.writeBytesChanged(small, source, 0, 64));
    const memoryBefore = store.segment.bytes;
    // Blocks past the initial size make the heap grow the segment, which replaces its memory.
    store.transaction(() => {
      for (let i = 0; i < 8; i++) ctx.alloc(16 * 1024);
    });
    expect(store.segment.bytes).not.toBe(memoryBefore);
    source.fill(9, 10, 20);
    expect(store.transaction(() => ctx.writeBytesChanged(small, source, 0, 64))).toBe(10);
    expect([...store.segment.bytes.subarray(small, small + 64)]).toEqual([...source]);
    store.ctx.heap.verify();
  });
});
