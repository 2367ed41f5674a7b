/**
 * Faults: every storage call of a generated workload fails, once or from then
 * on (a dying disk), with EIO, ENOSPC or a short write. Whatever fails:
 * - the library throws only RvmError (IO_ERROR, NO_SPACE, or POISONED for a
 *   call after an earlier failure it reported through the logger);
 * - after a failed write or sync (or resize, rename, remove, syncDir), the
 *   instance refuses commits, flush and truncate with POISONED even once the
 *   disk works again, because the kernel may have dropped the changes;
 * - nothing acknowledged before the fault is lost: closing, then reopening in
 *   the same process (when the lock was released: a failed unlock holds it
 *   until the process ends) or after a crash (both extremes and a random
 *   state), gives a prefix of the commits that holds every acknowledged one.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RvmError, type RvmErrorCode } from '../../src/index.js';
import { SimStorage, type SimFaultKind, type SimOp } from '../../src/testing.js';
import { checkRecovery, crashStates } from './recovery-check.js';
import { CrashStats, propertyParameters, ShrinkBudget, testTimeout } from './runs.js';
import { workloadArbitrary } from './workload-gen.js';
import { ModelViolation, STORE_DIR, WorkloadRunner, type Workload } from './workload.js';

/** Calls whose failure means the disk may not hold what the page cache shows. */
const WRITING_OPS: ReadonlySet<SimOp> = new Set<SimOp>(['write', 'sync', 'resize', 'rename', 'remove', 'syncDir']);

const FAILURE_CODES: ReadonlySet<RvmErrorCode> = new Set<RvmErrorCode>(['IO_ERROR', 'NO_SPACE', 'POISONED']);

/** Later calls a persistent fault covers (one one-shot fault per call index). */
const PERSISTENT_SPAN = 2000;

interface FaultCase {
  readonly opIndex: number;
  readonly op: SimOp;
  readonly kind: SimFaultKind;
  readonly persistent: boolean;
}

/** The storage calls of a fault-free run, by index. */
async function callsOf(workload: Workload): Promise<SimOp[]> {
  const storage = new SimStorage({ recordOps: true });
  const runner = new WorkloadRunner(storage, workload);
  runner.open();
  for (const op of workload.ops) await runner.step(op);
  runner.close();
  return storage.opLog!.map((line) => line.split(' ')[1] as SimOp);
}

function casesFor(calls: readonly SimOp[]): FaultCase[] {
  const cases: FaultCase[] = [];
  for (const [opIndex, op] of calls.entries()) {
    for (const persistent of [false, true]) {
      cases.push({ opIndex, op, kind: 'EIO', persistent });
      if (op === 'write') cases.push({ opIndex, op, kind: 'short', persistent });
    }
    if (op === 'write' || op === 'resize' || op === 'sync') cases.push({ opIndex, op, kind: 'ENOSPC', persistent: false });
  }
  return cases;
}

const stats = new CrashStats('faults');
let faultRuns = 0;
afterAll(() => console.log(`faults: ${stats.workloads} workloads, ${faultRuns} runs with a fault injected, ${stats.crashStates} reopens and crash states recovered after them, ${stats.timing()}`));

