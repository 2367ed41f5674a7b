/**
 * Crash tests on simulated storage: a random workload (the model test's
 * operations: allocations that grow the segment, frees, writes, realloc,
 * roots, flush and no-flush commits, aborts, reopens) runs until the storage
 * dies at a generated operation; the crash keeps, drops or tears whatever was
 * not synced (sim-storage.ts). After recovery the heap must pass check() and
 * hold exactly the live blocks, contents and roots of one committed state no
 * older than the last commit known durable, and it must keep working.
 */
import { Rvm } from '@rvm/core';
import { isSimCrash } from '@rvm/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Heap } from '../src/index.js';
import { propertyParameters, RUNS_MULTIPLIER, seed, testTimeout } from './helpers/runs.js';
import { DIR, SEGMENT, simHeap } from './helpers/sim-heap.js';
import { HEAP_SIZE_INITIAL, HEAP_SIZE_MAX, mismatch, mixedSizeArb, type Op, opArbFor, World } from './helpers/workload.js';

const counts = { workloads: 0, crashes: 0, recoveredLatest: 0, recoveredOlder: 0, grownSegments: 0 };

function runUntilCrash(world: World, ops: readonly Op[]): boolean {
  for (const op of ops) {
    try {
      world.apply(op);
    } catch (e) {
      if (isSimCrash(e)) return true;
      throw e;
    }
  }
  return false;
}

function crashAndRecover(ops: readonly Op[], where: number, crashSeed: number): void {
  // A dry run counts the storage operations of the workload; the runs are deterministic.
  const dry = new World(simHeap(HEAP_SIZE_INITIAL, { sizeMax: HEAP_SIZE_MAX }));
  const first = dry.sim.storage.opCount;
  runUntilCrash(dry, ops);
  const last = dry.sim.storage.opCount;

  const world = new World(simHeap(HEAP_SIZE_INITIAL, { sizeMax: HEAP_SIZE_MAX }));
  const storage = world.sim.storage;
  storage.crashAt(first + Math.floor(where * (last - first + 1)), crashSeed);
  if (runUntilCrash(world, ops)) counts.crashes++;
  // Dies now if the armed operation was never reached.
  storage.recoverFromCrash();
  counts.workloads++;

  const rvm = Rvm.open(DIR, { storage });
  const segment = rvm.map(SEGMENT);
  const heap = Heap.open(rvm, segment, { sizeMax: HEAP_SIZE_MAX });
  expect(heap.check()).toBeNull();
  if (segment.size > heap.heapSize) counts.grownSegments++;
  const candidates = world.commits.slice(world.durableIndex);
  const problems = candidates.map((model) => mismatch(heap, segment, model));
  const matched = problems.lastIndexOf(null);
  if (matched < 0) {
    throw new Error(`recovered heap matches no commit from #${world.durableIndex} to #${world.commits.length - 1}: ${problems.join('; ')}`);
  }
  if (matched === candidates.length - 1) counts.recoveredLatest++;
  else counts.recoveredOlder++;

  // The recovered heap keeps working, including growth over a segment left larger by a lost commit.
  const survivor = new World({ storage, rvm, segment, heap });
  survivor.current = candidates[matched]!.clone();
  survivor.committed = survivor.current.clone();
  for (const op of [{ kind: 'alloc', size: 30_000 }, { kind: 'free', pick: 0 }, { kind: 'alloc', size: 100 }, { kind: 'commit', flush: true }] as const) {
    survivor.apply(op);
    expect(mismatch(heap, segment, survivor.current)).toBeNull();
  }
  rvm.close();
}

describe('crash anywhere, recover, and find a committed state', () => {
  it('mixed workloads with growth, flush and no-flush commits', { timeout: testTimeout(60_000) }, () => {
    fc.assert(
      fc.property(fc.array(opArbFor(mixedSizeArb), { minLength: 5, maxLength: 60 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.nat(), (ops, where, crashSeed) =>
        crashAndRecover(ops, where, crashSeed),
      ),
      propertyParameters(100),
    );
    console.log(`rvm-alloc crash: ${counts.workloads} workloads, ${counts.crashes} crashed mid-workload, ${counts.recoveredLatest} recovered the latest commit, ${counts.recoveredOlder} an older durable one, ${counts.grownSegments} with a segment larger than the heap (RVM_CRASH_RUNS=${RUNS_MULTIPLIER}, seed ${seed()})`);
    expect(counts.recoveredOlder).toBeGreaterThan(0);
    expect(counts.grownSegments).toBeGreaterThan(0);
  });
});
