import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet } from '../src/transaction/range-set.js';

/** The declared bytes as maximal runs [segment, start, end), from a byte-level model. */
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

function rangesOf(set: RangeSet): Array<[number, number, number]> {
  const flat = set.flatten();
  const got: Array<[number, number, number]> = [];
  for (let i = 0; i < flat.count; i++) got.push([flat.segments[i]!, flat.starts[i]!, flat.ends[i]!]);
  return got;
}

/** Adds like Transaction.setRange does (nothing when already declared); checks the gaps against the model, then updates it. */
function declare(set: RangeSet, model: Array<Set<number>>, segment: number, start: number, end: number): void {
  const bytes = model[segment]!;
  const expectedGaps: Array<[number, number]> = [];
  for (let b = start; b < end; b++) {
    if (bytes.has(b)) continue;
    const last = expectedGaps[expectedGaps.length - 1];
    if (last !== undefined && last[1] === b) last[1] = b + 1;
    else expectedGaps.push([b, b + 1]);
  }
  expect(set.contains(segment, start, end)).toBe(expectedGaps.length === 0);
  let overlapping = false;
  for (let b = start; b < end && !overlapping; b++) overlapping = bytes.has(b);
  expect(set.overlaps(segment, start, end)).toBe(overlapping);
  if (set.isEmpty()) {
    // The transaction's first range goes in with addFirst, as in Transaction.setRange.
    set.addFirst(segment, start, end);
  } else if (set.plan(segment, start, end)) {
    expect(expectedGaps.length).toBeGreaterThan(0);
    const gaps: Array<[number, number]> = [];
    for (let k = 0; k < set.gapCount; k++) gaps.push([set.gapStarts[k]!, set.gapEnds[k]!]);
    expect(gaps).toEqual(expectedGaps);
    set.add();
  } else {
    expect(expectedGaps).toEqual([]);
  }
  for (let b = start; b < end; b++) bytes.add(b);
  expect(set.verify()).toBeNull();
}

const declaration = (startMax: number) =>
  fc.record({ segment: fc.integer({ min: 0, max: 2 }), start: fc.integer({ min: 0, max: startMax }), length: fc.integer({ min: 1, max: 12 }) });

describe('RangeSet', () => {
  it('matches a byte-level model (ranges, gaps, contains, overlaps) with few ranges, in any order', () => {
    fc.assert(
      fc.property(fc.array(declaration(3000), { minLength: 1, maxLength: 300 }), (declared) => {
        const set = new RangeSet();
        const model = [new Set<number>(), new Set<number>(), new Set<number>()];
        for (const d of declared) declare(set, model, d.segment, d.start, d.start + d.length);
        expect(rangesOf(set)).toEqual(runs(model));
        // A pooled set is cleared and used again.
        set.clear();
        expect(set.isEmpty()).toBe(true);
        expect(set.verify()).toBeNull();
        const again = [new Set<number>(), new Set<number>(), new Set<number>()];
        for (const d of declared.slice(0, 1 + (declared.length >> 1))) declare(set, again, d.segment, d.start, d.start + d.length);
        expect(rangesOf(set)).toEqual(runs(again));
        for (let segment = 0; segment < 3; segment++) expect(set.hasSegment(segment)).toBe(again[segment]!.size > 0);
      }),
      { numRuns: 200 },
    );
  });

  it('matches the model with thousands of ranges (the side list in use), flattened at random points', () => {
    fc.assert(
      fc.property(fc.array(declaration(60_000), { minLength: 1000, maxLength: 3000 }), fc.integer({ min: 0, max: 3000 }), (declared, flattenAt) => {
        const set = new RangeSet();
        const model = [new Set<number>(), new Set<number>(), new Set<number>()];
        declared.forEach((d, k) => {
          declare(set, model, d.segment, d.start, d.start + d.length);
          if (k === flattenAt) expect(rangesOf(set)).toEqual(runs(model));
        });
        expect(rangesOf(set)).toEqual(runs(model));
        // One range over everything of segment 1 merges all of its ranges.
        declare(set, model, 1, 0, 60_020);
        expect(rangesOf(set)).toEqual(runs(model));
      }),
      { numRuns: 15 },
    );
  });

  it('matches the model for every second range from inside to around the first (gaps, contains, overlaps, hasSegment)', () => {
    for (let segment = 0; segment < 3; segment++) {
      for (let start = 5; start < 25; start++) {
        for (let end = start + 1; end <= 25; end++) {
          const set = new RangeSet();
          const model = [new Set<number>(), new Set<number>(), new Set<number>()];
          declare(set, model, 1, 10, 20);
          expect(set.hasSegment(1)).toBe(true);
          expect(set.hasSegment(segment)).toBe(segment === 1);
          declare(set, model, segment, start, end);
          expect(rangesOf(set)).toEqual(runs(model));
        }
      }
    }
  });

  it('keeps thousands of scattered ranges, then merges them all, and is empty after clear()', () => {
    const set = new RangeSet();
    const add = (start: number, end: number): void => {
      expect(set.plan(0, start, end)).toBe(true);
      set.add();
    };
    for (let i = 0; i < 5000; i++) add(((i * 7919) % 5000) * 10, ((i * 7919) % 5000) * 10 + 5);
    expect(set.verify()).toBeNull();
    expect(set.flatten().count).toBe(5000);
    for (let i = 0; i < 5000; i += 2) add(i * 10 + 5, i * 10 + 10);
    expect(set.plan(0, 0, 50_000)).toBe(true);
    expect(set.gapCount).toBe(2500);
    set.add();
    expect(rangesOf(set)).toEqual([[0, 0, 50_000]]);
    expect(set.hasSegment(0)).toBe(true);
    set.clear();
    expect(set.isEmpty()).toBe(true);
    expect(set.hasSegment(0)).toBe(false);
  });
});
