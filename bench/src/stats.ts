import { assert } from './assert.js';

/** The median of the values; the input is not modified. */
export function median(values: readonly number[]): number {
  assert(values.length > 0, 'median of at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[middle]!;
  return (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The nearest-rank percentile (0 < fraction <= 1) of the first `count` samples, which are
 * sorted in place: latency arrays are large and used once.
 */
export function percentileInPlace(samples: Float64Array, count: number, fraction: number): number {
  assert(count > 0 && count <= samples.length, 'percentile of at least one sample');
  assert(fraction > 0 && fraction <= 1, 'percentile fraction in (0, 1]');
  const used = samples.subarray(0, count).sort();
  const rank = Math.ceil(fraction * count) - 1;
  return used[rank]!;
}

/** (max - min) / median: how much the rounds disagree, as a fraction. */
export function spread(values: readonly number[]): number {
  assert(values.length > 0, 'spread of at least one value');
  const middle = median(values);
  if (middle === 0) return 0;
  return (Math.max(...values) - Math.min(...values)) / middle;
}
