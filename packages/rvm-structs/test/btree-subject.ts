/**
 * The BTree as a subject of the shared laws (test/laws/): operations as plain
 * data, keys that share prefixes (the nodes' hints) and values that exercise
 * inline and blob cells, and a model that is a Map kept in encoded-key order
 * when read.
 */
import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { BTree } from '../src/btree/index.js';
import { decodeKey, encodeKey, type Key } from '../src/codec/index.js';
import type { LawSubject } from './laws/subject.js';

export interface Bound {
  readonly key: Key;
  readonly inclusive: boolean;
}

export type TreeOp =
  | { readonly kind: 'put'; readonly key: Key; readonly value: unknown }
  | { readonly kind: 'delete'; readonly key: Key }
  | { readonly kind: 'get'; readonly key: Key }
  | { readonly kind: 'range'; readonly lower?: Bound; readonly upper?: Bound; readonly reverse: boolean; readonly limit?: number }
  | { readonly kind: 'edges' }
  | { readonly kind: 'putMany'; readonly prefix: string; readonly count: number; readonly value: unknown }
  | { readonly kind: 'deleteMany'; readonly prefix: string; readonly count: number }
  | { readonly kind: 'deleteWhileIterating'; readonly from?: Key }
  | { readonly kind: 'rebuild' }
  | { readonly kind: 'clear' };

/** Model: encoded key (hex, which sorts like the bytes) -> [canonical key, value]. */
export type TreeModel = Map<string, readonly [Key, unknown]>;

export function keyId(key: Key): string {
  return Buffer.from(encodeKey(key)).toString('hex');
}

/** The key as the tree gives it back (-0 becomes 0, a Buffer a Uint8Array). */
export function canonical(key: Key): Key {
  return decodeKey(encodeKey(key));
}

export function sortedEntries(model: TreeModel): Array<[Key, unknown]> {
  return [...model.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, entry]) => [entry[0], entry[1]]);
}

/** Keys from a small space (so operations meet), sharing prefixes, some near the 512-byte-node key limit. */
export const keyArb: fc.Arbitrary<Key> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -50, max: 300 }) },
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('user:', 'user:a', 'item/', 'i', ''), fc.integer({ min: 0, max: 60 })).map(([p, n]) => `${p}${n}`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 5 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }).map((n) => `long-key-${n}-`.padEnd(60 + n * 2, 'k')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 5 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom('a', 'b', '')) },
  { weight: 1, arbitrary: fc.constantFrom<Key>('', null, true, false, [], new Uint8Array(0), 0n, -7n) },
);

/** Values that MessagePack round-trips exactly, inline and (long strings) out of line. */
export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.integer() },
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 900 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.record({ name: fc.string({ maxLength: 8 }), n: fc.integer() }).map((r) => ({ ...r })) },
  // Objects of many shapes (ordered key sets): the segment's record codec appends structures to its table inside the
  // generated transactions, aborts and crashes, and fills it (32), after which shapes are written inline.
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.integer(), { minKeys: 1, maxKeys: 4 }).map((d) => ({ ...d })) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, '') },
);

const boundArb: fc.Arbitrary<Bound | undefined> = fc.option(fc.record({ key: keyArb, inclusive: fc.boolean() }), { nil: undefined });

export const treeOpArb: fc.Arbitrary<TreeOp> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(keyArb, valueArb).map(([key, value]): TreeOp => ({ kind: 'put', key, value })) },
  { weight: 5, arbitrary: keyArb.map((key): TreeOp => ({ kind: 'delete', key })) },
  { weight: 3, arbitrary: keyArb.map((key): TreeOp => ({ kind: 'get', key })) },
  {
    weight: 3,
    arbitrary: fc.record({ lower: boundArb, upper: boundArb, reverse: fc.boolean(), limit: fc.option(fc.nat({ max: 20 }), { nil: undefined }) })
      .map((r): TreeOp => ({ kind: 'range', ...(r.lower === undefined ? {} : { lower: r.lower }), ...(r.upper === undefined ? {} : { upper: r.upper }), reverse: r.reverse, ...(r.limit === undefined ? {} : { limit: r.limit }) })),
  },
  { weight: 1, arbitrary: fc.constant<TreeOp>({ kind: 'edges' }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('m/', 'user:'), fc.integer({ min: 1, max: 150 }), valueArb).map(([prefix, count, value]): TreeOp => ({ kind: 'putMany', prefix, count, value })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('m/', 'user:'), fc.integer({ min: 1, max: 150 })).map(([prefix, count]): TreeOp => ({ kind: 'deleteMany', prefix, count })) },
  { weight: 1, arbitrary: fc.option(keyArb, { nil: undefined }).map((from): TreeOp => (from === undefined ? { kind: 'deleteWhileIterating' } : { kind: 'deleteWhileIterating', from })) },
  { weight: 1, arbitrary: fc.constant<TreeOp>({ kind: 'rebuild' }) },
  { weight: 1, arbitrary: fc.constant<TreeOp>({ kind: 'clear' }) },
);

