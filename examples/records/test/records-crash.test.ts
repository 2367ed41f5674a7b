/**
 * Crash during a migration: a store written at version 1 is opened by v3 code
 * (migrating v1 -> v2 -> v3, one transaction per step) on simulated storage
 * that dies at a chosen storage operation; the crash keeps, drops or tears
 * whatever was not synced. After recovery, and before any code migrates
 * again, the store must hold one version V entirely: the marker says V, every
 * record satisfies V's strict schema and no other version's, the records are
 * exactly the expected ones at V, and the index trees are exactly V's, each
 * matching the records. Opening with v3 code then finishes the migration.
 *
 * The crash points: every operation from the end of recovery to the end of
 * close (the migration's own writes and syncs) with several crash seeds and
 * both extreme modes, and every 4th operation of the open before it (log
 * recovery of the v1 store) with one seed.
 */
import { isSimCrash, SimStorage } from '@rvm/core/testing';
import type { CrashMode } from '@rvm/core/testing';
import type { Store } from '@rvm/structs';
import { describe, expect, it } from 'vitest';
import { indexTreeName, META, openOrders, ORDER_VERSIONS, OrderV1, OrderV2, OrderV3, ORDERS, storedVersion } from '../src/index.js';
import type { OrderVersion } from '../src/index.js';
import { expectedVersions, openStore, v1Orders } from './fixtures.js';

const ORDER_COUNT = 24;
const SCHEMAS = { 1: OrderV1, 2: OrderV2, 3: OrderV3 } as const;
const SEEDS_IN_MIGRATION = [1, 2, 3, 4];
const OPEN_STRIDE = 4;

const v1 = v1Orders(ORDER_COUNT);
const expected = expectedVersions(v1);

/** The store at version 1, closed. */
const template = new SimStorage();
{
  const store = openStore(template);
  const orders = openOrders(store, { version: 1 });
  store.transaction(() => v1.forEach((order) => orders.insert(order)));
  store.close();
}

/** Opens with v3 code and closes; returns how far it got. */
function migrate(storage: SimStorage): 'done' | 'crashed' {
  try {
    const store = openStore(storage);
    openOrders(store);
    store.close();
    return 'done';
  } catch (e) {
    if (isSimCrash(e)) return 'crashed';
    throw e;
  }
}

/** Everything the header promises about a store that has not been migrated since the crash. */
function checkOneVersion(store: Store): OrderVersion {
  const version = storedVersion(store, ORDERS) as OrderVersion;
  expect([1, 2, 3]).toContain(version);
  const indexNames = ORDER_VERSIONS[version - 1]!.indexes.map((index) => indexTreeName(ORDERS, index.name));
  expect(store.names()).toEqual([META, ORDERS, ...indexNames].sort());
  const records = [...store.btree<string, unknown>(ORDERS).values()];
  for (const record of records) {
    for (const other of [1, 2, 3] as const) expect(SCHEMAS[other].safeParse(record).success, `a record against v${other} in a v${version} store`).toBe(other === version);
  }
  expect(records).toEqual(expected[version]);
  openOrders(store, { version }).verify();
  store.verify();
  return version;
}

describe('a crash during a migration', () => {
  it('leaves the old version or the new one, never a mix, and the next open finishes', () => {
    const dry = template.clone();
    const first = dry.opCount;
    const store = openStore(dry);
    const opened = dry.opCount;
    openOrders(store);
    store.close();
    const last = dry.opCount;
    expect(last - opened).toBeGreaterThanOrEqual(4); // two steps, each a log write and a sync at least

    const cases: Array<{ at: number; seed: number; mode: CrashMode }> = [];
    for (let at = first; at < opened; at += OPEN_STRIDE) cases.push({ at, seed: at, mode: 'random' });
    for (let at = opened; at <= last; at++) {
      for (const seed of SEEDS_IN_MIGRATION) cases.push({ at, seed, mode: 'random' });
      cases.push({ at, seed: 0, mode: 'keepAll' }, { at, seed: 0, mode: 'dropAll' });
    }
    const versions = { 1: 0, 2: 0, 3: 0 };
    const outcomes = { crashed: 0, done: 0 };
    for (const { at, seed, mode } of cases) {
      const storage = template.clone();
      storage.crashAt(at, seed, mode);
      // Crashes at the last operations of close() are not reported: close ignores a failing fd close.
      outcomes[migrate(storage)]++;
      storage.recoverFromCrash();

      const recovered = openStore(storage);
      const version = checkOneVersion(recovered);
      versions[version]++;
      const orders = openOrders(recovered);
      expect(orders.migrations.map((m) => m.from)).toEqual(version === 1 ? [1, 2] : version === 2 ? [2] : []);
      expect([...orders.range()]).toEqual(expected[3]);
      orders.verify();
      recovered.close();
    }
    console.log(`migration crashes: ${cases.length} cases over operations ${first}..${last}; ${JSON.stringify(outcomes)}; recovered at v1/v2/v3: ${JSON.stringify(versions)}`);
    expect(versions[1]).toBeGreaterThan(0);
    expect(versions[2]).toBeGreaterThan(0);
    expect(versions[3]).toBeGreaterThan(0);
  });
});
