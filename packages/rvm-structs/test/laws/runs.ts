/**
 * How long the laws run, from the environment (the same variables as the
 * other crash suites of the repository):
 * - RVM_CRASH_RUNS=N: N times the runs of every property (a soak); 1 by default.
 * - FC_SEED=S (and FC_PATH=P): replay the seed (and shrink path) a failure
 *   printed. In CI (process.env.CI) the seed is pinned, so every CI run checks
 *   the same cases; elsewhere it is random and fast-check prints it on failure.
 */
import type fc from 'fast-check';

export const RUNS_MULTIPLIER = positiveInteger(process.env.RVM_CRASH_RUNS) ?? 1;
export const SEED_PINNED = 0x1a3b5;

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`RVM_CRASH_RUNS must be a positive integer; got ${JSON.stringify(value)}`);
  return n;
}

/**
 * fast-check parameters for a property that runs `baseRuns` times by default:
 * the seed pinned in CI (`seedPinned`, so suites can keep their own), or
 * FC_SEED / FC_PATH to replay what a failure printed, random otherwise.
 */
export function runs<T>(baseRuns: number, seedPinned = SEED_PINNED): fc.Parameters<T> {
  const parameters: fc.Parameters<T> = { numRuns: baseRuns * RUNS_MULTIPLIER };
  const replay = process.env.FC_SEED;
  if (replay !== undefined && replay !== '') parameters.seed = Number(replay);
  else if (process.env.CI) parameters.seed = seedPinned;
  const path = process.env.FC_PATH;
  if (path !== undefined && path !== '') parameters.path = path;
  return parameters;
}

/** A vitest timeout for a test that takes about `baseMs` per unit of RVM_CRASH_RUNS. */
export function timeout(baseMs: number): number {
  return baseMs * RUNS_MULTIPLIER;
}
