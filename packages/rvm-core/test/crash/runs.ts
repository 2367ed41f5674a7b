/**
 * How long the crash suite runs, from the environment:
 * - CI (any value): properties use a pinned seed, so every CI run checks the
 *   same workloads and the mutant script's verdicts are reproducible.
 * - RVM_CRASH_RUNS=N: N times the runs of every test (a soak); 1 by default.
 * - RVM_CRASH_SEED=S (and RVM_CRASH_PATH=P): replay the seed (and shrink
 *   path) that a failing run printed.
 * - RVM_CRASH_SHRINK_MS=T: how long a failing property may shrink (default
 *   30 s; the mutant script sets 0, it needs only the verdict).
 * Without CI or RVM_CRASH_SEED the seed is random; fast-check prints it with
 * the shrunk counterexample when a property fails.
 */
import type fc from 'fast-check';

/** The seed CI uses. Changing it changes what CI checks: rerun `pnpm test:mutants` after doing so. */
export const CI_SEED = 0x2bad5eed;

export const RUNS_MULTIPLIER = positiveInteger(process.env.RVM_CRASH_RUNS, 'RVM_CRASH_RUNS') ?? 1;

function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer; got ${JSON.stringify(value)}`);
  return n;
}

function seed(): number | undefined {
  const replay = process.env.RVM_CRASH_SEED;
  if (replay !== undefined && replay !== '') return Number(replay);
  return process.env.CI !== undefined && process.env.CI !== '' ? CI_SEED : undefined;
}

/** fast-check parameters for a property that runs `baseRuns` times in CI. */
export function propertyParameters<T>(baseRuns: number): fc.Parameters<T> {
  const parameters: fc.Parameters<T> = { numRuns: baseRuns * RUNS_MULTIPLIER };
  const s = seed();
  if (s !== undefined) parameters.seed = s;
  const path = process.env.RVM_CRASH_PATH;
  if (path !== undefined && path !== '') parameters.path = path;
  return parameters;
}

const SHRINK_TIME_MS = Number(process.env.RVM_CRASH_SHRINK_MS ?? 30_000);

/** A vitest timeout for a test that takes about `baseMs` per unit of RVM_CRASH_RUNS, plus time to shrink a failure. */
export function testTimeout(baseMs: number): number {
  return baseMs * RUNS_MULTIPLIER + SHRINK_TIME_MS;
}

/**
 * Bounds shrinking: a run of a workload takes milliseconds, and fast-check
 * may try thousands of smaller ones. Once a run has failed and
 * RVM_CRASH_SHRINK_MS have passed, later runs pass without running, which
 * ends shrinking: fast-check then reports the smallest failing case found so
 * far, with its seed and path (replaying them resumes shrinking).
 */
export class ShrinkBudget {
  private failedAt: number | null = null;
  private announced = false;

  async run(check: () => Promise<void>): Promise<void> {
    if (this.failedAt !== null && performance.now() - this.failedAt > SHRINK_TIME_MS) {
      if (!this.announced) console.log(`Shrinking stopped after ${SHRINK_TIME_MS} ms (RVM_CRASH_SHRINK_MS); the counterexample below may not be minimal.`);
      this.announced = true;
      return;
    }
    try {
      await check();
    } catch (e) {
      this.failedAt ??= performance.now();
      throw e;
    }
  }
}

/** Counts for the summary line each crash test file prints. */
export class CrashStats {
  workloads = 0;
  crashPoints = 0;
  crashStates = 0;
  recoveryCrashes = 0;
  private readonly started = performance.now();
  private readonly cpuStarted = process.cpuUsage();

  constructor(readonly name: string) {}

  summary(): string {
    return `${this.name}: ${this.workloads} workloads, ${this.crashPoints} crash points, ${this.crashStates} distinct crash states recovered, ${this.recoveryCrashes} crashes during recovery, ${this.timing()}`;
  }

  /** "in 12.3 s (11.0 s of CPU; RVM_CRASH_RUNS=1, seed 123)" */
  timing(): string {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const cpu = process.cpuUsage(this.cpuStarted);
    const cpuSeconds = ((cpu.user + cpu.system) / 1e6).toFixed(1);
    return `in ${seconds} s (${cpuSeconds} s of CPU; RVM_CRASH_RUNS=${RUNS_MULTIPLIER}, seed ${seed() ?? 'random'})`;
  }
}
