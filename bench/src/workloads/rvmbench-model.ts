import { assert } from '../assert.js';
import type { Random } from '../random.js';

/**
 * rvmbench, the TPC-A-like benchmark of the LRVM paper: one branch, ten tellers and N accounts,
 * each a 128-byte record; a transaction adds a delta to the branch, one teller and one account
 * balance and appends a 64-byte history record.
 *
 * Record layout, the same in every subject (SQLite keeps balance as a column and the rest as
 * a filler blob, which is the idiomatic SQL shape of the same 128 bytes):
 * ```
 *  offset size field
 *       0    8 balance   float64 little-endian; deltas are integers, so sums stay exact
 *       8    4 index     uint32, the record's own index, a check that the right record moved
 *      12  116 filler    0xa5
 * ```
 * History record:
 * ```
 *       0    4 opIndex   uint32
 *       4    4 account   uint32
 *       8    4 teller    uint32
 *      12    4 branch    uint32
 *      16    8 delta     float64
 *      24   40 filler    0x5a
 * ```
 * Conservation: after k transactions the branch balance, the sum of teller balances, the sum
 * of account balances and the sum of history deltas are all the sum of the first k deltas,
 * and there are k history records. Every subject's verify() checks this.
 */
export const RVMBENCH_RECORD_SIZE = 128;
export const RVMBENCH_HISTORY_RECORD_SIZE = 64;
export const RVMBENCH_TELLER_COUNT = 10;
export const RVMBENCH_BRANCH_COUNT = 1;
export const RVMBENCH_DELTA_MAX = 99_999;

export type Durability = 'durable' | 'relaxed';

/**
 * uniform: every account equally likely. localized: the LRVM paper's localized pattern, with
 * accounts in place of pages (32 records fill a 4 KiB page, so account ranges are page
 * ranges): 70% of transactions hit the first 5% of accounts, 25% the next 15%, 5% the other 80%.
 */
export type Locality = 'uniform' | 'localized';

export interface RvmbenchParams {
  readonly accountCount: number;
  readonly tellerCount: number;
  readonly branchCount: number;
  /** durable: each commit is on disk when it returns (RVM: commit with flush). relaxed: no-flush. */
  readonly durability: Durability;
}

/** Per-transaction choices, indexed by opIndex, identical for every subject. */
export interface RvmbenchInputs {
  readonly accountIndexes: Int32Array;
  readonly tellerIndexes: Int32Array;
  readonly deltas: Int32Array;
}

export function makeRvmbenchInputs(
  random: Random,
  params: RvmbenchParams,
  locality: Locality,
  stepCountTotal: number,
): RvmbenchInputs {
  const accountIndexes = new Int32Array(stepCountTotal);
  const tellerIndexes = new Int32Array(stepCountTotal);
  const deltas = new Int32Array(stepCountTotal);
  const hotEnd = Math.max(1, Math.floor(params.accountCount * 0.05));
  const warmEnd = Math.max(hotEnd + 1, Math.floor(params.accountCount * 0.2));
  assert(warmEnd < params.accountCount, 'localized bands leave a cold band');
  for (let opIndex = 0; opIndex < stepCountTotal; opIndex++) {
    let accountIndex: number;
    if (locality === 'uniform') {
      accountIndex = random.nextIndex(params.accountCount);
    } else {
      const band = random.nextFloat();
      if (band < 0.7) accountIndex = random.nextIndex(hotEnd);
      else if (band < 0.95) accountIndex = hotEnd + random.nextIndex(warmEnd - hotEnd);
      else accountIndex = warmEnd + random.nextIndex(params.accountCount - warmEnd);
    }
    accountIndexes[opIndex] = accountIndex;
    tellerIndexes[opIndex] = random.nextIndex(params.tellerCount);
    deltas[opIndex] = random.nextIndex(2 * RVMBENCH_DELTA_MAX + 1) - RVMBENCH_DELTA_MAX;
  }
  return { accountIndexes, tellerIndexes, deltas };
}

/** A fresh 128-byte record with balance 0. */
export function makeRecord(index: number): Buffer {
  const record = Buffer.alloc(RVMBENCH_RECORD_SIZE, 0xa5);
  record.writeDoubleLE(0, 0);
  record.writeUInt32LE(index, 8);
  return record;
}

/** Encodes a history record into `target` at `offset` (no allocation). */
export function encodeHistory(
  target: Buffer,
  offset: number,
  opIndex: number,
  accountIndex: number,
  tellerIndex: number,
  branchIndex: number,
  delta: number,
): void {
  target.writeUInt32LE(opIndex, offset);
  target.writeUInt32LE(accountIndex, offset + 4);
  target.writeUInt32LE(tellerIndex, offset + 8);
  target.writeUInt32LE(branchIndex, offset + 12);
  target.writeDoubleLE(delta, offset + 16);
}

/** A history buffer's filler, written once so encodeHistory only touches the fields. */
export function makeHistoryTemplate(): Buffer {
  return Buffer.alloc(RVMBENCH_HISTORY_RECORD_SIZE, 0x5a);
}

/** What a subject found after the rounds; verify() compares it with the inputs. */
export interface RvmbenchTotals {
  readonly branchSum: number;
  readonly tellerSum: number;
  readonly accountSum: number;
  readonly historySum: number;
  readonly historyCount: number;
}

export function checkRvmbenchTotals(inputs: RvmbenchInputs, stepCountTotal: number, totals: RvmbenchTotals): void {
  let expected = 0;
  for (let opIndex = 0; opIndex < stepCountTotal; opIndex++) expected += inputs.deltas[opIndex]!;
  assert(totals.historyCount === stepCountTotal, 'one history record per transaction');
  assert(totals.branchSum === expected, 'branch balance is the sum of deltas');
  assert(totals.tellerSum === expected, 'teller balances sum to the sum of deltas');
  assert(totals.accountSum === expected, 'account balances sum to the sum of deltas');
  assert(totals.historySum === expected, 'history deltas sum to the sum of deltas');
}
