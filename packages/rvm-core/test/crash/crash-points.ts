/**
 * Every crash point of one run of a workload: ObservedStorage captures the
 * disk before every storage call (see observed-storage.ts for why that covers
 * every crash point; crash-points.test.ts checks it against
 * SimStorage.crashAt), skipping captures equal to the previous one.
 */
import { SimStorage } from '../../src/testing.js';
import type { Expectation } from './model.js';
import { ObservedStorage, STATE_CHANGING_OPS } from './observed-storage.js';
import type { CrashSpec } from './recovery-check.js';
import { RUNS_MULTIPLIER } from './runs.js';
import { runWorkload, WorkloadRunner, type Workload } from './workload.js';

const RANDOM_STATES_MAX = 8;

/**
 * The crash states to recover at one capture. Between two syncs the disk
 * only gains pending operations, and a crash may drop any of them, so the
 * states at an earlier capture are among those of the last capture before
 * the next sync or syncDir (or the end). That one gets keepAll, dropAll and
 * 2^pending seeded random states (at most RANDOM_STATES_MAX, times
 * RVM_CRASH_RUNS); every other capture gets keepAll, the state in which
 * exactly the operations issued so far reached the disk.
 */
export function specsFor(point: Capture): CrashSpec[] {
  if (!point.lastBeforeSync) return [{ mode: 'keepAll' }];
  const pending = point.storage.pendingCounts();
  const count = pending.fileOpCount + pending.dirOpCount;
  const specs: CrashSpec[] = [{ mode: 'keepAll' }, { mode: 'dropAll' }];
  const randomCount = count === 0 ? 0 : Math.min(RANDOM_STATES_MAX, 2 ** count) * RUNS_MULTIPLIER;
  for (let seed = 1; seed <= randomCount; seed++) specs.push({ mode: 'random', seed });
  return specs;
}

export interface Capture {
  readonly storage: SimStorage;
  readonly expectation: Expectation;
  /** The storage call about to run, or the call count at the end. */
  readonly opIndex: number;
  /** Whether the call about to run is a sync or syncDir, or the workload has ended. */
  readonly lastBeforeSync: boolean;
}

/** Runs the workload once, capturing the disk before every storage call at or after operation `firstOp` (-1: from the open). */
export async function captureCrashPoints(workload: Workload, firstOp: number): Promise<Capture[]> {
  const sim = new SimStorage();
  const captures: Capture[] = [];
  let changed = true;
  let lastKey = '';
  // eslint-disable-next-line prefer-const
  let runner: WorkloadRunner;
  const capture = (lastBeforeSync: boolean): void => {
    const expectation = runner.model.expectation();
    const key = expectation.key();
    if (!changed && key === lastKey) return;
    captures.push({ storage: sim.clone(), expectation, opIndex: sim.opCount, lastBeforeSync });
    changed = false;
    lastKey = key;
  };
  const observed = new ObservedStorage(sim, (op) => {
    if (runner.opIndex >= firstOp) capture(op === 'sync' || op === 'syncDir');
    if (STATE_CHANGING_OPS.has(op)) changed = true;
  });
  runner = new WorkloadRunner(observed, workload);
  const result = await runWorkload(sim, workload, true, runner);
  if (result.crashed) throw new Error('a workload without a crash armed crashed');
  changed = true;
  capture(true);
  return captures;
}