async function runWithFault(workload: Workload, fault: FaultCase): Promise<void> {
  faultRuns++;
  const storage = new SimStorage();
  const count = fault.persistent ? PERSISTENT_SPAN : 1;
  for (let i = 0; i < count; i++) storage.injectFault({ opIndex: fault.opIndex + i, kind: fault.kind, persistent: false });
  const runner = new WorkloadRunner(storage, workload);
  let failure: RvmError | null = null;
  let poisonedQuietly = false;
  try {
    runner.open();
    for (const op of workload.ops) {
      await runner.step(op);
      // A failure in the background (or reported through a commitAsync
      // promise) poisons the instance; later calls report it.
      poisonedQuietly = runner.rvm!.query().poisoned;
      if (poisonedQuietly) break;
    }
    if (!poisonedQuietly) runner.close();
  } catch (e) {
    if (e instanceof ModelViolation) throw e;
    if (!(e instanceof RvmError)) throw new Error(`a fault surfaced as ${e instanceof Error ? e.name : typeof e}, not RvmError: ${String(e)}`, { cause: e });
    // close() ignores a failed unlock, so the lock stays held until the process
    // ends and reopening in the same process is refused: a known limitation.
    const lockStuck = e.code === 'LOCKED' && fault.op === 'unlock';
    if (!FAILURE_CODES.has(e.code) && !lockStuck) throw new Error(`a fault surfaced as ${e.code}`, { cause: e });
    failure = e;
  }
  // A failed sync on the thread pool reports to its callback on a later turn:
  // let the background work the run started (a group sync scheduled for the
  // next turn, then its callback) finish before asking whether the instance
  // knows (a call that failed first, say an exists() under the same
  // persistent fault, cannot know yet).
  do await new Promise((resolve) => setImmediate(resolve));
  while (storage.asyncInFlight > 0);
  storage.clearFaults();
  if (storage.faultCount === 0) throw new Error('the fault never fired: the run differs from the fault-free one');
  // A short write that is retried to completion is no failure; any other fault of a writing call is.
  const writeFailed = WRITING_OPS.has(fault.op) && (fault.kind !== 'short' || fault.persistent);
  const rvm = runner.rvm;
  const stillOpen = rvm !== null && codeOf(() => rvm.query()) !== 'CLOSED';
  if (writeFailed) {
    expect(failure !== null || poisonedQuietly, 'a failed write or sync is reported or poisons the instance').toBe(true);
  }
  if (stillOpen) {
    if (writeFailed) {
      // The disk works again, but this instance must not write any more.
      expect(rvm.query().poisoned, 'poisoned after a failed write or sync').toBe(true);
      expect(codeOf(() => runner.probeCommit()), 'a commit after a failed write or sync').toBe('POISONED');
      expect(codeOf(() => rvm.flush()), 'flush after a failed write or sync').toBe('POISONED');
      expect(codeOf(() => rvm.truncate()), 'truncate after a failed write or sync').toBe('POISONED');
    }
    runner.close();
  } else if (rvm !== null) {
    runner.abandon();
  }
  // Reopen in this process, unless the lock could not be released (a failed
  // unlock: only the end of the process releases it). The storage still
  // shows what the failed calls wrote.
  if (lockReleased(storage)) {
    checkRecovery(storage.clone(), workload, runner.model.expectation(), false, `reopen after ${JSON.stringify(fault)}`);
    stats.crashStates++;
  }
  // And after the machine died.
  for (const { storage: state, spec } of crashStates(storage, [{ mode: 'keepAll' }, { mode: 'dropAll' }, { mode: 'random', seed: fault.opIndex }], null)) {
    stats.crashStates++;
    checkRecovery(state, workload, runner.model.expectation(), false, `crash ${JSON.stringify(spec)} after ${JSON.stringify(fault)}`);
  }
}

function lockReleased(storage: SimStorage): boolean {
  try {
    storage.clone().lock(`${STORE_DIR}/lock`);
    return true;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ELOCKED') return false;
    throw e;
  }
}

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RvmError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('a storage call fails, once or from then on', () => {
  it('surfaces RvmError, poisons after a failed write or sync, loses nothing acknowledged, and reopens', async () => {
    const budget = new ShrinkBudget();
    await fc.assert(
      fc.asyncProperty(workloadArbitrary(12), (workload) => budget.run(async () => {
        stats.workloads++;
        const calls = await callsOf(workload);
        for (const fault of casesFor(calls)) {
          try {
            await runWithFault(workload, fault);
          } catch (e) {
            throw new Error(`with ${JSON.stringify(fault)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
          }
        }
      })),
      propertyParameters(6),
    );
  }, testTimeout(120_000));
});
