import { assert } from './assert.js';

/**
 * Everything a run can be told through the environment. Sizes here are the full-run sizes;
 * quick mode (BENCH_QUICK=1, for CI smoke runs) divides step counts and data sizes by 10 so
 * the whole run stays under a minute.
 */
export interface BenchConfig {
  readonly quick: boolean;
  /** Timed rounds per workload and subject; the reported rate is their median. */
  readonly roundCount: number;
  /** Divides every workload's step count and data size (10 in quick mode, else 1). */
  readonly shrinkFactor: number;
  /** Only workloads whose name matches run (BENCH_ONLY, a regular expression). */
  readonly only: RegExp | null;
  /** The largest data size of the scale sweep (BENCH_SCALE_MAX, a power of ten). */
  readonly scaleEntryCountMax: number;
  /** Base seed of every workload's inputs (BENCH_SEED). */
  readonly seed: number;
  /**
   * A round stops after this many seconds even if steps remain (BENCH_ROUND_SECONDS_MAX), so
   * a busy disk or CPU cannot stretch the run without bound. The rate counts the steps that ran.
   */
  readonly roundSecondsMax: number;
}

const ROUND_COUNT_DEFAULT = 5;
const ROUND_COUNT_QUICK = 3;
const SCALE_ENTRY_COUNT_MAX_DEFAULT = 1_000_000;
const SCALE_ENTRY_COUNT_MAX_QUICK = 100_000;
const SEED_DEFAULT = 0x5eed_1993; // LRVM's paper year: any fixed value would do.
const ROUND_SECONDS_MAX_DEFAULT = 2;
const ROUND_SECONDS_MAX_QUICK = 0.5;

export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env['BENCH_QUICK'] === '1' || env['BENCH_QUICK'] === 'true';
  const roundCount = readInteger(env, 'BENCH_ROUNDS', quick ? ROUND_COUNT_QUICK : ROUND_COUNT_DEFAULT);
  assert(roundCount >= 1, 'BENCH_ROUNDS is at least 1');
  const scaleEntryCountMax = readInteger(
    env,
    'BENCH_SCALE_MAX',
    quick ? SCALE_ENTRY_COUNT_MAX_QUICK : SCALE_ENTRY_COUNT_MAX_DEFAULT,
  );
  assert(scaleEntryCountMax >= 10_000, 'BENCH_SCALE_MAX is at least 10^4');
  const onlySource = env['BENCH_ONLY'];
  return {
    quick,
    roundCount,
    shrinkFactor: quick ? 10 : 1,
    only: onlySource === undefined || onlySource === '' ? null : new RegExp(onlySource),
    scaleEntryCountMax,
    seed: readInteger(env, 'BENCH_SEED', SEED_DEFAULT),
    roundSecondsMax: readNumber(env, 'BENCH_ROUND_SECONDS_MAX', quick ? ROUND_SECONDS_MAX_QUICK : ROUND_SECONDS_MAX_DEFAULT),
  };
}

/** A full-run count divided for quick mode, never below `minimum`. */
export function scaled(config: BenchConfig, count: number, minimum = 1): number {
  return Math.max(minimum, Math.round(count / config.shrinkFactor));
}

function readInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name}=${text}: expected an integer such as 1e6 or 5`);
  return value;
}

function readNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${name}=${text}: expected a positive number of seconds`);
  return value;
}
