import { assert } from '../errors.js';

/** Moves of up to this many ranges are done in a loop: three copyWithin calls cost more. */
const MOVE_LOOP_COUNT_MAX = 32;

/**
 * Disjoint, non-adjacent byte ranges [start, end) keyed by segment id, sorted by
 * (segment, start), in parallel typed arrays: the set of bytes a transaction
 * has declared. Inserting merges overlapping and adjacent ranges. No
 * allocation except when the arrays grow.
 */
export class RangeSet {
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

  /** Whether any range shares at least one byte with [start, end) of `segment`. */
  overlaps(segment: number, start: number, end: number): boolean {
    let i = this.lowerBound(segment, start);
    // lowerBound includes a range ending exactly at start (adjacent, not overlapping).
    if (i < this.count && this.segments[i] === segment && this.ends[i] === start) i++;
    return i < this.count && this.segments[i] === segment && this.starts[i]! < end;
  }

  /** Whether `segment` has any range. */
  hasSegment(segment: number): boolean {
    const i = this.lowerBound(segment, 0);
    return i < this.count && this.segments[i] === segment;
  }

  /** Replaces ranges [from, to) with the single range (segment, start, end). */
  replace(from: number, to: number, segment: number, start: number, end: number): void {
    assert(0 <= from && from <= to && to <= this.count, 'replaced ranges exist');
    const removed = to - from;
    if (removed === 0) {
      if (this.count === this.segments.length) this.grow();
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

  private grow(): void {
    const size = this.segments.length * 2;
    const segments = new Int32Array(size);
    segments.set(this.segments);
    this.segments = segments;
    const starts = new Float64Array(size);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Float64Array(size);
    ends.set(this.ends);
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
}
