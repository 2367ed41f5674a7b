/** fast-check arbitraries for workloads and crashes. */
import fc from 'fast-check';
import type { CrashSpec } from './recovery-check.js';
import { SEGMENT_NAMES, type Op, type Workload } from './workload.js';

const segmentName = fc.nat(SEGMENT_NAMES.length - 1);
/** Up to a few sectors, so that writes and segments straddle 512-byte sector boundaries. */
const segmentSize = fc.integer({ min: 1, max: 1200 });

const mapOp = fc.record({ kind: fc.constant('map' as const), segment: segmentName, size: segmentSize });

const setSpec = fc.record({ segment: fc.nat(2), at: fc.nat(4095), length: fc.integer({ min: 1, max: 100 }), fill: fc.nat(255) });

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  // Whole transactions, mostly: they make commits; the loose begin/set/commit/abort interleave transactions.
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('tx' as const), restore: fc.boolean(), sets: fc.array(setSpec, { minLength: 1, maxLength: 4 }), end: fc.constantFrom('flush' as const, 'noFlush' as const, 'noFlush' as const, 'async' as const, 'abort' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), tx: fc.nat(3), segment: fc.nat(2), at: fc.nat(4095), length: fc.integer({ min: 1, max: 100 }), fill: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), tx: fc.nat(3), flush: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('begin' as const), restore: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), tx: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'truncate' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'truncateAsync' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('yield' as const), turns: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grow' as const), segment: fc.nat(2), by: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 1, arbitrary: mapOp },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmap' as const), segment: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

/** A workload: store options and operations, starting with a map so that the rest has a segment. */
export function workloadArbitrary(opCountMax: number): fc.Arbitrary<Workload> {
  return fc.record({
    options: fc.record({
      // Small limits make automatic truncation and batch writes happen inside short workloads.
      logSizeMax: fc.constantFrom(256, 2048, 16384, 1 << 20),
      batchSizeMax: fc.constantFrom(1, 64, 512, 1 << 20),
      truncation: fc.constantFrom('sync' as const, 'background' as const),
    }),
    ops: fc.tuple(mapOp, fc.array(opArbitrary, { minLength: 1, maxLength: opCountMax, size: 'max' })).map(([first, rest]): Op[] => [first, ...rest]),
  });
}

export const crashSpecArbitrary: fc.Arbitrary<CrashSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ mode: 'keepAll' as const }) },
  { weight: 1, arbitrary: fc.constant({ mode: 'dropAll' as const }) },
  { weight: 4, arbitrary: fc.record({ mode: fc.constant('random' as const), seed: fc.nat() }) },
);

export interface Crash {
  /** Where the process dies, as a fraction (of FRACTION_SCALE) of the storage calls of the workload, end included. */
  readonly point: number;
  /** The disk states to recover from at that point. */
  readonly states: readonly CrashSpec[];
  /** A second crash during the first recovery, at this fraction of its storage calls. */
  readonly recoveryCrash: { readonly point: number; readonly seed: number } | null;
}

export const FRACTION_SCALE = 1_000_000;

export const crashArbitrary: fc.Arbitrary<Crash> = fc.record({
  point: fc.nat(FRACTION_SCALE - 1),
  states: fc.array(crashSpecArbitrary, { minLength: 1, maxLength: 4 }),
  recoveryCrash: fc.option(fc.record({ point: fc.nat(FRACTION_SCALE - 1), seed: fc.nat() }), { nil: null }),
});
