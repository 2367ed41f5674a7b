/**
 * Model-based property test: random sequences of alloc, free, write, realloc,
 * commit, abort, grow, setRoot, invalid frees and reopen, run on a heap (over
 * simulated storage, growing automatically) and on a model of live blocks.
 * After every step: check() passes, the allocated blocks are exactly the
 * model's, none overlap, each keeps its contents, and the roots agree.
 * The seed is pinned (see helpers/runs.ts); a failure prints it with the
 * shrunk command sequence, and RVM_CRASH_SEED / RVM_CRASH_PATH replay it.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { propertyParameters, testTimeout } from './helpers/runs.js';
import { simHeap } from './helpers/sim-heap.js';
import { HEAP_SIZE_INITIAL, HEAP_SIZE_MAX, mismatch, mixedSizeArb, type Op, opArbFor, smallSizeArb, World } from './helpers/workload.js';

class OpCommand implements fc.Command<object, World> {
  constructor(readonly op: Op) {}

  check(): boolean {
    return true;
  }

  run(_model: object, world: World): void {
    world.apply(this.op);
    const problem = mismatch(world.sim.heap, world.sim.segment, world.current);
    if (problem !== null) throw new Error(`after ${this.toString()}: ${problem}`);
  }

  toString(): string {
    return JSON.stringify(this.op);
  }
}

function property(opArb: fc.Arbitrary<Op>, commandCountMax: number): fc.IPropertyWithHooks<[Iterable<fc.Command<object, World>>]> {
  return fc.property(fc.commands([opArb.map((op) => new OpCommand(op))], { maxCommands: commandCountMax, size: 'max' }), (commands) => {
    const setup = () => ({ model: {}, real: new World(simHeap(HEAP_SIZE_INITIAL, { sizeMax: HEAP_SIZE_MAX })) });
    fc.modelRun(setup, commands);
  });
}

describe('heap against a model of live blocks', () => {
  it('mixed sizes, with growth up to sizeMax and OUT_OF_SPACE', { timeout: testTimeout(60_000) }, () => {
    fc.assert(property(opArbFor(mixedSizeArb), 150), propertyParameters(32));
  });

  it('small sizes, many live blocks', { timeout: testTimeout(60_000) }, () => {
    fc.assert(property(opArbFor(smallSizeArb, 14), 250), propertyParameters(15));
  });
});
