import type { BenchConfig } from '../config.js';
import { scaled } from '../config.js';
import type { Prepared, Target, Workload } from '../harness.js';
import { rowKey, stepCountTotalOf } from '../harness.js';
import { lazy } from '../lazy.js';
import { APPEND_FDATASYNC, GROUP_FDATASYNC, RAW } from '../physical.js';
import { Random, seedOf } from '../random.js';
import type { SubjectModule } from '../subject.js';
import type { KvDataset } from './kv-dataset.js';
import { datasetOf } from './kv-dataset.js';
import type { KvInputs } from './kv-model.js';

/**
 * Key-value rows over 10^6 entries (10^5 in quick mode): 16-byte keys, ~100-byte msgpack
 * values. Durable puts are measured against the raw append + fdatasync (single) or the raw
 * group commit (batches); relaxed puts, gets and scans against plain memory.
 */
export const KV_ENTRY_COUNT = 1_000_000;
export const KV_BATCH_COUNT = 1000;
export const KV_SCAN_COUNT = 100;

type KvFunction = 'kvPut' | 'kvGet' | 'kvScan';

/**
 * Targets for RVM, from the issue "Benchmarks side by side", for both structures (`rvm` is
 * the B-tree, `rvm-hash` the hash map). Durable rows: a flush commit is one log append and
 * one fdatasync. Relaxed puts: a no-flush commit copies the changed bytes into the log
 * batch. Gets: a B-tree or hash lookup in memory plus one decode. Scans have no target.
 */
const RVM_PUT_DURABLE: readonly Target[] = [
  { kind: 'ratio-min', value: 2.5, versus: 'lmdb' },
  { kind: 'ratio-min', value: 1, versus: 'sqlite' },
];
const RVM_PUT_BATCH: readonly Target[] = [{ kind: 'ratio-min', value: 3, versus: 'lmdb' }];
const RVM_PUT_RELAXED: readonly Target[] = [{ kind: 'ratio-min', value: 4, versus: 'lmdb' }];
const RVM_GET: readonly Target[] = [{ kind: 'ratio-min', value: 2, versus: 'lmdb' }];
const RVM_SUBJECTS = ['rvm', 'rvm-hash'] as const;

function rvmTargets(targets: readonly Target[]): Record<string, readonly Target[]> {
  return Object.fromEntries(RVM_SUBJECTS.map((name) => [name, targets]));
}

interface KvRow {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly itemsPerStep: number;
  readonly stepCount: number;
  readonly latency: boolean;
  readonly reference: string;
  readonly persistentOnly: boolean;
  readonly inputCount: (stepCountTotal: number) => number;
  /** Inputs range: entry indexes for puts and gets, start ranks for scans. */
  readonly inputBound: (entryCount: number) => number;
  readonly prepare: (module: SubjectModule, dir: string, dataset: KvDataset, inputs: KvInputs) => Promise<Prepared>;
  readonly function: KvFunction;
  readonly targets: Readonly<Record<string, Target | readonly Target[]>>;
}

