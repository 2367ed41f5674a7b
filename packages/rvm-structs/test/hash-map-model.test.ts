/**
 * HashMap against a `Map` model: random steps (set, delete, get, bulk inserts
 * and deletes that force splits and merges, clear, commits, aborts, reopens);
 * after every step verify() passes, the heap checks, and the contents equal
 * the model's; every abort restores the segment's bytes exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashMapSubject, mapOpArb, shape } from './hash-map-subject.js';
import { Runner, runs, stepArb, timeout, World } from './list-hash-map-support.js';

describe('HashMap against a Map', () => {
  it('matches its model under random steps, with verify() after each', { timeout: timeout(60_000) }, () => {
    let grew = 0;
    let aborts = 0;
    // A fixed workload first, so that every run reaches the shapes asserted below whatever the seed.
    const fixed = new Runner(hashMapSubject, World.create({ size: 16 * 1024 }));
    fixed.run([
      { kind: 'op', op: { kind: 'bulkSet', start: 0, count: 300, value: 'x'.repeat(300) } },
      { kind: 'op', op: { kind: 'set', key: 'blob', value: 'y'.repeat(500) } },
      { kind: 'commit', flush: false },
      { kind: 'op', op: { kind: 'bulkDelete', start: 0, count: 200 } },
      { kind: 'abort' },
      { kind: 'op', op: { kind: 'bulkDelete', start: 0, count: 290 } },
      { kind: 'commit', flush: true },
    ]);
    grew += fixed.counts.segmentGrowths;
    aborts += fixed.counts.aborts;
    fixed.world.rvm.close();
    fc.assert(
      fc.property(fc.array(stepArb(mapOpArb), { minLength: 1, maxLength: 100 }), (steps) => {
        const runner = new Runner(hashMapSubject, World.create({ size: 16 * 1024 }));
        runner.run(steps);
        grew += runner.counts.segmentGrowths;
        aborts += runner.counts.aborts;
        runner.world.rvm.close();
      }),
      runs(40),
    );
    console.log(`HashMap model: ${JSON.stringify(shape)}, ${grew} segment growths, ${aborts} aborts`);
    expect(grew).toBeGreaterThan(0);
    expect(aborts).toBeGreaterThan(0);
    expect(shape.splits).toBeGreaterThan(0);
    expect(shape.merges).toBeGreaterThan(0);
    expect(shape.blobCountMax).toBeGreaterThan(0);
    expect(shape.overflowPageCountMax).toBeGreaterThan(0);
  });
});
