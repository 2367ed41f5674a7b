import path from 'node:path';
import type { BTree, HashMap } from '@rvm/structs';
import { Store } from '@rvm/structs';
import { assert } from '../assert.js';
import type { Prepared } from '../harness.js';
import type { KvDataset, KvValue } from '../workloads/kv-dataset.js';
import { checkValue } from '../workloads/kv-dataset.js';
import type { KvInputs, KvPutParams, KvReadParams, KvScanParams } from '../workloads/kv-model.js';
import { lastPutOf } from '../workloads/kv-model.js';
import type { Durability } from '../workloads/rvmbench-model.js';

/**
 * Key-value workloads on @rvm/structs: a Store (one RVM segment holding a heap) with one
 * collection named `kv`, either the B-tree or the hash map, with the default codec
 * (MessagePack through msgpackr) and string keys.
 *
 * durable: `store.transaction(fn, { flush: true })`, which returns after the log record is
 * written and fdatasynced; relaxed: `{ flush: false }` (a no-flush commit, durable at the
 * next flush or close). Reads need no transaction.
 *
 * Loading (untimed, as for the peers): the B-tree is built with `bulkLoad` from the keys in
 * order, in one transaction, which is what the library offers for a load (the peers load
 * in key order in transactions of 10,000); the hash map has no bulk load and takes puts in
 * transactions of 1,000 (with 10,000, keeping the transaction's declared ranges sorted took
 * a sixth of the load: measured). The log is then truncated and the store closed and opened
 * again, so the rounds start from an empty log, as the peers start from a synced store.
 *
 * Sizing: the segment is created at the size the loaded collection needs plus room for the
 * puts of the rounds (measured: about 137 bytes per entry for the B-tree at 90% leaf fill,
 * 227 for the hash map), so that no round pays for growing it; it may grow further by
 * itself up to the Store default of 4 GiB.
 *
 * verify() of the put rows closes the store and opens it again (recovery), then reads the
 * last put: a row counts only puts that reached the log.
 */
export type RvmKvStructure = 'btree' | 'hash';

const COLLECTION_NAME = 'kv';
const LOAD_BATCH_COUNT = 1000;
/** Segment bytes per entry at creation, by structure (see Sizing above). */
const SEGMENT_SIZE_PER_ENTRY: Readonly<Record<RvmKvStructure, number>> = { btree: 192, hash: 320 };
/** Segment bytes besides the entries: heap header, catalog, slack. */
const SEGMENT_SIZE_BASE = 4 << 20;
const PAGE_SIZE = 4096;
/**
 * bulkLoad writes the whole tree in one transaction, and one RVM transaction may change at
 * most 512 MiB; past this many entries the B-tree is loaded with puts in key order instead.
 */
const BULK_LOAD_COUNT_MAX = 2_000_000;
const FLUSH = { flush: true } as const;
const NO_FLUSH = { flush: false } as const;

/** The operations the workloads use, on whichever collection backs the store. */
interface KvCollection {
  get(key: string): KvValue | undefined;
  put(key: string, value: KvValue): void;
  readonly size: number;
}

interface Opened {
  readonly store: Store;
  readonly collection: KvCollection;
  /** The B-tree, for scans; null for the hash map. */
  readonly tree: BTree<string, KvValue> | null;
}

function segmentSizeOf(structure: RvmKvStructure, entryCount: number): number {
  const size = SEGMENT_SIZE_BASE + entryCount * SEGMENT_SIZE_PER_ENTRY[structure];
  return Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
}

function open(storeDir: string, structure: RvmKvStructure, durability: Durability, segmentSize: number): Opened {
  const store = Store.open(storeDir, { durability: durability === 'durable' ? 'flush' : 'no-flush', segmentSize });
  try {
    if (structure === 'btree') {
      const tree = store.btree<string, KvValue>(COLLECTION_NAME);
      return { store, collection: tree, tree };
    }
    const map: HashMap<string, KvValue> = store.hashMap<string, KvValue>(COLLECTION_NAME);
    const collection: KvCollection = {
      get: (key) => map.get(key),
      put: (key, value) => void map.set(key, value),
      get size() {
        return map.size;
      },
    };
    return { store, collection, tree: null };
  } catch (error) {
    store.close();
    throw error;
  }
}

