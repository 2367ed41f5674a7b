/**
 * Background truncation under crashes: transactions that span several pages
 * (flush and no-flush) run while truncateAsync writes pages in slices; the
 * simulated storage crashes at a generated operation with a generated crash
 * state; the recovered segment must equal the state after some prefix of the
 * commits that includes every acknowledged flush commit. A page written to its
 * segment file before the log holds its commits (the write-ahead rule) shows
 * up here as a state that matches no prefix.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rvm } from '../src/index.js';
import { SimStorage, isSimCrash } from '../src/testing.js';

const SEGMENT_SIZE = 16 * 4096;
const RUNS = Number(process.env.RVM_CRASH_RUNS ?? 1) * 200;

async function workload(storage: SimStorage, steps: number, seed: number, snapshots: Buffer[], acknowledged: { index: number }): Promise<void> {
  const rvm = Rvm.open('/store', { storage, logSizeMax: 2048, truncationSliceSize: 4096 });
  const seg = rvm.map('s', SEGMENT_SIZE);
  snapshots.push(Buffer.from(seg.bytes));
  let random = seed;
  const next = () => (random = (random * 1103515245 + 12345) % 2147483648);
  for (let i = 0; i < steps; i++) {
    const tx = rvm.begin();
    // Two ranges on different pages, so a torn transaction is visible.
    for (let r = 0; r < 2; r++) {
      const offset = ((next() >>> 12) % 256) * 256;
      tx.setRange(seg, offset, 64);
      seg.bytes.fill((i % 250) + 1, offset, offset + 64);
    }
    const flush = (next() >>> 12) % 8 === 0;
    // Pushed before commit: a commit interrupted by the crash may or may not have reached the log.
    snapshots.push(Buffer.from(seg.bytes));
    tx.commit({ flush });
    if (flush) acknowledged.index = snapshots.length - 1;
    if (i % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await rvm.truncateAsync();
  acknowledged.index = snapshots.length - 1;
  rvm.close();
}

describe('background truncation', () => {
  it('recovers a prefix of the commits containing every acknowledged one, wherever it crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 2 ** 30 }), fc.constantFrom('random', 'keepAll', 'dropAll'), async (crashOp, seed, mode) => {
        const storage = new SimStorage();
        const snapshots: Buffer[] = [];
        const acknowledged = { index: 0 };
        storage.crashAt(crashOp, seed, mode as 'random');
        try {
          await workload(storage, 60, seed, snapshots, acknowledged);
        } catch (e) {
          if (!isSimCrash(e)) throw e;
        }
        if (!storage.crashed) storage.crash(seed, mode as 'random');
        else storage.recoverFromCrash();
        if (snapshots.length === 0) return; // crashed before the segment existed
        const rvm = Rvm.open('/store', { storage });
        const bytes = rvm.listSegments().length > 0 ? rvm.map('s').bytes : null;
        rvm.close();
        if (bytes === null) return;
        let match = -1;
        for (let k = snapshots.length - 1; k >= 0; k--) {
          if (snapshots[k]!.equals(bytes)) {
            match = k;
            break;
          }
        }
        expect(match, `recovered state matches no prefix (seed ${seed}, crash at op ${crashOp}, ${mode})`).toBeGreaterThanOrEqual(0);
        expect(match).toBeGreaterThanOrEqual(acknowledged.index);
      }),
      { numRuns: RUNS, ...(process.env.CI ? { seed: 20261121 } : {}) },
    );
  });
});
