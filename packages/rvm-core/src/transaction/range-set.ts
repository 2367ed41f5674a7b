import { assert } from '../errors.js';

/** Moves of up to this many ranges are done in a loop: three copyWithin calls cost more. */
const MOVE_LOOP_COUNT_MAX = 32;
/**
 * While the main list holds fewer ranges than this, a range that lands
 * between others is inserted into it directly: the shift is short.
 */
const SIDE_MAIN_COUNT_MIN = 256;
/**
 * The side list is merged into the main list once it holds more than
 * SIDE_COUNT_MIN and more than sqrt(SIDE_BALANCE * main count) ranges: an
 * insertion into it shifts half of it (a memmove), a merge copies every range
 * (a loop over arrays larger than the caches). Measured with 200,000 random
 * 8-byte setRanges in a 64 MiB segment, setRange took 0.71 s in all with
 * balance 1 (sqrt(n)), 0.33 s with 8, 0.25 s with 32, 0.26 s with 128, and
 * 5.0 s with one sorted array.
 */
const SIDE_COUNT_MIN = 64;
const SIDE_BALANCE = 32;
/** clear() releases lists grown past this many ranges (an exceptional transaction's; see TransactionResources.reset). */
const KEEP_COUNT_MAX = 256 * 1024;

/** Fields of RangeSet.planned. */
const PLAN_SEGMENT = 0;
const PLAN_START = 1;
const PLAN_END = 2;
const PLAN_MAIN_FROM = 3;
const PLAN_MAIN_TO = 4;
const PLAN_SIDE_FROM = 5;
const PLAN_SIDE_TO = 6;
const PLAN_SIZE = 7;

/**
 * Disjoint, non-adjacent byte ranges [start, end) keyed by segment id, sorted
 * by (segment, start), in parallel typed arrays. No allocation except when
 * the arrays grow.
 */
export class SortedRanges {
  count = 0;
  segments = new Int32Array(16);
  starts = new Float64Array(16);
  ends = new Float64Array(16);

  clear(): void {
    this.count = 0;
  }