export function kvWorkloads(config: BenchConfig, modules: readonly SubjectModule[]): Workload[] {
  const entryCount = scaled(config, KV_ENTRY_COUNT, 1000);
  const size = entryCount.toLocaleString('en-US');
  const rows: KvRow[] = [
    {
      name: 'kv.put.durable',
      description: `one put per durable transaction into ${size} entries`,
      unit: 'put/s',
      itemsPerStep: 1,
      stepCount: scaled(config, 1000, 50),
      latency: true,
      reference: rowKey(APPEND_FDATASYNC, RAW),
      persistentOnly: true,
      inputCount: (total) => total,
      inputBound: (count) => count,
      prepare: (module, dir, dataset, inputs) => module.kvPut!(dir, { entryCount, durability: 'durable', batchCount: 1 }, dataset, inputs),
      function: 'kvPut',
      targets: { lmdb: { kind: 'known', value: 4_600 }, sqlite: { kind: 'known', value: 12_700 }, ...rvmTargets(RVM_PUT_DURABLE) },
    },
    {
      name: 'kv.put.batch1000',
      description: `${KV_BATCH_COUNT} puts per durable transaction into ${size} entries`,
      unit: 'put/s',
      itemsPerStep: KV_BATCH_COUNT,
      stepCount: scaled(config, 20, 4),
      latency: true,
      reference: rowKey(GROUP_FDATASYNC, RAW),
      persistentOnly: true,
      inputCount: (total) => total * KV_BATCH_COUNT,
      inputBound: (count) => count,
      prepare: (module, dir, dataset, inputs) =>
        module.kvPut!(dir, { entryCount, durability: 'durable', batchCount: KV_BATCH_COUNT }, dataset, inputs),
      function: 'kvPut',
      targets: { lmdb: { kind: 'known', value: 48_000 }, ...rvmTargets(RVM_PUT_BATCH) },
    },
    {
      name: 'kv.put.relaxed',
      description: `one put per unsynced transaction into ${size} entries`,
      unit: 'put/s',
      itemsPerStep: 1,
      stepCount: scaled(config, 50_000, 1000),
      latency: false,
      reference: rowKey('kv.put.relaxed', 'memory'),
      persistentOnly: false,
      inputCount: (total) => total,
      inputBound: (count) => count,
      prepare: (module, dir, dataset, inputs) => module.kvPut!(dir, { entryCount, durability: 'relaxed', batchCount: 1 }, dataset, inputs),
      function: 'kvPut',
      targets: { lmdb: { kind: 'known', value: 73_000 }, sqlite: { kind: 'known', value: 72_000 }, ...rvmTargets(RVM_PUT_RELAXED) },
    },
    {
      name: 'kv.get',
      description: `random point get of ${size} entries, returning the decoded value`,
      unit: 'get/s',
      itemsPerStep: 1,
      stepCount: scaled(config, 100_000, 2000),
      latency: false,
      reference: rowKey('kv.get', 'memory'),
      persistentOnly: false,
      inputCount: (total) => total,
      inputBound: (count) => count,
      prepare: (module, dir, dataset, inputs) => module.kvGet!(dir, { entryCount }, dataset, inputs),
      function: 'kvGet',
      targets: { lmdb: { kind: 'known', value: 290_000 }, sqlite: { kind: 'known', value: 99_000 }, ...rvmTargets(RVM_GET) },
    },
    {
      name: 'kv.scan100',
      description: `range scan of ${KV_SCAN_COUNT} decoded entries in key order from a random key of ${size}`,
      unit: 'scan/s',
      itemsPerStep: 1,
      stepCount: scaled(config, 5000, 200),
      latency: false,
      reference: rowKey('kv.scan100', 'memory'),
      persistentOnly: false,
      inputCount: (total) => total,
      inputBound: (count) => count - KV_SCAN_COUNT + 1,
      prepare: (module, dir, dataset, inputs) => module.kvScan!(dir, { entryCount, scanCount: KV_SCAN_COUNT }, dataset, inputs),
      function: 'kvScan',
      targets: {},
    },
  ];

  return rows.map((row) => {
    const inputs = lazy((): KvInputs => {
      const random = new Random(seedOf(row.name, config.seed));
      const entryIndexes = new Int32Array(row.inputCount(stepCountTotalOf(row.stepCount, config.roundCount)));
      const bound = row.inputBound(entryCount);
      for (let index = 0; index < entryIndexes.length; index++) entryIndexes[index] = random.nextIndex(bound);
      return { entryIndexes };
    });
    const subjects = modules
      .filter((module) => module[row.function] !== undefined && (!row.persistentOnly || module.persistent))
      .map((module) => ({
        name: module.name,
        prepare: (dir: string) => row.prepare(module, dir, datasetOf(entryCount), inputs()),
      }));
    return {
      name: row.name,
      description: row.description,
      unit: row.unit,
      itemsPerStep: row.itemsPerStep,
      stepCount: row.stepCount,
      latency: row.latency,
      reference: row.reference,
      subjects,
      targets: row.targets,
    };
  });
}
