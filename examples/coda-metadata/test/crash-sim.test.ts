/**
 * Crash test on simulated storage: a random workload (each operation a flush
 * or a no-flush commit, with explicit flushes between) is run once to count
 * storage calls, then again on fresh storage that crashes at a generated
 * call, keeping, dropping or tearing each unsynced write. After recovery:
 * fsck is clean, the store verifies, the tree equals the model after some
 * prefix of the operations that includes every operation known durable (a
 * flush commit or flush() returned) and at most the one in flight, and the
 * recovered server keeps matching the model for more operations.
 */
import { isSimCrash, SimStorage } from '@rvm/core/testing';
import type { StoreOptions } from '@rvm/structs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { snapshot, snapshotDifference } from '../src/snapshot.js';
import { applyOp, formatOp, SHAPE_SMALL, Workload } from '../src/workload.js';
import { ModelFs } from './model.js';
import { Clock, expectClean, openWorld, runs, timeout } from './support.js';
import type { World } from './support.js';

/** A small log and synchronous truncation, so crashes also land in truncations; small batches, so no-flush commits reach the log unsynced. */
const STORE_OPTIONS: Omit<StoreOptions, 'storage'> = { rvmOptions: { logSizeMax: 24 * 1024, truncation: 'sync', batchSizeMax: 2048 } };
const OP_COUNT = 60;

interface Plan {
  readonly seed: number;
  /** Per operation: commit with a flush? */
  readonly flushes: boolean[];
  /** Per operation: call store.flush() after it? */
  readonly explicitFlushes: boolean[];
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  flushes: fc.array(fc.boolean(), { minLength: OP_COUNT, maxLength: OP_COUNT }),
  explicitFlushes: fc.array(fc.integer({ min: 0, max: 9 }).map((n) => n === 0), { minLength: OP_COUNT, maxLength: OP_COUNT }),
});

interface Run {
  /** models[k]: the state after k operations (the last one's may have been in flight when the crash came). */
  readonly models: ModelFs[];
  /** Operations known durable. */
  durableCount: number;
  crashed: boolean;
}

/** Runs the plan on `world` until the storage crashes; records the model after each operation. */
function runPlan(world: World, plan: Plan): Run {
  const workload = new Workload(new Random(plan.seed), SHAPE_SMALL);
  const model = new ModelFs(0);
  const run: Run = { models: [model.clone()], durableCount: 0, crashed: false };
  for (let i = 0; i < OP_COUNT; i++) {
    const op = workload.next();
    // The model goes first: if the store crashes in this operation, the model after it is a candidate too.
    model.now = i + 1;
    const expected = applyOp(model, op);
    const after = model.clone();
    world.clock.now = i + 1;
    world.server.flush = plan.flushes[i]!;
    try {
      const outcome = applyOp(world.fs, op);
      if (outcome !== expected) throw new Error(`op ${i} (${formatOp(op)}): the store says ${outcome}, the model ${expected}`);
      workload.observe(op, outcome);
      run.models.push(after);
      // A failed operation aborts: it commits nothing, so its flush makes nothing durable.
      if (plan.flushes[i]! && outcome === 'ok') run.durableCount = i + 1;
      if (plan.explicitFlushes[i]!) {
        world.store.flush();
        run.durableCount = i + 1;
      }
    } catch (e) {
      if (!isSimCrash(e)) throw e;
      if (run.models.length === i + 1) run.models.push(after);
      run.crashed = true;
      break;
    }
  }
  return run;
}

describe('crash on simulated storage', () => {
  it('recovers to the model after a prefix holding every durable operation; fsck is clean', () => {
    let crashes = 0;
    fc.assert(
      fc.property(planArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 0xffff }), (plan, where, crashSeed) => {
        // A dry run counts the storage calls of the workload.
        const dry = openWorld(new SimStorage(), new Clock(), STORE_OPTIONS);
        const first = dry.storage.opCount;
        runPlan(dry, plan);
        const last = dry.storage.opCount;

        const storage = new SimStorage();
        const world = openWorld(storage, new Clock(), STORE_OPTIONS);
        expect(storage.opCount).toBe(first);
        storage.crashAt(first + Math.floor(where * (last - first)), crashSeed);
        const run = runPlan(world, plan);
        if (!run.crashed) return; // the crash point was past the end (a final flush-free tail)
        crashes++;
        storage.recoverFromCrash();

        const recovered = openWorld(storage, new Clock(), STORE_OPTIONS);
        recovered.store.verify();
        expectClean(recovered.server);
        const actual = snapshot(recovered.server.tables);
        let matched = -1;
        for (let k = run.models.length - 1; k >= run.durableCount; k--) {
          if (snapshotDifference(actual, run.models[k]!.snapshot()) === null) {
            matched = k;
            break;
          }
        }
        if (matched < 0) {
          const newest = snapshotDifference(actual, run.models[run.models.length - 1]!.snapshot());
          throw new Error(`the recovered tree equals no model from ${run.durableCount} to ${run.models.length - 1} operations; against the newest: ${newest}`);
        }

        // The recovered server keeps working, and keeps matching the model.
        const model = run.models[matched]!;
        const workload = new Workload(new Random(plan.seed ^ 0x5a5a), SHAPE_SMALL);
        for (let i = 0; i < 20; i++) {
          const op = workload.next();
          recovered.clock.now = 1000 + i;
          model.now = 1000 + i;
          const outcome = applyOp(recovered.fs, op);
          expect(outcome, formatOp(op)).toBe(applyOp(model, op));
          workload.observe(op, outcome);
        }
        expect(snapshotDifference(snapshot(recovered.server.tables), model.snapshot())).toBeNull();
        expectClean(recovered.server);
        recovered.store.close();
      }),
      runs(12),
    );
    expect(crashes).toBeGreaterThan(0);
  }, timeout(60_000));
});
