/** Orders for the tests, at every version, and a store on simulated storage. */
import { SimStorage } from '@rvm/core/testing';
import { Store } from '@rvm/structs';
import { orderV2From, orderV3From } from '../src/index.js';
import type { OrderV1, OrderV2, OrderV3 } from '../src/index.js';

export const DIR = '/shop';
/** Small segments keep opening cheap; they grow by themselves. */
export const SEGMENT_SIZE = 64 * 1024;

const CUSTOMERS = ['Ada Lovelace', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov', 'Ken Thompson'];

/** `count` v1 orders: ids ord-0000.., customers in turn, dates through 2024. */
export function v1Orders(count: number): OrderV1[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `ord-${String(i).padStart(4, '0')}`,
    customer: CUSTOMERS[i % CUSTOMERS.length]!,
    placedAt: `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
    lines: Array.from({ length: (i % 3) + 1 }, (_, j) => ({ sku: `SKU-${i}-${j}`, quantity: j + 1, priceCents: 100 * (i + j) })),
  }));
}

export function expectedVersions(orders: readonly OrderV1[]): { 1: OrderV1[]; 2: OrderV2[]; 3: OrderV3[] } {
  const v2 = orders.map(orderV2From);
  return { 1: [...orders], 2: v2, 3: v2.map(orderV3From) };
}

export function openStore(storage: SimStorage): Store {
  return Store.open(DIR, { storage, segmentSize: SEGMENT_SIZE });
}

export function errorOf(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown>; issues?: ReadonlyArray<{ path: PropertyKey[] }> } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error');
}
