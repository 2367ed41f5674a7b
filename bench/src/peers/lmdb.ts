import path from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase, TransactionFlags } from 'lmdb';
import { assert } from '../assert.js';
import type { Prepared } from '../harness.js';
import type { SubjectModule } from '../subject.js';
import type { KvDataset, KvValue } from '../workloads/kv-dataset.js';
import { checkValue } from '../workloads/kv-dataset.js';
import type { KvInputs, KvPutParams, KvReadParams, KvScanParams } from '../workloads/kv-model.js';
import { lastPutOf } from '../workloads/kv-model.js';
import type { Durability, RvmbenchInputs, RvmbenchParams } from '../workloads/rvmbench-model.js';
import {
  RVMBENCH_HISTORY_RECORD_SIZE,
  RVMBENCH_RECORD_SIZE,
  checkRvmbenchTotals,
  encodeHistory,
  makeHistoryTemplate,
  makeRecord,
} from '../workloads/rvmbench-model.js';

/**
 * lmdb-js 3.5 with its default settings except durability.
 *
 * durable: the default environment (overlappingSync on Linux). Each step awaits its write
 * (`db.put` or `db.transaction`) and then `db.flushed`, which lmdb-js documents as resolving
 * once the commit is synced to disk; strace shows one fdatasync per step.
 * Not used: `transactionSync(cb, 2)`. Its flag is documented as "return after flush", but on
 * 3.5.6 it joins the background writer's batch and issues no fdatasync per call (measured).
 *
 * relaxed: `noSync: true`; single puts use `putSync` and multi-put transactions use
 * `transactionSync` with the flags putSync itself passes (SYNCHRONOUS_COMMIT | NO_SYNC_FLUSH
 * from lmdb's TransactionFlags): the default flags add an abortable child transaction, which
 * is several times slower and not needed here.
 */
export const lmdbSubject: SubjectModule = {
  name: 'lmdb',
  description: 'lmdb-js 3.5.6; durable: await put/transaction then await db.flushed; relaxed: noSync with putSync/transactionSync',
  persistent: true,
  rvmbench: prepareRvmbench,
  kvPut: prepareKvPut,
  kvGet: async (dir, params, dataset, inputs) => prepareKvGet(dir, params, dataset, inputs),
  kvScan: async (dir, params, dataset, inputs) => prepareKvScan(dir, params, dataset, inputs),
};

/** TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH (lmdb index.d.ts). */
const PUT_SYNC_FLAGS = 0x10002 as TransactionFlags;
const LOAD_BATCH_COUNT = 10_000;
const CLOSE_MARK_KEY = '__bench_close__';
/** A Buffer is a valid value under both the binary and the msgpack encodings. */
const CLOSE_MARK_VALUE = Buffer.from([1]);

function openRoot<V>(dir: string, durability: Durability, encoding: 'msgpack' | 'binary'): RootDatabase<V, string> {
  // An explicit subdirectory: lmdb takes a path whose last part has a dot for a file name.
  return open<V, string>({ path: path.join(dir, 'lmdb'), noSync: durability === 'relaxed', encoding });
}

/**
 * Closes after one awaited async write: on 3.5.6, close() blocks the thread forever when the
 * only writes since open were synchronous transactions (reproduced in isolation).
 */
async function closeRoot(root: RootDatabase<unknown, string>): Promise<void> {
  await root.put(CLOSE_MARK_KEY, CLOSE_MARK_VALUE);
  await root.flushed;
  await root.close();
}

async function prepareRvmbench(dir: string, params: RvmbenchParams, inputs: RvmbenchInputs): Promise<Prepared> {
  const root = openRoot<Buffer>(dir, params.durability, 'binary');
  const openTable = (name: string): Database<Buffer, number> =>
    root.openDB<Buffer, number>({ name, encoding: 'binary', keyEncoding: 'uint32' });
  const branches = openTable('branch');
  const tellers = openTable('teller');
  const accounts = openTable('account');
  const history = openTable('history');
  for (let first = 0; first < params.accountCount; first += LOAD_BATCH_COUNT) {
    await root.transaction(() => {
      const end = Math.min(first + LOAD_BATCH_COUNT, params.accountCount);
      for (let index = first; index < end; index++) accounts.put(index, makeRecord(index));
      if (first === 0) {
        for (let index = 0; index < params.tellerCount; index++) tellers.put(index, makeRecord(index));
        for (let index = 0; index < params.branchCount; index++) branches.put(index, makeRecord(index));
      }
    });
  }
  await root.flushed;

  const scratch = makeRecord(0);
  const historyRecord = makeHistoryTemplate();
  const addBalance = (table: Database<Buffer, number>, index: number, delta: number): void => {
    // getBinaryFast returns a reused view (no allocation) whose bytes beyond `length` belong
    // to lmdb, so read the fields from it and write the whole new record from `scratch`,
    // whose filler is the same as every stored record's.
    const record = table.getBinaryFast(index);
    assert(record !== undefined && record.length === RVMBENCH_RECORD_SIZE, 'the record exists');
    assert(record.readUInt32LE(8) === index, 'the record is the one asked for');
    scratch.writeDoubleLE(record.readDoubleLE(0) + delta, 0);
    scratch.writeUInt32LE(index, 8);
    table.put(index, scratch);
  };
  let current = 0;
  // One body for every step (no closure per call); `current` carries the opIndex in.
  const body = (): void => {
    const accountIndex = inputs.accountIndexes[current]!;
    const tellerIndex = inputs.tellerIndexes[current]!;
    const delta = inputs.deltas[current]!;
    addBalance(branches, 0, delta);
    addBalance(tellers, tellerIndex, delta);
    addBalance(accounts, accountIndex, delta);
    encodeHistory(historyRecord, 0, current, accountIndex, tellerIndex, 0, delta);
    history.put(current, historyRecord);
  };
  const step: Prepared['step'] =
    params.durability === 'durable'
      ? {
          kind: 'async',
          run: async (opIndex) => {
            current = opIndex;
            await root.transaction(body);
            await root.flushed;
          },
        }
      : {
          kind: 'sync',
          run: (opIndex) => {
            current = opIndex;
            root.transactionSync(body, PUT_SYNC_FLAGS);
          },
        };
  return {
    step,
    verify: (stepCountTotal) => {
      const sum = (table: Database<Buffer, number>): number => {
        let total = 0;
        for (const { value } of table.getRange({})) total += value.readDoubleLE(0);
        return total;
      };
      let historySum = 0;
      let historyCount = 0;
      for (const { value } of history.getRange({})) {
        assert(value.length === RVMBENCH_HISTORY_RECORD_SIZE, 'history records are 64 bytes');
        historySum += value.readDoubleLE(16);
        historyCount += 1;
      }
      checkRvmbenchTotals(inputs, stepCountTotal, {
        branchSum: sum(branches),
        tellerSum: sum(tellers),
        accountSum: sum(accounts),
        historySum,
        historyCount,
      });
    },
    close: () => closeRoot(root),
  };
}

