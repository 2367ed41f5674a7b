import path from 'node:path';
import type { Segment, Transaction } from '@rvm/core';
import { Rvm } from '@rvm/core';
import { assert } from '../assert.js';
import type { Prepared } from '../harness.js';
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
 * rvmbench on the raw core (@rvm/core), the shape of LRVM's own benchmark: the records live
 * in mapped segments and a transaction declares exactly the bytes it changes.
 *
 * Segment `records`: the branch, then the tellers, then the accounts, 128 bytes each in the
 * layout of rvmbench-model.ts; record r (in that order) is at r * 128.
 * Segment `history`, an append area sized for every step of the run (inputs.deltas.length):
 * ```
 *  offset size field
 *       0    8 count     float64: history records appended so far (the head)
 *       8   64 record 0  rvmbench-model.ts history layout
 *      72   64 record 1  ...
 * ```
 * One transaction (begun with restore: false, like LRVM's benchmark: it never aborts, so no
 * old values are kept) declares 5 ranges: the 8-byte balances of the branch, the teller and
 * the account, the 64-byte history record and the 8-byte count. durable: commit() (a flush
 * commit: log append + fdatasync before it returns); relaxed: commit({ flush: false }).
 *
 * verify() closes the store and opens it again (recovery replays the log), then checks the
 * totals on the recovered segments: a row counts only commits that reached the log.
 */
const HISTORY_HEADER_SIZE = 8;
const BALANCE_SIZE = 8;
const NO_RESTORE = { restore: false } as const;
const FLUSH = { flush: true } as const;
const NO_FLUSH = { flush: false } as const;

interface Opened {
  readonly rvm: Rvm;
  readonly records: Segment;
  readonly history: Segment;
}

export async function prepareRvmRvmbench(dir: string, params: RvmbenchParams, inputs: RvmbenchInputs): Promise<Prepared> {
  assert(params.branchCount === 1, 'rvmbench has one branch');
  const storeDir = path.join(dir, 'rvm');
  const recordCount = params.branchCount + params.tellerCount + params.accountCount;
  const historyCountMax = inputs.deltas.length;
  const tellerFirst = params.branchCount;
  const accountFirst = params.branchCount + params.tellerCount;

  const loaded = ((): Opened => {
    const rvm = Rvm.open(storeDir);
    try {
      const records = rvm.map('records', recordCount * RVMBENCH_RECORD_SIZE);
      const history = rvm.map('history', HISTORY_HEADER_SIZE + historyCountMax * RVMBENCH_HISTORY_RECORD_SIZE);
      const tx = rvm.begin(NO_RESTORE);
      tx.setRange(records, 0, records.size);
      // Branch, tellers and accounts each number their records from 0, as in every subject.
      writeRecords(records.bytes, 0, params.branchCount);
      writeRecords(records.bytes, tellerFirst, params.tellerCount);
      writeRecords(records.bytes, accountFirst, params.accountCount);
      tx.setRange(history, 0, HISTORY_HEADER_SIZE);
      history.bytes.writeDoubleLE(0, 0);
      tx.commit(FLUSH);
      // Start the rounds with an empty log, as the peers start with their load synced.
      rvm.truncate();
      return { rvm, records, history };
    } catch (error) {
      rvm.close();
      throw error;
    }
  })();

  const template = makeHistoryTemplate();
  const commitOptions = params.durability === 'durable' ? FLUSH : NO_FLUSH;
  // verify() replaces these with the reopened store's; no step runs after it.
  let { rvm, records, history } = loaded;
  let recordBytes = records.bytes;
  let historyBytes = history.bytes;

  const step: Prepared['step'] = {
    kind: 'sync',
    run: (opIndex) => {
      const accountIndex = inputs.accountIndexes[opIndex]!;
      const tellerIndex = inputs.tellerIndexes[opIndex]!;
      const delta = inputs.deltas[opIndex]!;
      const tx = rvm.begin(NO_RESTORE);
      addBalance(tx, 0, 0, delta);
      addBalance(tx, (tellerFirst + tellerIndex) * RVMBENCH_RECORD_SIZE, tellerIndex, delta);
      addBalance(tx, (accountFirst + accountIndex) * RVMBENCH_RECORD_SIZE, accountIndex, delta);
      const count = historyBytes.readDoubleLE(0);
      assert(count < historyCountMax, 'the history area has room for every step');
      const offset = HISTORY_HEADER_SIZE + count * RVMBENCH_HISTORY_RECORD_SIZE;
      tx.setRange(history, offset, RVMBENCH_HISTORY_RECORD_SIZE);
      template.copy(historyBytes, offset);
      encodeHistory(historyBytes, offset, opIndex, accountIndex, tellerIndex, 0, delta);
      tx.setRange(history, 0, HISTORY_HEADER_SIZE);
      historyBytes.writeDoubleLE(count + 1, 0);
      tx.commit(commitOptions);
    },
  };

  function addBalance(tx: Transaction, offset: number, index: number, delta: number): void {
    assert(recordBytes.readUInt32LE(offset + BALANCE_SIZE) === index, 'the record is the one asked for');
    tx.setRange(records, offset, BALANCE_SIZE);
    recordBytes.writeDoubleLE(recordBytes.readDoubleLE(offset) + delta, offset);
  }

  return {
    step,
    verify: (stepCountTotal) => {
      rvm.close();
      rvm = Rvm.open(storeDir);
      records = rvm.map('records');
      history = rvm.map('history');
      recordBytes = records.bytes;
      historyBytes = history.bytes;
      const sum = (first: number, count: number): number => {
        let total = 0;
        for (let index = first; index < first + count; index++) total += recordBytes.readDoubleLE(index * RVMBENCH_RECORD_SIZE);
        return total;
      };
      const historyCount = historyBytes.readDoubleLE(0);
      let historySum = 0;
      for (let index = 0; index < historyCount; index++) {
        historySum += historyBytes.readDoubleLE(HISTORY_HEADER_SIZE + index * RVMBENCH_HISTORY_RECORD_SIZE + 16);
      }
      checkRvmbenchTotals(inputs, stepCountTotal, {
        branchSum: sum(0, params.branchCount),
        tellerSum: sum(tellerFirst, params.tellerCount),
        accountSum: sum(accountFirst, params.accountCount),
        historySum,
        historyCount,
      });
    },
    close: async () => rvm.close(),
  };
}

/** Writes `count` fresh records numbered 0.. starting at record position `first`. */
function writeRecords(bytes: Buffer, first: number, count: number): void {
  const record = makeRecord(0);
  for (let index = 0; index < count; index++) {
    record.writeUInt32LE(index, BALANCE_SIZE);
    record.copy(bytes, (first + index) * RVMBENCH_RECORD_SIZE);
  }
}
