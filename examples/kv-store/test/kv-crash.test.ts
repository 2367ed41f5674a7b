/**
 * Crash law of the key-value store: random batches (puts, dels, large values,
 * batches that throw and leave nothing) run on simulated storage until it
 * dies at a generated storage operation, where the crash keeps, drops or
 * tears whatever was not synced. After recovery the store verifies and holds
 * exactly the model after some prefix of the batches: never part of a batch,
 * and never fewer than every batch acknowledged durable (a flush commit that
 * returned, or a no-flush one followed by a flush() that returned).
 */
import { isSimCrash, SimStorage } from '@rvm/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvStore } from '../src/index.js';
import type { BatchOp, Json } from '../src/index.js';

const DIR = '/kv';
/** RVM_CRASH_RUNS=N multiplies the runs (a soak), as in the packages' crash tests. */
const RUN_COUNT = 40 * Number(process.env.RVM_CRASH_RUNS ?? 1);

interface Batch {
  readonly ops: readonly BatchOp[];
  /** Run as batch(fn) (else apply(ops)). */
  readonly asFunction: boolean;
  /** fn throws after its ops: the batch must leave nothing. */
  readonly throws: boolean;
  /** Call flush() after it. */
  readonly flushAfter: boolean;
}

const keyArb = fc.integer({ min: 0, max: 24 }).map((n) => `${n % 3 === 0 ? 'user' : 'item'}:${n}`);
const valueArb: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.integer() },
  { weight: 3, arbitrary: fc.record({ name: fc.string({ maxLength: 12 }), tags: fc.array(fc.boolean(), { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.nat(3000).map((n) => 'v'.repeat(1000 + n)) },
);
const opArb: fc.Arbitrary<BatchOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), key: keyArb, value: valueArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('del' as const), key: keyArb }) },
);
const batchArb: fc.Arbitrary<Batch> = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 12 }),
  asFunction: fc.boolean(),
  throws: fc.boolean(),
  flushAfter: fc.boolean(),
});

type Model = ReadonlyMap<string, Json>;

interface Run {
  /** models[i]: the contents after the first i batches that commit. */
  readonly models: Model[];
  /** Index in models of the last one known durable. */
  durableIndex: number;
  crashed: boolean;
}

/** Small segments keep each open cheap; the values' blobs make it grow now and then. */
const SEGMENT_SIZE = 64 * 1024;

/** A created, closed store; each run opens a copy, so the crash falls among the batches' operations only. */
const template = new SimStorage();
KvStore.open(DIR, { storage: template, segmentSize: SEGMENT_SIZE }).close();

function runBatches(kv: KvStore, durability: 'flush' | 'no-flush', batches: readonly Batch[]): Run {
  const run: Run = { models: [new Map()], durableIndex: 0, crashed: false };
  try {
    for (const batch of batches) {
      const model = new Map(run.models[run.models.length - 1]!);
      for (const op of batch.ops) {
        if (op.op === 'put') model.set(op.key, op.value);
        else model.delete(op.key);
      }
      if (batch.asFunction && batch.throws) {
        expect(() =>
          kv.batch(() => {
            for (const op of batch.ops) {
              if (op.op === 'put') kv.put(op.key, op.value);
              else kv.del(op.key);
            }
            throw new Error('abandoned');
          }),
        ).toThrow('abandoned');
      } else {
        // Recorded before the commit: a crash inside it may or may not keep it.
        run.models.push(model);
        if (batch.asFunction) {
          kv.batch(() => {
            for (const op of batch.ops) {
              if (op.op === 'put') kv.put(op.key, op.value);
              else kv.del(op.key);
            }
          });
        } else {
          kv.apply(batch.ops);
        }
        if (durability === 'flush') run.durableIndex = run.models.length - 1;
      }
      if (batch.flushAfter) {
        kv.flush();
        run.durableIndex = run.models.length - 1;
      }
    }
    kv.close();
    run.durableIndex = run.models.length - 1;
  } catch (e) {
    if (!isSimCrash(e)) throw e;
    run.crashed = true;
  }
  return run;
}

function contents(kv: KvStore): Model {
  return new Map(kv.scan());
}

describe('KvStore crash and recover', () => {
  it('recovers a prefix of the batches that includes every durable one', { timeout: 60_000 * Number(process.env.RVM_CRASH_RUNS ?? 1) }, () => {
    const counts = { runs: 0, crashed: 0, latest: 0, older: 0 };
    fc.assert(
      fc.property(
        fc.constantFrom('flush' as const, 'no-flush' as const),
        fc.array(batchArb, { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.nat(),
        (durability, batches, where, crashSeed) => {
          // A dry run counts the operations (the simulator is deterministic), the second crashes.
          const dry = template.clone();
          const dryKv = KvStore.open(DIR, { storage: dry, durability });
          const first = dry.opCount;
          runBatches(dryKv, durability, batches);
          const storage = template.clone();
          const kv = KvStore.open(DIR, { storage, durability });
          expect(storage.opCount).toBe(first);
          storage.crashAt(first + (where % (dry.opCount - first + 1)), crashSeed);
          const run = runBatches(kv, durability, batches);
          storage.recoverFromCrash();

          const recoveredKv = KvStore.open(DIR, { storage, durability });
          recoveredKv.verify();
          const recovered = contents(recoveredKv);
          let matched = -1;
          for (let k = run.models.length - 1; k >= run.durableIndex && matched < 0; k--) {
            if (sameContents(recovered, run.models[k]!)) matched = k;
          }
          if (matched < 0) {
            throw new Error(`recovered ${JSON.stringify([...recovered])} matches no model from #${run.durableIndex} to #${run.models.length - 1}`);
          }
          counts.runs++;
          if (run.crashed) counts.crashed++;
          if (matched === run.models.length - 1) counts.latest++;
          else counts.older++;

          // The recovered store keeps working, and its next commit is durable.
          recoveredKv.put('after:crash', true);
          recoveredKv.close();
          storage.crash(crashSeed ^ 1, 'dropAll');
          const again = KvStore.open(DIR, { storage });
          expect(again.get('after:crash')).toBe(true);
          expect(again.count()).toBe(recovered.size + (recovered.has('after:crash') ? 0 : 1));
          again.close();
        },
      ),
      { numRuns: RUN_COUNT, ...(process.env.CI ? { seed: 0x6b7663 } : {}) },
    );
    console.log(`kv crash: ${JSON.stringify(counts)}`);
    expect(counts.crashed).toBeGreaterThan(counts.runs / 3);
    expect(counts.older).toBeGreaterThan(0);
  });
});

function sameContents(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    if (!b.has(key) || JSON.stringify(b.get(key)) !== JSON.stringify(value)) return false;
  }
  return true;
}
