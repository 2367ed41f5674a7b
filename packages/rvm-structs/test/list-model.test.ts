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
