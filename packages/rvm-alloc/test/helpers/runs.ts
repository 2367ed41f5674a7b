/**
 * How long the property and crash tests run, from the environment (the same
 * variables as rvm-core's crash suite):
 * - RVM_CRASH_RUNS=N: N times the runs of every property (a soak); 1 by default.
 * - RVM_CRASH_SEED=S (and RVM_CRASH_PATH=P): replay the seed (and shrink path)
 *   that a failing run printed. Otherwise the seed is pinned, so every run
 *   checks the same cases; fast-check prints seed and path when a property fails.
 */
import type fc from 'fast-check';

export const SEED_PINNED = 0x0a110c8;

export const RUNS_MULTIPLIER = positiveInteger(process.env.RVM_CRASH_RUNS, 'RVM_CRASH_RUNS') ?? 1;

function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer; got ${JSON.stringify(value)}`);
  return n;
}

export function seed(): number {
  const replay = process.env.RVM_CRASH_SEED;
  return replay !== undefined && replay !== '' ? Number(replay) : SEED_PINNED;
}

/** fast-check parameters for a property that runs `baseRuns` times by default. */
export function propertyParameters<T>(baseRuns: number): fc.Parameters<T> {
  const parameters: fc.Parameters<T> = { numRuns: baseRuns * RUNS_MULTIPLIER, seed: seed() };
  const path = process.env.RVM_CRASH_PATH;
  if (path !== undefined && path !== '') parameters.path = path;
  return parameters;
}

/** A vitest timeout for a test that takes about `baseMs` per unit of RVM_CRASH_RUNS. */
export function testTimeout(baseMs: number): number {
  return baseMs * RUNS_MULTIPLIER;
}