function openLoaded(dir: string, structure: RvmKvStructure, durability: Durability, dataset: KvDataset, entryCount: number): Opened {
  assert(entryCount === dataset.entryCount, 'params and dataset agree on the size');
  const storeDir = path.join(dir, 'rvm');
  const segmentSize = segmentSizeOf(structure, entryCount);
  const { store, collection, tree } = open(storeDir, structure, durability, segmentSize);
  try {
    const { sortedKeys, sortedEntryIndexes } = dataset;
    if (tree !== null && entryCount <= BULK_LOAD_COUNT_MAX) {
      store.transaction(() => {
        tree.bulkLoad(
          (function* (): Generator<readonly [string, KvValue]> {
            for (let rank = 0; rank < entryCount; rank++) yield [sortedKeys[rank]!, dataset.value(sortedEntryIndexes[rank]!, 0)];
          })(),
        );
      }, NO_FLUSH);
    } else {
      for (let first = 0; first < entryCount; first += LOAD_BATCH_COUNT) {
        const end = Math.min(first + LOAD_BATCH_COUNT, entryCount);
        store.transaction(() => {
          for (let rank = first; rank < end; rank++) collection.put(sortedKeys[rank]!, dataset.value(sortedEntryIndexes[rank]!, 0));
        }, NO_FLUSH);
      }
    }
    assert(collection.size === entryCount, 'the store holds every entry after the load');
    // Writes the loaded pages to the segment file and reclaims the log.
    store.rvm.truncate();
  } finally {
    store.close();
  }
  // Open again: the rounds run on a store as an application finds it after a restart, without
  // the buffers the load's one big transaction left pooled (its undo copy, ~1x the data).
  return open(storeDir, structure, durability, segmentSize);
}

export async function prepareRvmKvPut(
  dir: string,
  structure: RvmKvStructure,
  params: KvPutParams,
  dataset: KvDataset,
  inputs: KvInputs,
): Promise<Prepared> {
  let opened = openLoaded(dir, structure, params.durability, dataset, params.entryCount);
  const { store, collection } = opened;
  const { keys } = dataset;
  const { batchCount } = params;
  const commitOptions = params.durability === 'durable' ? FLUSH : NO_FLUSH;
  let current = 0;
  // One body for every step (no closure per call); `current` carries the opIndex in.
  const body = (): void => {
    const first = current * batchCount;
    for (let index = first; index < first + batchCount; index++) {
      const entryIndex = inputs.entryIndexes[index]!;
      collection.put(keys[entryIndex]!, dataset.value(entryIndex, current));
    }
  };
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        current = opIndex;
        store.transaction(body, commitOptions);
      },
    },
    verify: (stepCountTotal) => {
      const last = lastPutOf(params, inputs, stepCountTotal);
      assert(collection.get(keys[last.entryIndex]!)?.version === last.version, 'the last put is visible');
      store.close();
      opened = open(path.join(dir, 'rvm'), structure, params.durability, segmentSizeOf(structure, params.entryCount));
      assert(opened.collection.get(keys[last.entryIndex]!)?.version === last.version, 'the last put survived close and recovery');
      assert(opened.collection.size === params.entryCount, 'puts overwrite existing entries');
    },
    close: async () => opened.store.close(),
  };
}

export async function prepareRvmKvGet(
  dir: string,
  structure: RvmKvStructure,
  params: KvReadParams,
  dataset: KvDataset,
  inputs: KvInputs,
): Promise<Prepared> {
  const { store, collection } = openLoaded(dir, structure, 'durable', dataset, params.entryCount);
  const { keys } = dataset;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const entryIndex = inputs.entryIndexes[opIndex]!;
        checkValue(collection.get(keys[entryIndex]!), entryIndex);
      },
    },
    verify: () => assert(collection.size === params.entryCount, 'gets change nothing'),
    close: async () => store.close(),
  };
}

export async function prepareRvmKvScan(dir: string, params: KvScanParams, dataset: KvDataset, inputs: KvInputs): Promise<Prepared> {
  const { store, tree } = openLoaded(dir, 'btree', 'durable', dataset, params.entryCount);
  assert(tree !== null, 'scans run on the B-tree');
  const { sortedKeys } = dataset;
  const { scanCount } = params;
  let entryCount = 0;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const startKey = sortedKeys[inputs.entryIndexes[opIndex]!]!;
        let count = 0;
        for (const [key, value] of tree.range({ gte: startKey, limit: scanCount })) {
          if (count === 0) assert(key === startKey, 'a scan starts at its start key');
          assert(value.id >= 0, 'scans return decoded values');
          count += 1;
        }
        assert(count === scanCount, 'a scan returns scanCount entries');
        entryCount += count;
      },
    },
    verify: (stepCountTotal) => assert(entryCount === stepCountTotal * scanCount, 'every scan returned scanCount entries'),
    close: async () => store.close(),
  };
}
