/**
 * Model-based crash test: a generated workload runs against the simulated
 * storage and the model, the process dies at a generated storage call, the
 * disk keeps a generated selection of what was not yet durable, and the
 * reopened store must equal the model after some prefix of the commits that
 * holds every acknowledged one (model.ts). Some runs crash a second time
 * during recovery; recovery must then give the same result.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { SimStorage } from '../../src/testing.js';
import { checkRecovery, checkRecoveryCrash, crashStates } from './recovery-check.js';
import { CrashStats, propertyParameters, ShrinkBudget, testTimeout } from './runs.js';
import { crashArbitrary, FRACTION_SCALE, workloadArbitrary, type Crash } from './workload-gen.js';
import { runWorkload, type Workload } from './workload.js';

const stats = new CrashStats('crash-model');
afterAll(() => console.log(stats.summary()));

/** Runs the workload, crashes it at `crash.point`, and checks every crash state it names. */
async function checkCrash(workload: Workload, crash: Crash): Promise<void> {
  stats.workloads++;
  // A first run without a crash checks memory against the model after every
  // step and counts the storage calls; the run is deterministic.
  const dry = new SimStorage();
  await runWorkload(dry, workload, true);
  const opCount = dry.opCount;
  const point = Math.floor((crash.point * (opCount + 1)) / FRACTION_SCALE);
  const storage = new SimStorage();
  if (point < opCount) storage.crashAt(point, 0);
  const { runner, crashed } = await runWorkload(storage, workload, false);
  if (crashed !== point < opCount) throw new Error(`the second run of the workload ${crashed ? 'crashed' : 'did not crash'} at storage call ${point} of ${opCount}`);
  stats.crashPoints++;
  const expectation = runner.model.expectation();
  for (const { storage: state, spec } of crashStates(storage, crash.states, crash.states.length > 1 ? new Set() : null)) {
    stats.crashStates++;
    const what = `crash at storage call ${point} of ${opCount}, state ${JSON.stringify(spec)}`;
    const result = checkRecovery(crash.recoveryCrash === null ? state : state.clone(), workload, expectation, true, what);
    if (crash.recoveryCrash !== null) {
      stats.recoveryCrashes++;
      checkRecoveryCrash(state, workload, crash.recoveryCrash.point / FRACTION_SCALE, crash.recoveryCrash.seed, result.segments, what);
    }
  }
}

/** Cases soaks found, shrunk by hand; they run in every CI run. */
const REGRESSIONS: ReadonlyArray<{ readonly name: string; readonly workload: Workload; readonly crash: Crash }> = [
  {
    // Background truncation asserted that no open no-restore transaction had
    // declared bytes of any segment, while it only skips segments it declared
    // bytes of: truncateAsync poisoned the store.
    name: 'truncateAsync with an open no-restore transaction on another segment',
    workload: {
      options: { logSizeMax: 1 << 20, batchSizeMax: 1 << 20, truncation: 'background' },
      ops: [
        { kind: 'map', segment: 0, size: 64 },
        { kind: 'tx', restore: true, sets: [{ segment: 0, at: 0, length: 8, fill: 1 }], end: 'flush' },
        { kind: 'begin', restore: true },
        { kind: 'set', tx: 0, segment: 0, at: 16, length: 8, fill: 2 },
        { kind: 'map', segment: 1, size: 64 },
        { kind: 'begin', restore: false },
        { kind: 'set', tx: 1, segment: 1, at: 0, length: 8, fill: 3 },
        { kind: 'truncateAsync' },
        { kind: 'yield', turns: 20 },
        { kind: 'tx', restore: true, sets: [{ segment: 0, at: 32, length: 8, fill: 4 }], end: 'flush' },
      ],
    },
    crash: { point: FRACTION_SCALE - 1, states: [{ mode: 'dropAll' }], recoveryCrash: null },
  },
];

describe('crash at a generated point of a generated workload', () => {
  it('recovers every segment to a prefix of the commits that holds every acknowledged one', async () => {
    const budget = new ShrinkBudget();
    await fc.assert(
      fc.asyncProperty(workloadArbitrary(40), crashArbitrary, (workload, crash) => budget.run(() => checkCrash(workload, crash))),
      propertyParameters(200),
    );
  }, testTimeout(120_000));

  for (const { name, workload, crash } of REGRESSIONS) {
    it(`regression: ${name}`, () => checkCrash(workload, crash));
  }
});
