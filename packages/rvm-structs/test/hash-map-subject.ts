/**
 * The HashMap as a subject of the workload runner (list-hash-map-support.ts):
 * operations as plain data, generated keys and values that exercise inline
 * and blob cells, and a `Map` model keyed by the encoded key.
 */
import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { encodeKey, type Key } from '../src/codec/index.js';
import { HashMap } from '../src/hash-map/index.js';
import type { Subject } from './list-hash-map-support.js';

export type MapOp =
  | { readonly kind: 'set'; readonly key: Key; readonly value: unknown }
  | { readonly kind: 'delete'; readonly key: Key }
  | { readonly kind: 'get'; readonly key: Key }
  | { readonly kind: 'bulkSet'; readonly start: number; readonly count: number; readonly value: unknown }
  | { readonly kind: 'bulkDelete'; readonly start: number; readonly count: number }
  | { readonly kind: 'clear' };

/** Model: encoded key (hex) -> [key, value]. */
export type MapModel = Map<string, readonly [Key, unknown]>;

/** A string that identifies a key as its encoding does (numbers, the common case, without encoding them). */
export function keyId(key: Key): string {
  if (typeof key === 'number') return `n${key}`;
  return Buffer.from(encodeKey(key)).toString('hex');
}

/** Keys from a small space (so that operations meet), with some long enough to be blobs. */
export const keyArb: fc.Arbitrary<Key> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 400 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((n) => `long-key-${n}-`.padEnd(70 + n * 3, 'x')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom('a', 'b', '')) },
  { weight: 1, arbitrary: fc.constantFrom<Key>('', null, true, false, [], new Uint8Array(0)) },
);

/** Values that MessagePack round-trips exactly, inline and (long strings) blobs. */
export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.integer() },
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.integer({ min: 150, max: 700 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.record({ name: fc.string({ maxLength: 8 }), n: fc.integer() }).map((r) => ({ ...r })) },
  // Objects of many shapes (ordered key sets): the segment's record codec appends structures to its table inside the
  // generated transactions, aborts and crashes, and fills it (32), after which shapes are written inline.
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.integer(), { minKeys: 1, maxKeys: 4 }).map((d) => ({ ...d })) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, '') },
);

export const mapOpArb: fc.Arbitrary<MapOp> = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(keyArb, valueArb).map(([key, value]): MapOp => ({ kind: 'set', key, value })) },
  { weight: 4, arbitrary: keyArb.map((key): MapOp => ({ kind: 'delete', key })) },
  { weight: 3, arbitrary: keyArb.map((key): MapOp => ({ kind: 'get', key })) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 300 }), valueArb).map(([start, count, value]): MapOp => ({ kind: 'bulkSet', start, count, value })) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 300 })).map(([start, count]): MapOp => ({ kind: 'bulkDelete', start, count })) },
  { weight: 1, arbitrary: fc.constant<MapOp>({ kind: 'clear' }) },
);

function same(what: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) throw new Error(`${what}: got ${describe(actual)}, expected ${describe(expected)}`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : v));
  return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 120)}...` : text;
}

export const hashMapSubject: Subject<HashMap<Key, unknown>, MapModel, MapOp> = {
  name: 'HashMap',
  create: (ctx) => HashMap.create(ctx),
  open: (ctx, offset) => HashMap.open<Key, unknown>(ctx, offset),
  emptyModel: () => new Map(),
  cloneModel: (model) => new Map(model),
  apply(map, model, op) {
    switch (op.kind) {
      case 'set':
        map.set(op.key, op.value);
        model.set(keyId(op.key), [op.key, op.value]);
        break;
      case 'delete':
        same(`delete(${describe(op.key)})`, map.delete(op.key), model.delete(keyId(op.key)));
        break;
      case 'get': {
        const entry = model.get(keyId(op.key));
        same(`get(${describe(op.key)})`, map.get(op.key), entry?.[1]);
        same(`has(${describe(op.key)})`, map.has(op.key), entry !== undefined);
        break;
      }
      case 'bulkSet':
        for (let k = op.start; k < op.start + op.count; k++) {
          map.set(k, op.value);
          model.set(keyId(k), [k, op.value]);
        }
        break;
      case 'bulkDelete':
        for (let k = op.start; k < op.start + op.count; k++) same(`delete(${k})`, map.delete(k), model.delete(keyId(k)));
        break;
      case 'clear':
        map.clear();
        model.clear();
        break;
    }
    same('size', map.size, model.size);
  },
  compare(map, model) {
    same('size', map.size, model.size);
    // Iteration yields each model entry exactly once: distinct keys, all in the model, as many as it has.
    const seen = new Set<string>();
    for (const [key, value] of map) {
      const id = keyId(key);
      const entry = model.get(id);
      if (entry === undefined) throw new Error(`iteration yields ${describe(key)}, which the model does not hold`);
      if (seen.has(id)) throw new Error(`iteration yields ${describe(key)} twice`);
      seen.add(id);
      same(`value of ${describe(key)} in iteration`, value, entry[1]);
    }
    same('entries iterated', seen.size, model.size);
    // And point lookups agree, on a sample spread over the model.
    const stride = Math.max(1, Math.floor(model.size / 64));
    let k = 0;
    for (const [key, value] of model.values()) if (k++ % stride === 0) same(`get(${describe(key)})`, map.get(key), value);
  },
  verify: (map) => map.verify(),
  destroy: (map) => map.destroy(),
  observe(map) {
    const stats = map.stats();
    if (stats.bucketCount < shape.lastBucketCount) shape.merges++;
    if (stats.bucketCount > shape.lastBucketCount) shape.splits++;
    shape.lastBucketCount = stats.bucketCount;
    shape.bucketCountMax = Math.max(shape.bucketCountMax, stats.bucketCount);
    shape.overflowPageCountMax = Math.max(shape.overflowPageCountMax, stats.overflowPageCount);
    shape.blobCountMax = Math.max(shape.blobCountMax, stats.blobCount);
  },
};

/** Shapes the workloads reached (for assertions that they exercise splits, merges, overflow and blobs). */
export const shape = { lastBucketCount: 1, splits: 0, merges: 0, bucketCountMax: 0, overflowPageCountMax: 0, blobCountMax: 0 };
