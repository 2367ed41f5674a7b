/** The orders collection: its three version definitions and a typed open. */
import type { Store } from '@rvm/structs';
import { Collection } from './collection.js';
import type { VersionDefinition, VersionList } from './definition.js';
import { OrderV1, OrderV2, OrderV3, orderV2From, orderV3From } from './order-schemas.js';

export const ORDERS = 'orders';

const v1: VersionDefinition<OrderV1> = {
  version: 1,
  schema: OrderV1,
  idOf: (order) => order.id,
  indexes: [{ name: 'customer', keyOf: (order) => [order.customer] }],
};

const v2: VersionDefinition<OrderV2, OrderV1> = {
  version: 2,
  schema: OrderV2,
  idOf: (order) => order.id,
  indexes: [
    { name: 'customer', keyOf: (order) => [order.customer] },
    { name: 'status', keyOf: (order) => [order.status, order.placedAt] },
  ],
  migrate: orderV2From,
};

const v3: VersionDefinition<OrderV3, OrderV2> = {
  version: 3,
  schema: OrderV3,
  idOf: (order) => order.id,
  indexes: [
    { name: 'customer', keyOf: (order) => [order.customer.id] },
    { name: 'status', keyOf: (order) => [order.status, order.placedAt] },
  ],
  migrate: orderV3From,
};

/** Every version of orders, oldest first. */
export const ORDER_VERSIONS: VersionList = [v1, v2, v3];

export interface OrderOfVersion {
  1: OrderV1;
  2: OrderV2;
  3: OrderV3;
}

export type OrderVersion = keyof OrderOfVersion;

export const ORDER_VERSION_LATEST = 3;

/**
 * The orders of `store` at `version` (the latest by default), migrating the
 * stored orders up to it first, one transaction per version step.
 */
export function openOrders<V extends OrderVersion = 3>(store: Store, options: { version?: V } = {}): Collection<OrderOfVersion[V]> {
  return Collection.open<OrderOfVersion[V]>(store, ORDERS, ORDER_VERSIONS, options.version ?? ORDER_VERSION_LATEST);
}
