import path from 'node:path';
import Database from 'better-sqlite3';
import { pack, unpack } from 'msgpackr';
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
} from '../workloads/rvmbench-model.js';

/**
 * better-sqlite3 12 (synchronous API) with WAL; durable: synchronous=FULL (the WAL is
 * fsynced at every commit), relaxed: synchronous=OFF. Everything else is SQLite's default
 * (page cache 2 MB, automatic checkpoints every 1000 pages), as an application would get.
 * Values are msgpackr-encoded BLOBs, decoded on read like lmdb's.
 */
export const sqliteSubject: SubjectModule = {
  name: 'sqlite',
  description: 'better-sqlite3 12.11.1, WAL; durable: synchronous=FULL; relaxed: synchronous=OFF; msgpackr BLOB values',
  persistent: true,
  rvmbench: async (dir, params, inputs) => prepareRvmbench(dir, params, inputs),
  kvPut: async (dir, params, dataset, inputs) => prepareKvPut(dir, params, dataset, inputs),
  kvGet: async (dir, params, dataset, inputs) => prepareKvGet(dir, params, dataset, inputs),
  kvScan: async (dir, params, dataset, inputs) => prepareKvScan(dir, params, dataset, inputs),
};

const LOAD_BATCH_COUNT = 10_000;
/** The bytes of a 128-byte record after its 8-byte balance and 4-byte index. */
const FILLER_SIZE = RVMBENCH_RECORD_SIZE - 12;

function openDatabase(dir: string, durability: Durability): Database.Database {
  const db = new Database(path.join(dir, 'bench.sqlite'));
  const mode: unknown = db.pragma('journal_mode = WAL', { simple: true });
  assert(mode === 'wal', 'SQLite accepted WAL mode');
  db.pragma(`synchronous = ${durability === 'durable' ? 'FULL' : 'OFF'}`);
  return db;
}

