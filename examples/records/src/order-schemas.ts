/**
 * Orders, in the three versions the shop has had. Each schema is strict (an
 * unknown field is refused), so a record satisfies exactly one version's
 * schema: v1 has no status, v2 has a status and a customer name, v3 has a
 * customer object and a currency.
 *
 *   v1  { id, customer: "Ada Lovelace", placedAt, lines }
 *   v2  v1 + status                      (existing orders become "pending")
 *   v3  customer: { id, name } + currency (ids derived from names; "EUR")
 */
import { z } from 'zod';

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;
export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;

export const OrderLine = z.strictObject({
  sku: z.string().min(1),
  quantity: z.number().int().positive(),
  /** In the smallest unit of the currency: cents. */
  priceCents: z.number().int().nonnegative(),
});

export const OrderV1 = z.strictObject({
  id: z.string().regex(/^ord-\d{4,}$/, 'an order id is "ord-" and at least 4 digits'),
  customer: z.string().min(1),
  /** A calendar date, YYYY-MM-DD: its string order is its time order. */
  placedAt: z.iso.date(),
  lines: z.array(OrderLine).min(1),
});

export const OrderV2 = OrderV1.extend({
  status: z.enum(ORDER_STATUSES),
});

export const Customer = z.strictObject({
  id: z.string().regex(/^cus-[a-z0-9-]+$/, 'a customer id is "cus-" and lowercase letters, digits and dashes'),
  name: z.string().min(1),
});

export const OrderV3 = OrderV2.extend({
  customer: Customer,
  currency: z.enum(CURRENCIES),
});

export type OrderLine = z.infer<typeof OrderLine>;
export type OrderV1 = z.infer<typeof OrderV1>;
export type OrderV2 = z.infer<typeof OrderV2>;
export type OrderV3 = z.infer<typeof OrderV3>;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** v1 to v2: every order written before statuses existed is pending. */
export function orderV2From(order: OrderV1): OrderV2 {
  return { ...order, status: 'pending' };
}

/** v2 to v3: the customer's id is derived from the name; every earlier order was in euros. */
export function orderV3From(order: OrderV2): OrderV3 {
  return { ...order, customer: { id: customerIdOf(order.customer), name: order.customer }, currency: 'EUR' };
}

/** "Ada Lovelace" -> "cus-ada-lovelace" (ASCII letters and digits; anything else becomes a dash). */
export function customerIdOf(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `cus-${slug === '' ? 'unnamed' : slug}`;
}
