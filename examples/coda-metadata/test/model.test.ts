/**
 * Model-based tests: random operation sequences run on the stored file server
 * and on the in-memory model; every outcome (success or error code), every
 * returned fid and the whole state must agree, and fsck must stay clean.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snapshot, snapshotDifference } from '../src/snapshot.js';
import { Random } from '../src/random.js';
import type { Op } from '../src/workload.js';
import { applyOp, formatOp, SHAPE_SMALL, Workload } from '../src/workload.js';
import { ModelFs } from './model.js';
import { expectClean, openWorld, runs, timeout } from './support.js';

const component = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c') }, { weight: 1, arbitrary: fc.constantFrom('.', '..') });
const path = fc.array(component, { minLength: 1, maxLength: 2 }).map((cs) => `/${cs.join('/')}`);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('mkdir' as const), path, mode: fc.constantFrom(0o755, 0o700) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), path, mode: fc.constant(0o644), owner: fc.constantFrom(0, 1000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('symlink' as const), target: fc.oneof(path, fc.constantFrom('a', '..', 'b/c')), path }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('link' as const), existing: path, path }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unlink' as const), path }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rmdir' as const), path }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('rename' as const), from: path, to: path }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('setattr' as const),
      path,
      attrs: fc.oneof(fc.record({ mode: fc.constantFrom(0o600, 0o7777) }), fc.record({ length: fc.nat(1000) }), fc.record({ mtime: fc.nat(1000) }), fc.record({ owner: fc.nat(5) })),
    }),
  },
);

/** Runs ops on both, comparing outcomes, fids and (every `compareEvery` ops) the state and fsck. */
function runBoth(ops: readonly Op[], compareEvery: number): Record<string, number> {
  const world = openWorld();
  const model = new ModelFs(0);
  const outcomes: Record<string, number> = {};
  ops.forEach((op, i) => {
    world.clock.now = i + 1;
    model.now = i + 1;
    const got = applyOp(world.fs, op);
    const expected = applyOp(model, op);
    if (got !== expected) throw new Error(`op ${i} (${formatOp(op)}): the store says ${got}, the model ${expected}`);
    outcomes[got] = (outcomes[got] ?? 0) + 1;
    if ((i + 1) % compareEvery === 0 || i === ops.length - 1) {
      const difference = snapshotDifference(snapshot(world.server.tables), model.snapshot());
      if (difference !== null) throw new Error(`after op ${i} (${formatOp(op)}): ${difference}`);
      expectClean(world.server);
    }
  });
  world.store.verify();
  return outcomes;
}

/** Outcomes seen by every test of this file: the comparisons prove little unless they reach the errors. */
const seen: Record<string, number> = {};

describe('the file server matches the model', () => {
  it('on short generated sequences over a few names (shrinks to a minimal failing one)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 50, size: 'max' }), (ops) => {
        for (const [k, n] of Object.entries(runBoth(ops, 1))) seen[k] = (seen[k] ?? 0) + n;
      }),
      runs(25),
    );
  }, timeout(60_000));

  it('on longer workloads that grow a tree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), (seed) => {
        const world = openWorld();
        const model = new ModelFs(0);
        const workload = new Workload(new Random(seed), SHAPE_SMALL);
        for (let i = 0; i < 300; i++) {
          const op = workload.next();
          world.clock.now = i + 1;
          model.now = i + 1;
          const got = applyOp(world.fs, op);
          const expected = applyOp(model, op);
          if (got !== expected) throw new Error(`seed ${seed} op ${i} (${formatOp(op)}): the store says ${got}, the model ${expected}`);
          seen[got] = (seen[got] ?? 0) + 1;
          workload.observe(op, got);
        }
        const difference = snapshotDifference(snapshot(world.server.tables), model.snapshot());
        if (difference !== null) throw new Error(`seed ${seed}: ${difference}`);
        expectClean(world.server);
        world.store.verify();
      }),
      runs(4),
    );
  }, timeout(60_000));

  it('reached success and every common error', () => {
    for (const code of ['ok', 'ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EINVAL']) expect(seen[code] ?? 0, code).toBeGreaterThan(0);
  });
});