  /** Index of the first range of `segment` with end >= start (touching or after it), or of the first range of a later segment. */
  lowerBound(segment: number, start: number): number {
    let lo = 0;
    let hi = this.count;
    const segments = this.segments;
    const ends = this.ends;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = segments[mid]!;
      if (s < segment || (s === segment && ends[mid]! < start)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether one range holds all of [start, end) of `segment`. */
  contains(segment: number, start: number, end: number): boolean {
    const i = this.lowerBound(segment, start);
    return i < this.count && this.segments[i] === segment && this.starts[i]! <= start && this.ends[i]! >= end;
  }

  /** Whether any range shares at least one byte with [start, end) of `segment`. */
  overlaps(segment: number, start: number, end: number): boolean {
    let i = this.lowerBound(segment, start);
    // lowerBound includes a range ending exactly at start (adjacent, not overlapping).
    if (i < this.count && this.segments[i] === segment && this.ends[i] === start) i++;
    return i < this.count && this.segments[i] === segment && this.starts[i]! < end;
  }

  /** Replaces ranges [from, to) with the single range (segment, start, end). */
  replace(from: number, to: number, segment: number, start: number, end: number): void {
    assert(0 <= from && from <= to && to <= this.count, 'replaced ranges exist');
    const removed = to - from;
    if (removed === 0) {
      if (this.count === this.segments.length) this.grow(this.count + 1);
      // Ranges declared in ascending order append: nothing to shift.
      if (from < this.count) this.move(from, from + 1);
      this.count++;
    } else if (removed > 1) {
      this.move(to, from + 1);
      this.count -= removed - 1;
    }
    this.segments[from] = segment;
    this.starts[from] = start;
    this.ends[from] = end;
  }

  /** Removes ranges [from, to). */
  remove(from: number, to: number): void {
    assert(0 <= from && from <= to && to <= this.count, 'removed ranges exist');
    if (to === from) return;
    this.move(to, from);
    this.count -= to - from;
  }

  /** Makes room for at least `count` ranges. */
  grow(count: number): void {
    let size = this.segments.length;
    if (size >= count) return;
    while (size < count) size *= 2;
    const segments = new Int32Array(size);
    segments.set(this.segments.subarray(0, this.count));
    this.segments = segments;
    const starts = new Float64Array(size);
    starts.set(this.starts.subarray(0, this.count));
    this.starts = starts;
    const ends = new Float64Array(size);
    ends.set(this.ends.subarray(0, this.count));
    this.ends = ends;
  }

  /** Checks sortedness and disjointness; returns the first violation or null. */
  verify(): string | null {
    for (let i = 0; i < this.count; i++) {
      if (!(this.starts[i]! < this.ends[i]!)) return `range ${i} is empty or inverted`;
      if (i > 0 && this.segments[i - 1] === this.segments[i] && this.ends[i - 1]! >= this.starts[i]!) return `ranges ${i - 1} and ${i} overlap or touch`;
      if (i > 0 && this.segments[i - 1]! > this.segments[i]!) return `ranges ${i - 1} and ${i} are out of order`;
    }
    return null;
  }

  /** Moves ranges [source, count) to start at `target` (room for them is there). */
  private move(source: number, target: number): void {
    const segments = this.segments;
    const starts = this.starts;
    const ends = this.ends;
    const n = this.count - source;
    if (n > MOVE_LOOP_COUNT_MAX) {
      segments.copyWithin(target, source, this.count);
      starts.copyWithin(target, source, this.count);
      ends.copyWithin(target, source, this.count);
    } else if (target > source) {
      for (let k = n - 1; k >= 0; k--) {
        segments[target + k] = segments[source + k]!;
        starts[target + k] = starts[source + k]!;
        ends[target + k] = ends[source + k]!;
      }
    } else {
      for (let k = 0; k < n; k++) {
        segments[target + k] = segments[source + k]!;
        starts[target + k] = starts[source + k]!;
        ends[target + k] = ends[source + k]!;
      }
    }
  }
}

/**
 * The set of bytes a transaction has declared: disjoint, non-adjacent ranges.
 * Adding a range merges it with the ranges it overlaps or touches, and tells
 * which of its bytes were not declared before (the gaps, whose old values
 * the transaction saves).
 *
 * Two sorted lists hold the ranges. A range that lands among many others
 * goes into the short side list, which is merged into the main list once it
 * holds more than sqrt(32 x main count) ranges: inserting one range into one
 * sorted array shifts half of it, and a transaction of 200,000 scattered
 * ranges took 5 s in setRange that way; now each insertion moves O(sqrt n)
 * ranges. Ranges declared in ascending order (and every range of a small
 * transaction) go straight to the main list, as before.
 *
 * Invariants: each list is sorted, disjoint and non-adjacent (SortedRanges);
 * no side range overlaps or touches a main range, so together they are the
 * declared bytes as maximal runs.
 */
export class RangeSet {
  private main = new SortedRanges();
  private side = new SortedRanges();
  /** Where flatten() merges into; swapped with main. */
  private spare = new SortedRanges();
  /** The bytes of the last plan() that were not declared before: [gapStarts[k], gapEnds[k]). */
  gapCount = 0;
  gapStarts = new Float64Array(16);
  gapEnds = new Float64Array(16);
  /**
   * The last plan() that found new bytes (PLAN_* fields), valid until add(),
   * clear() or flatten(). A Float64Array, not seven number fields: with fields,
   * 100,000 scattered setRanges ran 15-20 % slower (commit-path bench).
   */
  private readonly planned = new Float64Array(PLAN_SIZE);
  private planValid = false;

  clear(): void {
    this.main.clear();
    this.side.clear();
    this.gapCount = 0;
    this.planValid = false;
    // Lists grown by one huge transaction are released (the set is pooled with its transaction).
    if (this.main.segments.length > KEEP_COUNT_MAX) this.main = new SortedRanges();
    if (this.spare.segments.length > KEEP_COUNT_MAX) this.spare = new SortedRanges();
    if (this.side.segments.length > KEEP_COUNT_MAX) this.side = new SortedRanges();
    if (this.gapStarts.length > KEEP_COUNT_MAX) {
      this.gapStarts = new Float64Array(16);
      this.gapEnds = new Float64Array(16);
    }
  }

  /** Ranges the lists have room for (tests: a huge transaction's room is released by clear()). */
  get capacity(): number {
    return this.main.segments.length + this.side.segments.length + this.spare.segments.length + this.gapStarts.length;
  }

  isEmpty(): boolean {
    return this.main.count === 0 && this.side.count === 0;
  }

  /** Whether all of [start, end) of `segment` is declared. */
  contains(segment: number, start: number, end: number): boolean {
    // Main and side ranges never touch, so declared bytes in a row lie in one range.
    return this.main.contains(segment, start, end) || (this.side.count > 0 && this.side.contains(segment, start, end));
  }

  /** Whether any declared byte lies in [start, end) of `segment`. */
  overlaps(segment: number, start: number, end: number): boolean {
    return this.main.overlaps(segment, start, end) || (this.side.count > 0 && this.side.overlaps(segment, start, end));
  }

  /** Whether `segment` has any declared byte. */
  hasSegment(segment: number): boolean {
    return this.overlaps(segment, 0, Number.MAX_SAFE_INTEGER);
  }

  /** Declares the first range of an empty set. */
  addFirst(segment: number, start: number, end: number): void {
    assert(this.isEmpty() && start < end, 'addFirst: a non-empty range into an empty set');
    this.main.replace(0, 0, segment, start, end);
  }

  /**
   * Looks at declaring [start, end) of `segment` and returns whether any of
   * its bytes is new; if so, gapCount, gapStarts and gapEnds tell which
   * (ascending), and add() then declares it. Nothing changes until add(), so
   * the caller can refuse the range in between (a conflict).
   */
  plan(segment: number, start: number, end: number): boolean {
    assert(start < end, 'a planned range is not empty');
    const main = this.main;
    const mi = main.lowerBound(segment, start);
    // Fast path: one main range holds it all.
    if (mi < main.count && main.segments[mi] === segment && main.starts[mi]! <= start && main.ends[mi]! >= end) return false;
    const side = this.side;
    let mergedStart = start;
    let mergedEnd = end;
    let mj = mi;
    while (mj < main.count && main.segments[mj] === segment && main.starts[mj]! <= end) {
      if (main.starts[mj]! < mergedStart) mergedStart = main.starts[mj]!;
      if (main.ends[mj]! > mergedEnd) mergedEnd = main.ends[mj]!;
      mj++;
    }
    let si = 0;
    let sj = 0;
    if (side.count > 0) {
      si = side.lowerBound(segment, start);
      // Main and side ranges never touch, so declared bytes in a row lie in one range.
      if (mj === mi && si < side.count && side.segments[si] === segment && side.starts[si]! <= start && side.ends[si]! >= end) return false;
      sj = si;
      while (sj < side.count && side.segments[sj] === segment && side.starts[sj]! <= end) {
        if (side.starts[sj]! < mergedStart) mergedStart = side.starts[sj]!;
        if (side.ends[sj]! > mergedEnd) mergedEnd = side.ends[sj]!;
        sj++;
      }
    }
    if (mj === mi && sj === si) {
      // The common case: it touches no declared byte, so it is all new.
      this.gapStarts[0] = start;
      this.gapEnds[0] = end;
      this.gapCount = 1;
    } else if (mj === mi + 1 && sj === si) {
      // One main range overlaps or touches it, and nothing else.
      this.gapCount = 0;
      if (main.starts[mi]! > start) this.pushGap(start, main.starts[mi]!);
      if (main.ends[mi]! < end) this.pushGap(main.ends[mi]!, end);
    } else {
      this.findGaps(start, end, mi, mj, si, sj);
    }
    const p = this.planned;
    p[PLAN_SEGMENT] = segment;
    p[PLAN_START] = mergedStart;
    p[PLAN_END] = mergedEnd;
    p[PLAN_MAIN_FROM] = mi;
    p[PLAN_MAIN_TO] = mj;
    p[PLAN_SIDE_FROM] = si;
    p[PLAN_SIDE_TO] = sj;
    this.planValid = true;
    return true;
  }

  /** Declares the range of the last plan() that returned true: merged with the ranges it overlaps or touches. */
  add(): void {
    assert(this.planValid, 'add() follows a plan() that found new bytes');
    this.planValid = false;
    const p = this.planned;
    const main = this.main;
    const side = this.side;
    const segment = p[PLAN_SEGMENT]!;
    const mi = p[PLAN_MAIN_FROM]!;
    const mj = p[PLAN_MAIN_TO]!;
    const si = p[PLAN_SIDE_FROM]!;
    const sj = p[PLAN_SIDE_TO]!;
    if (mj > mi || mi === main.count || main.count < SIDE_MAIN_COUNT_MIN) {
      // It merges with main ranges, appends to the main list, or the main list is short.
      if (sj > si) side.remove(si, sj);
      main.replace(mi, mj, segment, p[PLAN_START]!, p[PLAN_END]!);
    } else {
      side.replace(si, sj, segment, p[PLAN_START]!, p[PLAN_END]!);
      if (side.count > SIDE_COUNT_MIN && side.count * side.count > SIDE_BALANCE * main.count) this.flatten();
    }
  }

  /** Merges the side list into the main list and returns it: every declared range, sorted. */
  flatten(): SortedRanges {
    const main = this.main;
    const side = this.side;
    if (side.count === 0) return main;
    this.planValid = false;
    const out = this.spare;
    out.clear();
    out.grow(main.count + side.count);
    let a = 0;
    let k = 0;
    for (let b = 0; b < side.count; b++) {
      // Ranges never touch across the lists, so main ranges before `to` lie before side range b, the rest after it.
      const to = main.lowerBound(side.segments[b]!, side.starts[b]!);
      k = copyRanges(main, a, to, out, k);
      a = to;
      out.segments[k] = side.segments[b]!;
      out.starts[k] = side.starts[b]!;
      out.ends[k] = side.ends[b]!;
      k++;
    }
    out.count = copyRanges(main, a, main.count, out, k);
    this.spare = main;
    this.main = out;
    side.clear();
    return out;
  }

  /** Checks both lists and that they never touch; returns the first violation or null. */
  verify(): string | null {
    const problem = this.main.verify() ?? this.side.verify();
    if (problem !== null) return problem;
    const side = this.side;
    for (let i = 0; i < side.count; i++) {
      const j = this.main.lowerBound(side.segments[i]!, side.starts[i]!);
      if (j < this.main.count && this.main.segments[j] === side.segments[i] && this.main.starts[j]! <= side.ends[i]!) return `side range ${i} overlaps or touches main range ${j}`;
    }
    return null;
  }

  /** Fills the gaps: the bytes of [start, end) outside main[mi, mj) and side[si, sj), walked in ascending order. */
  private findGaps(start: number, end: number, mi: number, mj: number, si: number, sj: number): void {
    const main = this.main;
    const side = this.side;
    this.gapCount = 0;
    let cursor = start;
    let a = mi;
    let b = si;
    while (a < mj || b < sj) {
      let s: number;
      let e: number;
      if (b >= sj || (a < mj && main.starts[a]! < side.starts[b]!)) {
        s = main.starts[a]!;
        e = main.ends[a]!;
        a++;
      } else {
        s = side.starts[b]!;
        e = side.ends[b]!;
        b++;
      }
      if (s > cursor) this.pushGap(cursor, s);
      if (e > cursor) cursor = e;
    }
    if (cursor < end) this.pushGap(cursor, end);
  }

  private pushGap(start: number, end: number): void {
    const k = this.gapCount;
    if (k === this.gapStarts.length) {
      const starts = new Float64Array(k * 2);
      starts.set(this.gapStarts);
      this.gapStarts = starts;
      const ends = new Float64Array(k * 2);
      ends.set(this.gapEnds);
      this.gapEnds = ends;
    }
    this.gapStarts[k] = start;
    this.gapEnds[k] = end;
    this.gapCount = k + 1;
  }
}

/** Copies ranges [from, to) of `source` to `target` from index `at`; returns the index after them. */
function copyRanges(source: SortedRanges, from: number, to: number, target: SortedRanges, at: number): number {
  const segments = source.segments;
  const starts = source.starts;
  const ends = source.ends;
  const targetSegments = target.segments;
  const targetStarts = target.starts;
  const targetEnds = target.ends;
  let k = at;
  for (let i = from; i < to; i++) {
    targetSegments[k] = segments[i]!;
    targetStarts[k] = starts[i]!;
    targetEnds[k] = ends[i]!;
    k++;
  }
  return k;
}