function prepareRvmbench(dir: string, params: RvmbenchParams, inputs: RvmbenchInputs): Prepared {
  const db = openDatabase(dir, params.durability);
  const tables = ['branch', 'teller', 'account'] as const;
  for (const table of tables) {
    db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL, filler BLOB NOT NULL)`);
  }
  db.exec('CREATE TABLE history (id INTEGER PRIMARY KEY, record BLOB NOT NULL)');
  const filler = Buffer.alloc(FILLER_SIZE, 0xa5);
  const counts = { branch: params.branchCount, teller: params.tellerCount, account: params.accountCount };
  db.transaction(() => {
    for (const table of tables) {
      const insert = db.prepare(`INSERT INTO ${table} (id, balance, filler) VALUES (?, 0, ?)`);
      for (let index = 0; index < counts[table]; index++) insert.run(index, filler);
    }
  })();

  const updateBranch = db.prepare('UPDATE branch SET balance = balance + ? WHERE id = ?');
  const updateTeller = db.prepare('UPDATE teller SET balance = balance + ? WHERE id = ?');
  const updateAccount = db.prepare('UPDATE account SET balance = balance + ? WHERE id = ?');
  const insertHistory = db.prepare('INSERT INTO history (id, record) VALUES (?, ?)');
  const historyRecord = makeHistoryTemplate();
  const transaction = db.transaction((opIndex: number) => {
    const accountIndex = inputs.accountIndexes[opIndex]!;
    const tellerIndex = inputs.tellerIndexes[opIndex]!;
    const delta = inputs.deltas[opIndex]!;
    assert(updateBranch.run(delta, 0).changes === 1, 'the branch exists');
    assert(updateTeller.run(delta, tellerIndex).changes === 1, 'the teller exists');
    assert(updateAccount.run(delta, accountIndex).changes === 1, 'the account exists');
    encodeHistory(historyRecord, 0, opIndex, accountIndex, tellerIndex, 0, delta);
    insertHistory.run(opIndex, historyRecord);
  });
  return {
    step: { kind: 'sync', run: (opIndex) => transaction(opIndex) },
    verify: (stepCountTotal) => {
      const sum = (table: string): number => Number(db.prepare(`SELECT total(balance) FROM ${table}`).pluck().get());
      let historySum = 0;
      let historyCount = 0;
      for (const record of db.prepare('SELECT record FROM history').pluck().iterate() as IterableIterator<Buffer>) {
        assert(record.length === RVMBENCH_HISTORY_RECORD_SIZE, 'history records are 64 bytes');
        historySum += record.readDoubleLE(16);
        historyCount += 1;
      }
      checkRvmbenchTotals(inputs, stepCountTotal, {
        branchSum: sum('branch'),
        tellerSum: sum('teller'),
        accountSum: sum('account'),
        historySum,
        historyCount,
      });
    },
    close: async () => {
      db.close();
    },
  };
}

function openLoadedKv(dir: string, durability: Durability, dataset: KvDataset, entryCount: number): Database.Database {
  assert(entryCount === dataset.entryCount, 'params and dataset agree on the size');
  const db = openDatabase(dir, durability);
  db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
  const insert = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
  const load = db.transaction((first: number, end: number) => {
    for (let rank = first; rank < end; rank++) insert.run(dataset.sortedKeys[rank]!, pack(dataset.value(dataset.sortedEntryIndexes[rank]!, 0)));
  });
  for (let first = 0; first < entryCount; first += LOAD_BATCH_COUNT) load(first, Math.min(first + LOAD_BATCH_COUNT, entryCount));
  return db;
}

function prepareKvPut(dir: string, params: KvPutParams, dataset: KvDataset, inputs: KvInputs): Prepared {
  const db = openLoadedKv(dir, params.durability, dataset, params.entryCount);
  const { keys } = dataset;
  const { batchCount } = params;
  const put = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
  const select = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
  const putOne = (opIndex: number, index: number): void => {
    const entryIndex = inputs.entryIndexes[index]!;
    put.run(keys[entryIndex]!, pack(dataset.value(entryIndex, opIndex)));
  };
  const batch = db.transaction((opIndex: number) => {
    const first = opIndex * batchCount;
    for (let index = first; index < first + batchCount; index++) putOne(opIndex, index);
  });
  return {
    // A single statement outside a transaction is its own transaction (autocommit).
    step: batchCount === 1 ? { kind: 'sync', run: (opIndex) => putOne(opIndex, opIndex) } : { kind: 'sync', run: (opIndex) => batch(opIndex) },
    verify: (stepCountTotal) => {
      const last = lastPutOf(params, inputs, stepCountTotal);
      const value = unpack(select.get(keys[last.entryIndex]!) as Buffer) as KvValue;
      assert(value.version === last.version, 'the last put is visible');
    },
    close: async () => {
      db.close();
    },
  };
}

function prepareKvGet(dir: string, params: KvReadParams, dataset: KvDataset, inputs: KvInputs): Prepared {
  const db = openLoadedKv(dir, 'durable', dataset, params.entryCount);
  const { keys } = dataset;
  const select = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const entryIndex = inputs.entryIndexes[opIndex]!;
        const encoded = select.get(keys[entryIndex]!) as Buffer | undefined;
        checkValue(encoded === undefined ? undefined : (unpack(encoded) as KvValue), entryIndex);
      },
    },
    verify: () => {
      const count = db.prepare('SELECT count(*) FROM kv').pluck().get();
      assert(count === params.entryCount, 'gets change nothing');
    },
    close: async () => {
      db.close();
    },
  };
}

function prepareKvScan(dir: string, params: KvScanParams, dataset: KvDataset, inputs: KvInputs): Prepared {
  const db = openLoadedKv(dir, 'durable', dataset, params.entryCount);
  const { sortedKeys } = dataset;
  const { scanCount } = params;
  const scan = db.prepare('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?').raw(true);
  let entryCount = 0;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const startKey = sortedKeys[inputs.entryIndexes[opIndex]!]!;
        const rows = scan.all(startKey, scanCount) as [string, Buffer][];
        assert(rows.length === scanCount, 'a scan returns scanCount entries');
        assert(rows[0]![0] === startKey, 'a scan starts at its start key');
        for (const row of rows) {
          const value = unpack(row[1]) as KvValue;
          assert(value.id >= 0, 'scans return decoded values');
        }
        entryCount += rows.length;
      },
    },
    verify: (stepCountTotal) => assert(entryCount === stepCountTotal * scanCount, 'every scan returned scanCount entries'),
    close: async () => {
      db.close();
    },
  };
}
