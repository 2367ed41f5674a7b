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
import { crashArbitrary, FRACTION_SCALE, workloadArbitrary } from './workload-gen.js';
import { runWorkload } from './workload.js';

const stats = new CrashStats('crash-model');
afterAll(() => console.log(stats.summary()));

describe('crash at a generated point of a generated workload', () => {
  it('recovers every segment to a prefix of the commits that holds every acknowledged one', async () => {
    const budget = new ShrinkBudget();
    await fc.assert(
      fc.asyncProperty(workloadArbitrary(40), crashArbitrary, (workload, crash) => budget.run(async () => {
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
      })),
      propertyParameters(200),
    );
  }, testTimeout(120_000));
});
