/**
 * List against an array model: random steps (push, pop, shift, unshift,
 * insert, remove, set, at, bulk operations that make the tree two and three
 * levels deep and shrink it again, cursor walks that insert, remove and
 * replace, clear, commits, aborts, reopens); after every step verify()
 * passes, the heap checks, and the elements equal the model's; every abort
 * restores the segment's bytes exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listOpArb, listSubject, shape } from './list-subject.js';
import { Runner, runs, stepArb, timeout, World } from './list-hash-map-support.js';

describe('List against an array', () => {
  it('matches its model under random steps, with verify() after each', { timeout: timeout(60_000) }, () => {
    let grew = 0;
    let aborts = 0;
    // A fixed workload first, so that every run reaches the shapes asserted below whatever the seed.
    const fixed = new Runner(listSubject, World.create({ size: 16 * 1024 }));
    fixed.run([
      { kind: 'op', op: { kind: 'bulkPush', at: 0, count: 300, size: 230 } },
      { kind: 'op', op: { kind: 'bulkInsert', at: 0.5, count: 300, size: 120 } },
      { kind: 'op', op: { kind: 'push', value: 'z'.repeat(600) } },
      { kind: 'commit', flush: false },
      { kind: 'op', op: { kind: 'bulkRemove', at: 0.3, count: 200 } },
      { kind: 'abort' },
      { kind: 'op', op: { kind: 'bulkShift', at: 0, count: 590 } },
      { kind: 'commit', flush: true },
    ]);
    grew += fixed.counts.segmentGrowths;
    aborts += fixed.counts.aborts;
    fixed.world.rvm.close();
    fc.assert(
      fc.property(fc.array(stepArb(listOpArb), { minLength: 1, maxLength: 100 }), (steps) => {
        const runner = new Runner(listSubject, World.create({ size: 16 * 1024 }));
        runner.run(steps);
        grew += runner.counts.segmentGrowths;
        aborts += runner.counts.aborts;
        runner.world.rvm.close();
      }),
      runs(40),
    );
    console.log(`List model: ${JSON.stringify(shape)}, ${grew} segment growths, ${aborts} aborts`);
    expect(grew).toBeGreaterThan(0);
    expect(aborts).toBeGreaterThan(0);
    expect(shape.heightMax).toBeGreaterThanOrEqual(2);
    expect(shape.heightDrops).toBeGreaterThan(0);
    expect(shape.blobCountMax).toBeGreaterThan(0);
  });
});