function manyKey(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(4, '0')}`;
}

function same(what: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) throw new Error(`${what}: got ${describe(actual)}, expected ${describe(expected)}`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : typeof v === 'bigint' ? `${v}n` : v));
  return text === undefined ? String(value) : text.length > 160 ? `${text.slice(0, 160)}...` : text;
}

function inRange(id: string, lower: Bound | undefined, upper: Bound | undefined): boolean {
  if (lower !== undefined) {
    const l = keyId(lower.key);
    if (id < l || (id === l && !lower.inclusive)) return false;
  }
  if (upper !== undefined) {
    const u = keyId(upper.key);
    if (id > u || (id === u && !upper.inclusive)) return false;
  }
  return true;
}

function rangeOptions(op: Extract<TreeOp, { kind: 'range' }>): Record<string, unknown> {
  const options: Record<string, unknown> = { reverse: op.reverse };
  if (op.lower !== undefined) options[op.lower.inclusive ? 'gte' : 'gt'] = op.lower.key;
  if (op.upper !== undefined) options[op.upper.inclusive ? 'lte' : 'lt'] = op.upper.key;
  if (op.limit !== undefined) options.limit = op.limit;
  return options;
}

export function applyTreeOp(tree: BTree<Key, unknown>, model: TreeModel, op: TreeOp): void {
  switch (op.kind) {
    case 'put':
      tree.put(op.key, op.value);
      model.set(keyId(op.key), [canonical(op.key), op.value]);
      break;
    case 'delete':
      same(`delete(${describe(op.key)})`, tree.delete(op.key), model.delete(keyId(op.key)));
      break;
    case 'get':
      same(`get(${describe(op.key)})`, tree.get(op.key), model.get(keyId(op.key))?.[1]);
      same(`has(${describe(op.key)})`, tree.has(op.key), model.has(keyId(op.key)));
      break;
    case 'range': {
      const ids = [...model.keys()].filter((id) => inRange(id, op.lower, op.upper)).sort();
      if (op.reverse) ids.reverse();
      const expected = ids.slice(0, op.limit ?? Infinity).map((id) => [...model.get(id)!]);
      same(`range(${describe(op)})`, [...tree.range(rangeOptions(op))], expected);
      break;
    }
    case 'edges': {
      const entries = sortedEntries(model);
      same('first()', tree.first(), entries[0]);
      same('last()', tree.last(), entries[entries.length - 1]);
      same('size', tree.size, model.size);
      break;
    }
    case 'putMany':
      for (let i = 0; i < op.count; i++) {
        const key = manyKey(op.prefix, i);
        tree.put(key, op.value);
        model.set(keyId(key), [key, op.value]);
      }
      break;
    case 'deleteMany':
      for (let i = 0; i < op.count; i++) {
        const key = manyKey(op.prefix, i);
        same(`delete(${key})`, tree.delete(key), model.delete(keyId(key)));
      }
      break;
    case 'deleteWhileIterating': {
      // Deleting behind the cursor: the iterator seeks again after each mutation and sees every key once, in order.
      const options = op.from === undefined ? {} : { gte: op.from };
      const ids = [...model.keys()].filter((id) => inRange(id, op.from === undefined ? undefined : { key: op.from, inclusive: true }, undefined)).sort();
      let index = 0;
      const seen: Key[] = [];
      for (const key of tree.keys(options)) {
        seen.push(key);
        if (index++ % 2 === 0) tree.delete(key);
      }
      same('keys seen while deleting', seen, ids.map((id) => model.get(id)![0]));
      ids.forEach((id, i) => {
        if (i % 2 === 0) model.delete(id);
      });
      break;
    }
    case 'rebuild': {
      const entries = [...tree.range()];
      tree.clear();
      tree.bulkLoad(entries);
      break;
    }
    case 'clear':
      tree.clear();
      model.clear();
      break;
  }
}

export const btreeSubject: LawSubject<BTree<Key, unknown>, TreeModel, TreeOp> = {
  name: 'BTree (512-byte nodes)',
  kind: 'btree',
  options: { nodeSize: 512 },
  emptyModel: () => new Map(),
  cloneModel: (model) => new Map(model),
  apply: applyTreeOp,
  compare(tree, model) {
    const entries = sortedEntries(model);
    same('size', tree.size, model.size);
    same('entries', [...tree.range()], entries);
    same('keys in reverse', [...tree.keys({ reverse: true })], entries.map(([key]) => key).reverse());
  },
  verify: (tree) => tree.verify(),
  opArb: treeOpArb,
  growOp: (seed, size) => ({ kind: 'putMany', prefix: `g${seed}/`, count: Math.ceil(size / 110), value: 'x'.repeat(90) }),
};
