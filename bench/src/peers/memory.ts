import { assert } from '../assert.js';
import type { Prepared } from '../harness.js';
import type { SubjectModule } from '../subject.js';
import type { KvDataset, KvValue } from '../workloads/kv-dataset.js';
import { checkValue } from '../workloads/kv-dataset.js';
import type { KvInputs, KvPutParams, KvReadParams, KvScanParams } from '../workloads/kv-model.js';
import { lastPutOf } from '../workloads/kv-model.js';
import type { RvmbenchInputs, RvmbenchParams } from '../workloads/rvmbench-model.js';
import {
  RVMBENCH_HISTORY_RECORD_SIZE,
  RVMBENCH_RECORD_SIZE,
  checkRvmbenchTotals,
  encodeHistory,
  makeHistoryTemplate,
  makeRecord,
} from '../workloads/rvmbench-model.js';

/**
 * The in-memory reference: what the same work costs with no persistence at all. rvmbench
 * updates records in plain Buffers (what RVM's mapped segments are, minus the log); kv uses a
 * JS Map of decoded objects, and for scans a sorted key array beside it.
 */
export const memorySubject: SubjectModule = {
  name: 'memory',
  description: 'plain Buffers (rvmbench) and a JS Map of decoded objects plus a sorted key array (kv); no persistence',
  persistent: false,
  rvmbench: async (_dir, params, inputs) => prepareRvmbench(params, inputs),
  kvPut: async (_dir, params, dataset, inputs) => prepareKvPut(params, dataset, inputs),
  kvGet: async (_dir, params, dataset, inputs) => prepareKvGet(params, dataset, inputs),
  kvScan: async (_dir, params, dataset, inputs) => prepareKvScan(params, dataset, inputs),
};

function recordArray(count: number): Buffer {
  const records = Buffer.alloc(count * RVMBENCH_RECORD_SIZE);
  for (let index = 0; index < count; index++) makeRecord(index).copy(records, index * RVMBENCH_RECORD_SIZE);
  return records;
}

function prepareRvmbench(params: RvmbenchParams, inputs: RvmbenchInputs): Prepared {
  assert(params.durability === 'relaxed', 'memory offers no durable commit');
  const accounts = recordArray(params.accountCount);
  const tellers = recordArray(params.tellerCount);
  const branches = recordArray(params.branchCount);
  const template = makeHistoryTemplate();
  let history = Buffer.alloc(1 << 20);
  let historyCount = 0;
  const addBalance = (records: Buffer, index: number, delta: number): void => {
    const offset = index * RVMBENCH_RECORD_SIZE;
    records.writeDoubleLE(records.readDoubleLE(offset) + delta, offset);
  };
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const accountIndex = inputs.accountIndexes[opIndex]!;
        const tellerIndex = inputs.tellerIndexes[opIndex]!;
        const delta = inputs.deltas[opIndex]!;
        addBalance(branches, 0, delta);
        addBalance(tellers, tellerIndex, delta);
        addBalance(accounts, accountIndex, delta);
        const offset = historyCount * RVMBENCH_HISTORY_RECORD_SIZE;
        if (offset + RVMBENCH_HISTORY_RECORD_SIZE > history.length) {
          const grown = Buffer.alloc(history.length * 2);
          history.copy(grown);
          history = grown;
        }
        template.copy(history, offset);
        encodeHistory(history, offset, opIndex, accountIndex, tellerIndex, 0, delta);
        historyCount += 1;
      },
    },
    verify: (stepCountTotal) => {
      const sum = (records: Buffer, count: number): number => {
        let total = 0;
        for (let index = 0; index < count; index++) total += records.readDoubleLE(index * RVMBENCH_RECORD_SIZE);
        return total;
      };
      let historySum = 0;
      for (let index = 0; index < historyCount; index++) historySum += history.readDoubleLE(index * RVMBENCH_HISTORY_RECORD_SIZE + 16);
      checkRvmbenchTotals(inputs, stepCountTotal, {
        branchSum: sum(branches, params.branchCount),
        tellerSum: sum(tellers, params.tellerCount),
        accountSum: sum(accounts, params.accountCount),
        historySum,
        historyCount,
      });
    },
    close: async () => {},
  };
}

/**
 * One loaded Map per dataset for the whole run: a Map has no files to reopen, and building
 * 10^6 objects again for each kv workload only costs time. Puts leave newer versions
 * behind, which gets and scans do not look at (they check ids).
 */
const maps = new WeakMap<KvDataset, Map<string, KvValue>>();

function loadMap(dataset: KvDataset, entryCount: number): Map<string, KvValue> {
  assert(entryCount === dataset.entryCount, 'params and dataset agree on the size');
  let map = maps.get(dataset);
  if (map === undefined) {
    map = new Map<string, KvValue>();
    for (let rank = 0; rank < entryCount; rank++) map.set(dataset.sortedKeys[rank]!, dataset.value(dataset.sortedEntryIndexes[rank]!, 0));
    maps.set(dataset, map);
  }
  assert(map.size === entryCount, 'the shared map holds every entry');
  return map;
}

function prepareKvPut(params: KvPutParams, dataset: KvDataset, inputs: KvInputs): Prepared {
  assert(params.durability === 'relaxed', 'memory offers no durable put');
  const map = loadMap(dataset, params.entryCount);
  const { keys } = dataset;
  const { batchCount } = params;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const first = opIndex * batchCount;
        for (let index = first; index < first + batchCount; index++) {
          const entryIndex = inputs.entryIndexes[index]!;
          map.set(keys[entryIndex]!, dataset.value(entryIndex, opIndex));
        }
      },
    },
    verify: (stepCountTotal) => {
      const last = lastPutOf(params, inputs, stepCountTotal);
      assert(map.get(keys[last.entryIndex]!)?.version === last.version, 'the last put is visible');
      assert(map.size === params.entryCount, 'puts overwrite existing entries');
    },
    close: async () => {},
  };
}

function prepareKvGet(params: KvReadParams, dataset: KvDataset, inputs: KvInputs): Prepared {
  const map = loadMap(dataset, params.entryCount);
  const { keys } = dataset;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const entryIndex = inputs.entryIndexes[opIndex]!;
        checkValue(map.get(keys[entryIndex]!), entryIndex);
      },
    },
    verify: () => assert(map.size === params.entryCount, 'gets change nothing'),
    close: async () => {},
  };
}

function prepareKvScan(params: KvScanParams, dataset: KvDataset, inputs: KvInputs): Prepared {
  const map = loadMap(dataset, params.entryCount);
  const { sortedKeys } = dataset;
  const { scanCount } = params;
  let entryCount = 0;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const first = inputs.entryIndexes[opIndex]!;
        assert(first + scanCount <= sortedKeys.length, 'a scan stays inside the key range');
        for (let rank = first; rank < first + scanCount; rank++) {
          const value = map.get(sortedKeys[rank]!);
          assert(value !== undefined, 'every sorted key is in the map');
          entryCount += 1;
        }
      },
    },
    verify: (stepCountTotal) => assert(entryCount === stepCountTotal * scanCount, 'every scan returned scanCount entries'),
    close: async () => {},
  };
}
