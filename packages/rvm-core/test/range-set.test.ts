import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet } from '../src/transaction/range-set.js';

/** Declares [start, end) of `segment` the way Transaction.setRange does: merge the ranges it overlaps or touches. */
function declare(set: RangeSet, segment: number, start: number, end: number): void {
  const i = set.lowerBound(segment, start);
  let mergedStart = start;
  let mergedEnd = end;
  let j = i;
  while (j < set.count && set.segments[j] === segment && set.starts[j]! <= end) {
    mergedStart = Math.min(mergedStart, set.starts[j]!);
    mergedEnd = Math.max(mergedEnd, set.ends[j]!);
    j++;
  }
  set.replace(i, j, segment, mergedStart, mergedEnd);
}

/** The ranges as maximal runs of declared bytes, from a byte-level model. */
function runs(model: ReadonlyArray<Set<number>>): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  model.forEach((bytes, segment) => {
    const sorted = [...bytes].sort((a, b) => a - b);
    for (let k = 0; k < sorted.length; ) {
      let e = k;
      while (e + 1 < sorted.length && sorted[e + 1] === sorted[e]! + 1) e++;
      out.push([segment, sorted[k]!, sorted[e]! + 1]);
      k = e + 1;
    }
  });
  return out;
}

describe('RangeSet', () => {
  it('matches a byte-level model, with few and with many ranges, in any insertion order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ segment: fc.integer({ min: 0, max: 2 }), start: fc.integer({ min: 0, max: 3000 }), length: fc.integer({ min: 1, max: 12 }) }), { minLength: 1, maxLength: 300 }),
        (declared) => {
          const set = new RangeSet();
          const model = [new Set<number>(), new Set<number>(), new Set<number>()];
          for (const d of declared) {
            declare(set, d.segment, d.start, d.start + d.length);
            for (let b = d.start; b < d.start + d.length; b++) model[d.segment]!.add(b);
            expect(set.verify()).toBeNull();
          }
          const got: Array<[number, number, number]> = [];
          for (let i = 0; i < set.count; i++) got.push([set.segments[i]!, set.starts[i]!, set.ends[i]!]);
          expect(got).toEqual(runs(model));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps thousands of scattered ranges sorted, then merges them all', () => {
    const set = new RangeSet();
    for (let i = 0; i < 5000; i++) declare(set, 0, ((i * 7919) % 5000) * 10, ((i * 7919) % 5000) * 10 + 5);
    expect(set.count).toBe(5000);
    expect(set.verify()).toBeNull();
    declare(set, 0, 0, 50_000);
    expect(set.count).toBe(1);
    expect([set.starts[0], set.ends[0]]).toEqual([0, 50_000]);
  });
});
