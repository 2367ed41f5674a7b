/**
 * The laws every persistent structure obeys, run through the Store on
 * simulated storage (`runStructureLaws(subject)` registers them as vitest
 * tests):
 *
 * 1. Model: under random transactions of random operations it behaves like
 *    its in-memory model, and verify() (its own and the Store's, which checks
 *    the heap and that no block leaked) holds after every operation and step.
 * 2. Abort: a transaction that aborts restores every byte of the segment
 *    (a grown tail stays zero) and the model.
 * 3. Crash: the storage crashes at a generated operation of a random workload;
 *    after recovery the structure verifies and equals the model after some
 *    prefix of the commits that includes every durably acknowledged one, and
 *    it keeps working.
 * 4. Growth: a workload that makes the segment grow several times, with
 *    aborts in the middle and crashes during growth, keeps every law above.
 *
 * The store starts with a small segment so that ordinary workloads grow it
 * too. Run lengths follow runs.ts (RVM_CRASH_RUNS, FC_SEED, CI).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoreOptions } from '../../src/store.js';
import { runs, timeout } from './runs.js';
import type { LawStep, LawSubject } from './subject.js';
import { crashAndRecover, LawWorld } from './world.js';
import { SimStorage } from '@rvm/core/testing';

export interface LawOptions {
  /** Store options (segmentSize, sizeMax); storage is always simulated. Default: a 64 KiB segment growing up to 64 MiB. */
  readonly store?: StoreOptions;
  /** Runs of the model law; the others scale with it. Default 25. */
  readonly modelRuns?: number;
  /** Runs of the crash law. Default 40. */
  readonly crashRuns?: number;
  /** The most operations in one transaction. Default 12. */
  readonly opsMax?: number;
  /** The most steps in one workload. Default 24. */
  readonly stepsMax?: number;
}

/** checkWrites: RVM compares the segment at begin and commit and throws UNDECLARED_WRITE for any byte changed without setRange. */
const STORE_DEFAULT: StoreOptions = { segmentSize: 64 * 1024, sizeMax: 64 * 1024 * 1024, rvmOptions: { checkWrites: true } };

export function stepArbFor<Op>(opArb: fc.Arbitrary<Op>, opsMax: number): fc.Arbitrary<LawStep<Op>> {
  const tx = fc.record({
    ops: fc.array(opArb, { minLength: 1, maxLength: opsMax }),
    end: fc.constantFrom<'flush' | 'no-flush' | 'abort'>('flush', 'no-flush', 'no-flush', 'abort'),
  });
  return fc.oneof(
    { weight: 14, arbitrary: tx.map((t): LawStep<Op> => ({ kind: 'tx', ops: t.ops, end: t.end })) },
    { weight: 1, arbitrary: fc.constant<LawStep<Op>>({ kind: 'flush' }) },
    { weight: 1, arbitrary: fc.constant<LawStep<Op>>({ kind: 'reopen' }) },
  );
}

/** A workload that grows the structure by about `total` bytes in transactions of `perTx`, aborting every third. */
export function growthSteps<S, M, Op>(spec: LawSubject<S, M, Op>, seed: number, total: number, perTx: number): LawStep<Op>[] {
  const steps: LawStep<Op>[] = [];
  const opSize = 8 * 1024;
  let k = 0;
  for (let added = 0; added < total; k++) {
    const ops: Op[] = [];
    for (let size = 0; size < perTx; size += opSize) ops.push(spec.growOp(seed * 1000 + k * 16 + ops.length, opSize));
    const end = k % 3 === 1 ? 'abort' : k % 3 === 2 ? 'no-flush' : 'flush';
    steps.push({ kind: 'tx', ops, end });
    if (end !== 'abort') added += perTx;
  }
  return steps;
}

export function runStructureLaws<S, M, Op>(spec: LawSubject<S, M, Op>, options: LawOptions = {}): void {
  const store = options.store ?? STORE_DEFAULT;
  const modelRuns = options.modelRuns ?? 25;
  const crashRuns = options.crashRuns ?? 40;
  const stepArb = stepArbFor(spec.opArb, options.opsMax ?? 12);
  const workloadArb = fc.array(stepArb, { minLength: 1, maxLength: options.stepsMax ?? 24 });

  describe(`laws: ${spec.name}`, () => {
    it('behaves like its model under random operations; verify() holds after every step', { timeout: timeout(60_000) }, () => {
      const totals = { steps: 0, commits: 0, aborts: 0, reopens: 0, segmentGrowths: 0 };
      fc.assert(
        fc.property(workloadArb, (steps) => {
          const world = new LawWorld(spec, new SimStorage(), store, true);
          world.run(steps);
          world.store.close();
          for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += world.counts[key];
        }),
        runs(modelRuns),
      );
      console.log(`${spec.name} model law: ${JSON.stringify(totals)}`);
      expect(totals.commits).toBeGreaterThan(0);
      expect(totals.aborts).toBeGreaterThan(0);
    });

    it('abort restores every byte and the model, after any prefix of commits', { timeout: timeout(60_000) }, () => {
      fc.assert(
        fc.property(workloadArb, fc.array(spec.opArb, { minLength: 1, maxLength: 40 }), (steps, doomed) => {
          const world = new LawWorld(spec, new SimStorage(), store, false);
          world.run(steps);
          world.step({ kind: 'tx', ops: doomed, end: 'abort' });
          world.store.close();
        }),
        runs(Math.ceil(modelRuns / 2)),
      );
    });

    it('crash anywhere, recover: the model after a prefix of commits including every durable one', { timeout: timeout(60_000) }, () => {
      const outcomes = { workloads: 0, crashed: 0, latest: 0, older: 0 };
      fc.assert(
        fc.property(
          workloadArb,
          fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          fc.nat(),
          fc.array(stepArb, { maxLength: 3 }),
          (steps, where, crashSeed, after) => {
            const outcome = crashAndRecover(spec, store, steps, where, crashSeed, after);
            outcomes.workloads++;
            if (outcome.crashed) outcomes.crashed++;
            if (outcome.behind === 0) outcomes.latest++;
            else outcomes.older++;
          },
        ),
        runs(crashRuns),
      );
      console.log(`${spec.name} crash law: ${JSON.stringify(outcomes)}`);
      expect(outcomes.crashed).toBeGreaterThan(0);
    });

    it('keeps the laws while the segment grows mid-workload', { timeout: timeout(60_000) }, () => {
      // Without crashes: growth several times over, with aborted growth in between.
      const world = new LawWorld(spec, new SimStorage(), store, false);
      const initial = world.store.segment.size;
      world.run(growthSteps(spec, 1, 6 * initial, initial / 2));
      expect(world.counts.segmentGrowths).toBeGreaterThanOrEqual(3);
      expect(world.store.segment.size).toBeGreaterThan(4 * initial);
      world.store.close();
      // With a crash anywhere in a growing workload.
      let older = 0;
      fc.assert(
        fc.property(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.nat(), fc.nat({ max: 1000 }), (where, crashSeed, seed) => {
          const outcome = crashAndRecover(spec, store, growthSteps(spec, seed, 3 * initial, initial / 2), where, crashSeed, [{ kind: 'tx', ops: [spec.growOp(seed, 8 * 1024)], end: 'flush' }]);
          if (outcome.behind > 0) older++;
        }),
        runs(Math.ceil(crashRuns / 4)),
      );
      console.log(`${spec.name} growth law: ${world.counts.segmentGrowths} growths to ${world.store.segment.size} bytes; crash runs recovering an older commit: ${older}`);
    });
  });
}