async function openLoadedKv(dir: string, durability: Durability, dataset: KvDataset, entryCount: number): Promise<RootDatabase<KvValue, string>> {
  assert(entryCount === dataset.entryCount, 'params and dataset agree on the size');
  const db = openRoot<KvValue>(dir, durability, 'msgpack');
  for (let first = 0; first < entryCount; first += LOAD_BATCH_COUNT) {
    await db.transaction(() => {
      const end = Math.min(first + LOAD_BATCH_COUNT, entryCount);
      for (let rank = first; rank < end; rank++) db.put(dataset.sortedKeys[rank]!, dataset.value(dataset.sortedEntryIndexes[rank]!, 0));
    });
  }
  await db.flushed;
  return db;
}

async function prepareKvPut(dir: string, params: KvPutParams, dataset: KvDataset, inputs: KvInputs): Promise<Prepared> {
  const db = await openLoadedKv(dir, params.durability, dataset, params.entryCount);
  const { keys } = dataset;
  const { batchCount } = params;
  let current = 0;
  const body = (): void => {
    const first = current * batchCount;
    for (let index = first; index < first + batchCount; index++) {
      const entryIndex = inputs.entryIndexes[index]!;
      db.put(keys[entryIndex]!, dataset.value(entryIndex, current));
    }
  };
  let step: Prepared['step'];
  if (params.durability === 'durable' && batchCount === 1) {
    step = {
      kind: 'async',
      run: async (opIndex) => {
        const entryIndex = inputs.entryIndexes[opIndex]!;
        await db.put(keys[entryIndex]!, dataset.value(entryIndex, opIndex));
        await db.flushed;
      },
    };
  } else if (params.durability === 'durable') {
    step = {
      kind: 'async',
      run: async (opIndex) => {
        current = opIndex;
        await db.transaction(body);
        await db.flushed;
      },
    };
  } else if (batchCount === 1) {
    step = {
      kind: 'sync',
      run: (opIndex) => {
        const entryIndex = inputs.entryIndexes[opIndex]!;
        db.putSync(keys[entryIndex]!, dataset.value(entryIndex, opIndex));
      },
    };
  } else {
    step = {
      kind: 'sync',
      run: (opIndex) => {
        current = opIndex;
        db.transactionSync(body, PUT_SYNC_FLAGS);
      },
    };
  }
  return {
    step,
    verify: (stepCountTotal) => {
      const last = lastPutOf(params, inputs, stepCountTotal);
      assert(db.get(keys[last.entryIndex]!)?.version === last.version, 'the last put is visible');
    },
    close: () => closeRoot(db),
  };
}

async function prepareKvGet(dir: string, params: KvReadParams, dataset: KvDataset, inputs: KvInputs): Promise<Prepared> {
  const db = await openLoadedKv(dir, 'durable', dataset, params.entryCount);
  const { keys } = dataset;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const entryIndex = inputs.entryIndexes[opIndex]!;
        checkValue(db.get(keys[entryIndex]!), entryIndex);
      },
    },
    verify: () => assert(db.getCount() === params.entryCount, 'gets change nothing'),
    close: () => closeRoot(db),
  };
}

async function prepareKvScan(dir: string, params: KvScanParams, dataset: KvDataset, inputs: KvInputs): Promise<Prepared> {
  const db = await openLoadedKv(dir, 'durable', dataset, params.entryCount);
  const { sortedKeys } = dataset;
  const { scanCount } = params;
  let entryCount = 0;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const startKey = sortedKeys[inputs.entryIndexes[opIndex]!]!;
        let count = 0;
        for (const { key, value } of db.getRange({ start: startKey, limit: scanCount })) {
          if (count === 0) assert(key === startKey, 'a scan starts at its start key');
          assert(value.id >= 0, 'scans return decoded values');
          count += 1;
        }
        assert(count === scanCount, 'a scan returns scanCount entries');
        entryCount += count;
      },
    },
    verify: (stepCountTotal) => assert(entryCount === stepCountTotal * scanCount, 'every scan returned scanCount entries'),
    close: () => closeRoot(db),
  };
}
