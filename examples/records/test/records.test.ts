/** The orders collection: writes keep indexes in step, queries, refusals, migrations at open. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimStorage } from '@rvm/core/testing';
import { isCodecError, Store } from '@rvm/structs';
import type { SchemaError } from '@rvm/structs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { META, openOrders, ORDER_STATUSES, storedVersion, versionKey } from '../src/index.js';
import type { OrderV3 } from '../src/index.js';
import { DIR, errorOf, expectedVersions, openStore, v1Orders } from './fixtures.js';

function v3Order(i: number, customer: string, status: OrderV3['status'], placedAt: string): OrderV3 {
  return { id: `ord-${String(i).padStart(4, '0')}`, customer: { id: `cus-${customer}`, name: customer }, placedAt, status, currency: 'EUR', lines: [{ sku: 'X', quantity: 1, priceCents: i }] };
}

const ids = (orders: Iterable<{ id: string }>): string[] => Array.from(orders, (o) => o.id);

describe('orders', () => {
  it('keeps every index in step through insert, update, put and delete', () => {
    const store = openStore(new SimStorage());
    const orders = openOrders(store);
    orders.insert(v3Order(1, 'ada', 'pending', '2024-01-10'));
    orders.insert(v3Order(2, 'ada', 'paid', '2024-02-10'));
    orders.insert(v3Order(3, 'grace', 'paid', '2024-03-10'));
    orders.verify();
    expect(ids(orders.find('customer', ['cus-ada']))).toEqual(['ord-0001', 'ord-0002']);
    expect(ids(orders.find('status', ['paid']))).toEqual(['ord-0002', 'ord-0003']);
    orders.update('ord-0001', (o) => ({ ...o, status: 'paid', customer: { id: 'cus-grace', name: 'grace' } }));
    orders.verify();
    expect(ids(orders.find('customer', ['cus-ada']))).toEqual(['ord-0002']);
    expect(ids(orders.find('status', ['paid'], { from: '2024-01-01', to: '2024-03-01' }))).toEqual(['ord-0001', 'ord-0002']);
    expect(ids(orders.find('status', ['paid'], { from: '2024-02-10', limit: 1 }))).toEqual(['ord-0002']);
    expect(ids(orders.find('status', ['pending']))).toEqual([]);
    expect(orders.delete('ord-0002')).toBe(true);
    expect(orders.delete('ord-0002')).toBe(false);
    orders.verify();
    expect(ids(orders.range())).toEqual(['ord-0001', 'ord-0003']);
    expect(ids(orders.range({ from: 'ord-0002', reverse: true }))).toEqual(['ord-0003']);
    expect(errorOf(() => orders.insert(v3Order(3, 'x', 'paid', '2024-01-01'))).code).toBe('DUPLICATE_ID');
    expect(errorOf(() => orders.update('ord-0009', (o) => o)).code).toBe('NOT_FOUND');
    expect(errorOf(() => orders.update('ord-0001', (o) => ({ ...o, id: 'ord-0010' }))).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => [...orders.find('placedAt', [])]).code).toBe('UNKNOWN_INDEX');
    store.verify();
  });

  it('refuses an invalid order with its issues and writes nothing, not even to an index', () => {
    const store = openStore(new SimStorage());
    const orders = openOrders(store);
    orders.insert(v3Order(1, 'ada', 'pending', '2024-01-10'));
    const bytesBefore = Buffer.from(store.segment.bytes);
    const bad = { ...v3Order(2, 'ada', 'paid', '2024-02-30'), currency: 'JPY', lines: [{ sku: '', quantity: 0, priceCents: 1 }], note: 'extra' };
    const e = errorOf(() => orders.insert(bad));
    expect(e.code).toBe('SCHEMA_INVALID');
    expect(e.issues!.map((issue) => issue.path.join('.')).sort()).toEqual(['', 'currency', 'lines.0.quantity', 'lines.0.sku', 'placedAt']);
    expect(Buffer.compare(bytesBefore, store.segment.bytes)).toBe(0);
    expect(orders.size).toBe(1);
    expect(ids(orders.find('customer', ['cus-ada']))).toEqual(['ord-0001']);
    // Inside a caller's transaction the refusal comes before anything joins it: the rest commits.
    store.transaction(() => {
      expect(errorOf(() => orders.put({ ...v3Order(3, 'ada', 'paid', '2024-03-01'), status: 'lost' })).code).toBe('SCHEMA_INVALID');
      orders.put(v3Order(4, 'ada', 'paid', '2024-03-01'));
    });
    expect(ids(orders.find('customer', ['cus-ada']))).toEqual(['ord-0001', 'ord-0004']);
    orders.verify();
  });

  it('migrates v1 to v3 at open, one transaction per step, and then never again', () => {
    const storage = new SimStorage();
    const v1 = v1Orders(30);
    const expected = expectedVersions(v1);
    {
      const store = openStore(storage);
      const orders = openOrders(store, { version: 1 });
      store.transaction(() => v1.forEach((o) => orders.insert(o)));
      expect(ids(orders.find('customer', ['Ada Lovelace']))).toEqual(ids(v1.filter((o) => o.customer === 'Ada Lovelace')));
      store.close();
    }
    {
      const store = openStore(storage);
      const v2 = openOrders(store, { version: 2 });
      expect(v2.migrations.map((m) => [m.from, m.to, m.recordCount])).toEqual([[1, 2, 30]]);
      expect([...v2.range()]).toEqual(expected[2]);
      v2.verify();
      store.close();
    }
    const store = openStore(storage);
    const orders = openOrders(store);
    expect(orders.migrations.map((m) => [m.from, m.to, m.recordCount])).toEqual([[2, 3, 30]]);
    expect([...orders.range()]).toEqual(expected[3]);
    expect(ids(orders.find('customer', ['cus-ada-lovelace']))).toEqual(ids(expected[3].filter((o) => o.customer.id === 'cus-ada-lovelace')));
    const june = expected[3].filter((o) => o.placedAt.startsWith('2024-06')).sort((x, y) => x.placedAt.localeCompare(y.placedAt) || x.id.localeCompare(y.id));
    expect(june.length).toBeGreaterThan(1);
    expect(ids(orders.find('status', ['pending'], { from: '2024-06-01', to: '2024-07-01' }))).toEqual(ids(june));
    orders.verify();
    store.verify();
    store.close();
    const again = openStore(storage);
    expect(openOrders(again).migrations).toEqual([]);
    const tooNew = errorOf(() => openOrders(again, { version: 2 }));
    expect(tooNew.code).toBe('VERSION_TOO_NEW');
    expect(tooNew.details).toMatchObject({ stored: 3, version: 2 });
    again.close();
  });

  it('leaves the store at the old version when a stored record fails its schema', () => {
    const storage = new SimStorage();
    const store = openStore(storage);
    const orders = openOrders(store, { version: 1 });
    store.transaction(() => v1Orders(5).forEach((o) => orders.insert(o)));
    // A bug writes around the collection: a record v1's schema refuses.
    store.transaction(() => store.btree('orders').put('ord-0003', { id: 'ord-0003', customer: '', placedAt: 'soon', lines: [] }));
    const bytesBefore = Buffer.from(store.segment.bytes);
    const e = errorOf(() => openOrders(store));
    expect(e.code).toBe('SCHEMA_INVALID');
    expect(Buffer.compare(bytesBefore, store.segment.bytes)).toBe(0);
    expect(storedVersion(store, 'orders')).toBe(1);
    store.close();
  });

  it('refuses records without a stored version (VERSION_MISSING)', () => {
    const storage = new SimStorage();
    const store = Store.open(DIR, { storage });
    store.transaction(() => store.btree('orders').put('ord-0001', { any: 'thing' }));
    expect(errorOf(() => openOrders(store)).code).toBe('VERSION_MISSING');
    expect(store.has(META)).toBe(false);
    store.transaction(() => store.btree<string, number>(META).put(versionKey('orders'), 9));
    expect(errorOf(() => openOrders(store)).code).toBe('VERSION_TOO_NEW');
  });

  it('answers queries as a model does, after random writes', () => {
    const store = openStore(new SimStorage());
    const orders = openOrders(store);
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), i: fc.nat(15), customer: fc.constantFrom('a', 'b', 'c'), status: fc.constantFrom(...ORDER_STATUSES), day: fc.integer({ min: 1, max: 28 }) }),
      fc.record({ kind: fc.constant('delete' as const), i: fc.nat(15) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), fc.constantFrom(...ORDER_STATUSES), fc.integer({ min: 1, max: 28 }), (ops, status, day) => {
        store.transaction(() => [...orders.range()].forEach((o) => orders.delete(o.id)));
        const model = new Map<string, OrderV3>();
        for (const op of ops) {
          const id = `ord-${String(op.i).padStart(4, '0')}`;
          if (op.kind === 'delete') {
            expect(orders.delete(id)).toBe(model.delete(id));
          } else {
            const order = v3Order(op.i, op.customer, op.status, `2024-05-${String(op.day).padStart(2, '0')}`);
            orders.put(order);
            model.set(id, order);
          }
        }
        orders.verify();
        const all = [...model.values()].sort((x, y) => (x.id < y.id ? -1 : 1));
        expect([...orders.range()]).toEqual(all);
        for (const customer of ['a', 'b', 'c']) expect(ids(orders.find('customer', [`cus-${customer}`]))).toEqual(ids(all.filter((o) => o.customer.name === customer)));
        const since = `2024-05-${String(day).padStart(2, '0')}`;
        const byStatus = all.filter((o) => o.status === status && o.placedAt >= since).sort((x, y) => (x.placedAt === y.placedAt ? (x.id < y.id ? -1 : 1) : x.placedAt < y.placedAt ? -1 : 1));
        expect(ids(orders.find('status', [status], { from: since }))).toEqual(ids(byStatus));
      }),
      { numRuns: 40, ...(process.env.CI ? { seed: 0x7265 } : {}) },
    );
    store.verify();
  });

  it('runs the README example', () => {
    const dir = mkdtempSync(join(tmpdir(), 'records-readme-'));
    const refused: string[] = [];
    try {
      // --- the README example, with its directory ---
      const store = Store.open(join(dir, 'shop'));
      const orders = openOrders(store); // migrates an older store to version 3 first
      orders.insert({
        id: 'ord-0001', customer: { id: 'cus-ada', name: 'Ada' }, placedAt: '2024-03-02', status: 'paid', currency: 'EUR',
        lines: [{ sku: 'PUNCH-CARDS', quantity: 500, priceCents: 2 }],
      });
      store.transaction(() => {
        // several writes, one transaction: the records and their index entries together
        orders.update('ord-0001', (o) => ({ ...o, status: 'shipped' }));
      });
      const adas = [...orders.find('customer', ['cus-ada'])];
      const shippedInMarch = [...orders.find('status', ['shipped'], { from: '2024-03-01', to: '2024-04-01' })];
      try {
        orders.insert({ id: 'ord-0002', customer: 'Grace' });
      } catch (e) {
        if (!isCodecError(e, 'SCHEMA_INVALID')) throw e;
        for (const issue of (e as SchemaError).issues) refused.push(`${issue.path.join('.')}: ${issue.message}`);
      }
      store.close();
      // --- end ---
      expect(ids(adas)).toEqual(['ord-0001']);
      expect(shippedInMarch.map((o) => o.status)).toEqual(['shipped']);
      expect(refused).toEqual([
        'customer: Invalid input: expected object, received string',
        'placedAt: Invalid input: expected string, received undefined',
        'lines: Invalid input: expected array, received undefined',
        'status: Invalid option: expected one of "pending"|"paid"|"shipped"|"cancelled"',
        'currency: Invalid option: expected one of "EUR"|"USD"|"GBP"',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
