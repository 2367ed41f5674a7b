/**
 * The List as a subject of the workload runner (list-hash-map-support.ts):
 * operations as plain data (positions as fractions of the current length),
 * values that exercise inline records and blobs, bulk operations with fat
 * records that make the tree two or three levels deep, cursor walks, and an
 * array model.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { List } from '../src/list/index.js';
import { valueArb } from './hash-map-subject.js';
import type { Subject } from './list-hash-map-support.js';

export type ListOp =
  | { readonly kind: 'push' | 'unshift'; readonly value: unknown }
  | { readonly kind: 'pop' | 'shift' | 'clear' }
  | { readonly kind: 'insert' | 'set'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'remove' | 'at'; readonly at: number }
  | { readonly kind: 'bulkPush' | 'bulkUnshift' | 'bulkInsert'; readonly at: number; readonly count: number; readonly size: number }
  | { readonly kind: 'bulkPop' | 'bulkShift' | 'bulkRemove'; readonly at: number; readonly count: number }
  | { readonly kind: 'cursorWalk'; readonly at: number; readonly stride: number; readonly action: 'remove' | 'insert' | 'set' | 'read' };

const atArb = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export const listOpArb: fc.Arbitrary<ListOp> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('push' as const, 'unshift' as const), valueArb).map(([kind, value]): ListOp => ({ kind, value })) },
  { weight: 4, arbitrary: fc.constantFrom<ListOp>({ kind: 'pop' }, { kind: 'shift' }) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('insert' as const, 'set' as const), atArb, valueArb).map(([kind, at, value]): ListOp => ({ kind, at, value })) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('remove' as const, 'at' as const), atArb).map(([kind, at]): ListOp => ({ kind, at })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('bulkPush' as const, 'bulkUnshift' as const, 'bulkInsert' as const), atArb, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 270 }))
      .map(([kind, at, count, size]): ListOp => ({ kind, at, count, size })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('bulkPop' as const, 'bulkShift' as const, 'bulkRemove' as const), atArb, fc.integer({ min: 1, max: 300 }))
      .map(([kind, at, count]): ListOp => ({ kind, at, count })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(atArb, fc.integer({ min: 1, max: 5 }), fc.constantFrom('remove' as const, 'insert' as const, 'set' as const, 'read' as const))
      .map(([at, stride, action]): ListOp => ({ kind: 'cursorWalk', at, stride, action })),
  },
  { weight: 1, arbitrary: fc.constant<ListOp>({ kind: 'clear' }) },
);

function same(what: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) throw new Error(`${what}: got ${describe(actual)}, expected ${describe(expected)}`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 120)}...` : text;
}

/** A position from a fraction: 0 .. length - 1 (or 0 .. length when `end`). */
function position(at: number, length: number, end: boolean): number {
  return Math.floor(at * (end ? length + 1 : length));
}

/** Bulk values: strings of `size` characters, distinct per element (so misplaced elements are caught). */
function bulkValue(size: number, k: number): string {
  return `${k}:`.padEnd(size, 'b');
}

export const listSubject: Subject<List<unknown>, unknown[], ListOp> = {
  name: 'List',
  create: (ctx) => List.create(ctx),
  open: (ctx, offset) => List.open<unknown>(ctx, offset),
  emptyModel: () => [],
  cloneModel: (model) => [...model],
  apply(list, model, op) {
    switch (op.kind) {
      case 'push':
        same('push', list.push(op.value), model.push(op.value));
        break;
      case 'unshift':
        same('unshift', list.unshift(op.value), model.unshift(op.value));
        break;
      case 'pop':
        same('pop', list.pop(), model.pop());
        break;
      case 'shift':
        same('shift', list.shift(), model.shift());
        break;
      case 'clear':
        list.clear();
        model.length = 0;
        break;
      case 'insert': {
        const index = position(op.at, model.length, true);
        list.insert(index, op.value);
        model.splice(index, 0, op.value);
        break;
      }
      case 'set': {
        if (model.length === 0) return;
        const index = position(op.at, model.length, false);
        list.set(index, op.value);
        model[index] = op.value;
        break;
      }
      case 'remove': {
        if (model.length === 0) return;
        const index = position(op.at, model.length, false);
        same(`remove(${index})`, list.remove(index), model.splice(index, 1)[0]);
        break;
      }
      case 'at': {
        const index = position(op.at, model.length, false);
        same(`at(${index})`, list.at(index), model.at(index));
        same(`at(${-index - 1})`, list.at(-index - 1), model.at(-index - 1));
        same('at(length)', list.at(model.length), undefined);
        break;
      }
      case 'bulkPush':
        for (let k = 0; k < op.count; k++) same('push', list.push(bulkValue(op.size, k)), model.push(bulkValue(op.size, k)));
        break;
      case 'bulkUnshift':
        for (let k = 0; k < op.count; k++) same('unshift', list.unshift(bulkValue(op.size, k)), model.unshift(bulkValue(op.size, k)));
        break;
      case 'bulkInsert': {
        // Insert before the same element over and over: every insertion lands in the middle.
        const index = position(op.at, model.length, true);
        for (let k = 0; k < op.count; k++) {
          list.insert(index + (k >> 1), bulkValue(op.size, k));
          model.splice(index + (k >> 1), 0, bulkValue(op.size, k));
        }
        break;
      }
      case 'bulkPop':
        for (let k = 0; k < op.count; k++) same('pop', list.pop(), model.pop());
        break;
      case 'bulkShift':
        for (let k = 0; k < op.count; k++) same('shift', list.shift(), model.shift());
        break;
      case 'bulkRemove': {
        for (let k = 0; k < op.count && model.length > 0; k++) {
          const index = position(op.at, model.length, false);
          same(`remove(${index})`, list.remove(index), model.splice(index, 1)[0]);
        }
        break;
      }
      case 'cursorWalk': {
        const cursor = list.cursor(position(op.at, model.length, true));
        let index = cursor.index;
        let step = 0;
        while (index < model.length) {
          same(`cursor value at ${index}`, cursor.value, model[index]);
          if (step++ % op.stride === 0 && op.action !== 'read') {
            if (op.action === 'remove') {
              same(`cursor remove at ${index}`, cursor.remove(), model.splice(index, 1)[0]);
              continue;
            }
            if (op.action === 'insert') {
              cursor.insert(`ins-${index}`);
              model.splice(index, 0, `ins-${index}`);
              index++;
            } else {
              cursor.set(`set-${index}`);
              model[index] = `set-${index}`;
            }
          }
          cursor.next();
          index++;
          same('cursor index', cursor.index, index);
        }
        same('cursor past the end', cursor.valid, false);
        break;
      }
    }
    same('length', list.length, model.length);
  },
  compare(list, model) {
    same('length', list.length, model.length);
    same('elements', list.toArray(), model);
  },
  verify: (list) => list.verify(),
  destroy: (list) => list.destroy(),
  observe(list) {
    const stats = list.stats();
    if (stats.height < shape.lastHeight) shape.heightDrops++;
    shape.lastHeight = stats.height;
    shape.heightMax = Math.max(shape.heightMax, stats.height);
    shape.lengthMax = Math.max(shape.lengthMax, stats.length);
    shape.blobCountMax = Math.max(shape.blobCountMax, stats.blobCount);
  },
};

/** Shapes the workloads reached. */
export const shape = { lastHeight: 0, heightMax: 0, heightDrops: 0, lengthMax: 0, blobCountMax: 0 };
