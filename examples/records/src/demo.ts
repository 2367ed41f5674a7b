/**
 * The records example end to end: code at schema version 1 writes orders,
 * code at version 3 opens the same store (migrating it, v1 -> v2 -> v3, one
 * transaction per step), queries it by id range and by index, refuses an
 * invalid order, and a second open finds nothing to migrate.
 *
 * Run: npm run records [-- <dir>]   (a fresh temporary directory by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCodecError, Store } from '@rvm/structs';
import type { SchemaError } from '@rvm/structs';
import { isRecordsError, openOrders, storedVersion } from './index.js';
import type { OrderV1, OrderV3 } from './index.js';

const given = process.argv[2];
const dir = given ?? join(mkdtempSync(join(tmpdir(), 'records-demo-')), 'shop');

const V1_ORDERS: OrderV1[] = [
  { id: 'ord-0001', customer: 'Ada Lovelace', placedAt: '2024-01-15', lines: [{ sku: 'ENGINE-NOTES', quantity: 1, priceCents: 4200 }] },
  { id: 'ord-0002', customer: 'Grace Hopper', placedAt: '2024-02-03', lines: [{ sku: 'COBOL-MANUAL', quantity: 2, priceCents: 1999 }, { sku: 'NANOSECOND-WIRE', quantity: 10, priceCents: 30 }] },
  { id: 'ord-0003', customer: 'Ada Lovelace', placedAt: '2024-03-02', lines: [{ sku: 'PUNCH-CARDS', quantity: 500, priceCents: 2 }] },
  { id: 'ord-0004', customer: 'Edsger Dijkstra', placedAt: '2024-03-09', lines: [{ sku: 'FOUNTAIN-PEN', quantity: 1, priceCents: 8900 }] },
  { id: 'ord-0005', customer: 'Barbara Liskov', placedAt: '2024-03-21', lines: [{ sku: 'CLU-REFERENCE', quantity: 1, priceCents: 3500 }] },
  { id: 'ord-0006', customer: 'Grace Hopper', placedAt: '2024-04-11', lines: [{ sku: 'COMPILER-KIT', quantity: 1, priceCents: 12000 }] },
  { id: 'ord-0007', customer: 'Ada Lovelace', placedAt: '2024-04-30', lines: [{ sku: 'BERNOULLI-TABLES', quantity: 3, priceCents: 1500 }] },
];

function total(order: OrderV3): string {
  const cents = order.lines.reduce((sum, line) => sum + line.quantity * line.priceCents, 0);
  return `${(cents / 100).toFixed(2)} ${order.currency}`;
}

function row(order: OrderV3): string {
  return `  ${order.id}  ${order.placedAt}  ${order.status.padEnd(9)}  ${order.customer.id.padEnd(20)}  ${total(order).padStart(11)}`;
}

console.log(`store: ${given === undefined ? '(a temporary directory)' : dir}\n`);

// 1. The shop's first release: orders at schema version 1.
{
  const store = Store.open(dir);
  const orders = openOrders(store, { version: 1 });
  store.transaction(() => {
    for (const order of V1_ORDERS) orders.insert(order);
  });
  console.log(`v1 code: wrote ${orders.size} orders; stored schema version ${storedVersion(store, 'orders')}`);
  console.log(`  ${JSON.stringify(orders.get('ord-0001'))}`);
  store.close();
}

// 2. The current release opens the same store: it migrates, then works at version 3.
const store = Store.open(dir);
const orders = openOrders(store);
console.log(`\nv3 code: opened at version ${orders.version}; migrations run at open:`);
for (const m of orders.migrations) console.log(`  v${m.from} -> v${m.to}: ${m.recordCount} records in one transaction (${m.durationMs.toFixed(1)} ms)`);
console.log(`  ${JSON.stringify(orders.get('ord-0001'))}`);

// Orders move on: three status changes in one transaction.
store.transaction(() => {
  orders.update('ord-0003', (o) => ({ ...o, status: 'paid' }));
  orders.update('ord-0004', (o) => ({ ...o, status: 'paid' }));
  orders.update('ord-0005', (o) => ({ ...o, status: 'shipped' }));
});
orders.insert({
  id: 'ord-0008', customer: { id: 'cus-ada-lovelace', name: 'Ada Lovelace' }, placedAt: '2024-03-28', status: 'paid', currency: 'GBP',
  lines: [{ sku: 'DIFFERENCE-ENGINE-MODEL', quantity: 1, priceCents: 25000 }],
});

console.log('\nids from ord-0003 to ord-0006 (primary key range):');
for (const order of orders.range({ from: 'ord-0003', to: 'ord-0006' })) console.log(row(order));
console.log('\nby customer cus-ada-lovelace (index "customer"):');
for (const order of orders.find('customer', ['cus-ada-lovelace'])) console.log(row(order));
console.log('\npaid in March 2024 (index "status": status, then placedAt in [2024-03-01, 2024-04-01)):');
for (const order of orders.find('status', ['paid'], { from: '2024-03-01', to: '2024-04-01' })) console.log(row(order));
console.log('\npending, first 2 by date:');
for (const order of orders.find('status', ['pending'], { limit: 2 })) console.log(row(order));

// An invalid order is refused with the schema's issues, and nothing is written.
const sizeBefore = orders.size;
try {
  orders.insert({
    id: 'ord-0009', customer: { id: 'cus-alan-turing', name: 'Alan Turing' }, placedAt: '2024-06-31', status: 'paid', currency: 'JPY',
    lines: [{ sku: 'BOMBE-ROTOR', quantity: 0, priceCents: 100 }],
  });
} catch (e) {
  if (!isCodecError(e, 'SCHEMA_INVALID')) throw e;
  console.log(`\ninvalid order refused: ${e.code}`);
  for (const issue of (e as SchemaError).issues) console.log(`  ${issue.path.join('.')}: ${issue.message}`);
  console.log(`  orders: ${sizeBefore} before, ${orders.size} after; ord-0009 stored: ${orders.has('ord-0009')}`);
}

orders.verify();
store.verify();
console.log(`\nverify: ${orders.size} orders, every index entry matches its record`);
store.close();

// 3. Later opens find the store at version 3: nothing to migrate. Old code is refused.
{
  const again = Store.open(dir);
  const reopened = openOrders(again);
  console.log(`\nreopened: version ${reopened.version}, ${reopened.migrations.length} migrations, ${reopened.size} orders`);
  try {
    openOrders(again, { version: 1 });
  } catch (e) {
    if (!isRecordsError(e, 'VERSION_TOO_NEW')) throw e;
    console.log(`v1 code on this store: ${e.code} (the store is at version ${String(e.details.stored)}; that code opens version ${String(e.details.version)})`);
  }
  again.close();
}

if (given === undefined) rmSync(join(dir, '..'), { recursive: true, force: true });
