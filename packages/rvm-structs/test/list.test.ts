/**
 * List unit and edge-case tests: Array semantics of the operations, positions
 * out of range, empty and boundary-size elements (and one past the maximum),
 * duplicates, schemas, a tree three levels deep built and torn down, node
 * fill, the bound on what one operation touches, cursors and iterators and
 * when they throw, destroy, clear, wrong kinds, corruption, and segment
 * growth mid-workload.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { rawCodec, SchemaError } from '../src/codec/index.js';
import { HashMap } from '../src/hash-map/index.js';
import { ELEMENT_INLINE_MAX, ELEMENT_SIZE_MAX, List } from '../src/list/index.js';
import { codeOf, declaredBy, errorOf, World } from './list-hash-map-support.js';

function setup<V = unknown>(options: Parameters<typeof List.open<V>>[2] = {}, size = 64 * 1024): { world: World; list: List<V> } {
  const world = World.create({ size });
  const offset = world.transaction(() => List.create(world.ctx, options));
  return { world, list: List.open<V>(world.ctx, offset, options) };
}

describe('List basics', () => {
  it('follows Array semantics for push, pop, shift, unshift and at', () => {
    const { world, list } = setup<number>();
    world.transaction(() => {
      expect(list.pop()).toBeUndefined();
      expect(list.shift()).toBeUndefined();
      expect(list.push(2)).toBe(1);
      expect(list.push(3)).toBe(2);
      expect(list.unshift(1)).toBe(3);
    });
    expect(list.length).toBe(3);
    expect([list.at(0), list.at(1), list.at(2), list.at(3)]).toEqual([1, 2, 3, undefined]);
    expect([list.at(-1), list.at(-3), list.at(-4)]).toEqual([3, 1, undefined]);
    world.transaction(() => {
      expect(list.pop()).toBe(3);
      expect(list.shift()).toBe(1);
    });
    expect(list.toArray()).toEqual([2]);
    list.verify();
  });

  it('inserts, removes and replaces at positions', () => {
    const { world, list } = setup<string>();
    world.transaction(() => {
      list.insert(0, 'b');
      list.insert(0, 'a');
      list.insert(2, 'd');
      list.insert(2, 'c');
      expect(list.remove(1)).toBe('b');
      list.set(0, 'A');
    });
    expect([...list]).toEqual(['A', 'c', 'd']);
  });

  it('set declares only the bytes of the record that change: a changed field, none for the same value', () => {
    const { world, list } = setup<{ id: number; score: number }>();
    world.transaction(() => {
      for (let i = 0; i < 50; i++) list.push({ id: i, score: 1000 + i });
    });
    const declared = declaredBy(world);
    // Every set writes the list's length and changeCount (8 bytes).
    world.transaction(() => list.set(20, { id: 20, score: 1999 }));
    // score is a u16 in MessagePack: its two bytes are all of the record that differ; the records after it stay.
    expect(declared.size).toBeGreaterThan(8);
    expect(declared.size).toBeLessThanOrEqual(8 + 2);
    declared.reset();
    world.transaction(() => list.set(20, { id: 20, score: 1999 }));
    expect(declared.size).toBe(8);
    expect(list.at(20)).toEqual({ id: 20, score: 1999 });
    expect(list.at(21)).toEqual({ id: 21, score: 1021 });
    list.verify();
  });

  it('refuses positions out of range with INDEX_OUT_OF_RANGE and non-integers with INVALID_ARGUMENT', () => {
    const { world, list } = setup<number>();
    world.begin();
    list.push(1);
    expect(codeOf(() => list.insert(-1, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => list.insert(2, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => list.remove(1))).toBe('INDEX_OUT_OF_RANGE');
    expect(codeOf(() => list.set(1, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(errorOf(() => list.remove(-1)).details).toMatchObject({ index: -1, length: 1 });
    expect(codeOf(() => list.at(0.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => list.cursor(2))).toBe('INDEX_OUT_OF_RANGE');
    world.commit();
    expect(list.toArray()).toEqual([1]);
  });

  it('requires a transaction for mutations but not for reads', () => {
    const { list } = setup<number>();
    for (const mutation of [() => list.push(1), () => list.unshift(1), () => list.pop(), () => list.shift(), () => list.insert(0, 1), () => list.clear()]) {
      expect(codeOf(mutation)).toBe('NO_TRANSACTION');
    }
    expect(list.at(0)).toBeUndefined();
    expect(list.length).toBe(0);
  });

  it('stores empty and duplicate elements', () => {
    const { world, list } = setup<Uint8Array>({ codec: rawCodec() });
    world.transaction(() => {
      for (let i = 0; i < 1000; i++) list.push(new Uint8Array(0));
      list.push(new Uint8Array([1]));
    });
    expect(list.length).toBe(1001);
    expect(Uint8Array.from(list.at(500)!)).toEqual(new Uint8Array(0));
    expect(Uint8Array.from(list.at(-1)!)).toEqual(new Uint8Array([1]));
    list.verify();
  });
});

describe('List sizes', () => {
  it('keeps elements up to ELEMENT_INLINE_MAX inline and larger ones in blobs', () => {
    const { world, list } = setup<Uint8Array>({ codec: rawCodec() });
    world.transaction(() => {
      list.push(new Uint8Array(ELEMENT_INLINE_MAX).fill(1));
      list.push(new Uint8Array(ELEMENT_INLINE_MAX + 1).fill(2));
    });
    expect(list.stats().blobCount).toBe(1);
    expect(Uint8Array.from(list.at(0)!)).toEqual(new Uint8Array(ELEMENT_INLINE_MAX).fill(1));
    expect(Uint8Array.from(list.at(1)!)).toEqual(new Uint8Array(ELEMENT_INLINE_MAX + 1).fill(2));
    world.transaction(() => list.set(0, new Uint8Array(5000).fill(3)));
    world.transaction(() => list.set(1, new Uint8Array(3).fill(4)));
    expect(list.stats().blobCount).toBe(1);
    expect(list.toArray().map((bytes) => Uint8Array.from(bytes))).toEqual([new Uint8Array(5000).fill(3), new Uint8Array(3).fill(4)]);
    list.verify();
    world.checkHeap();
  });

  it('accepts an element of ELEMENT_SIZE_MAX bytes and refuses one more, writing nothing', () => {
    const { world, list } = setup<Uint8Array>({ codec: rawCodec() });
    const largest = new Uint8Array(ELEMENT_SIZE_MAX).fill(9);
    world.transaction(() => list.push(largest));
    expect(Buffer.compare(list.at(0)!, largest)).toBe(0);
    const before = Buffer.from(world.segment.bytes);
    world.begin();
    const error = errorOf(() => list.push(new Uint8Array(ELEMENT_SIZE_MAX + 1)));
    expect(error.code).toBe('VALUE_TOO_LARGE');
    expect(error.details).toMatchObject({ size: ELEMENT_SIZE_MAX + 1, sizeMax: ELEMENT_SIZE_MAX });
    expect(codeOf(() => list.set(0, new Uint8Array(ELEMENT_SIZE_MAX + 1)))).toBe('VALUE_TOO_LARGE');
    world.commit();
    expect(Buffer.compare(before, world.segment.bytes)).toBe(0);
    list.verify();
  });
});

describe('List schemas', () => {
  const Point = z.object({ x: z.number(), y: z.number() });

  it('infers the element type from the schema', () => {
    const { list } = setup({ schema: Point });
    expectTypeOf(list.at(0)).toEqualTypeOf<{ x: number; y: number } | undefined>();
  });

  it('refuses an invalid element with the schema issues and writes nothing', () => {
    const { world, list } = setup<z.infer<typeof Point>>({ schema: Point });
    world.transaction(() => list.push({ x: 1, y: 2 }));
    const before = Buffer.from(world.segment.bytes);
    world.begin();
    const invalid = { x: 'one', y: 2 } as unknown as z.infer<typeof Point>;
    const error = errorOf(() => list.push(invalid));
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).issues[0]!.path).toEqual(['x']);
    expect(codeOf(() => list.unshift(invalid))).toBe('SCHEMA_INVALID');
    expect(codeOf(() => list.set(0, invalid))).toBe('SCHEMA_INVALID');
    expect(codeOf(() => list.cursor(0).insert(invalid))).toBe('SCHEMA_INVALID');
    world.commit();
    expect(Buffer.compare(before, world.segment.bytes)).toBe(0);
    expect(list.toArray()).toEqual([{ x: 1, y: 2 }]);
  });
});

describe('List tree shape', () => {
  it('grows three levels deep and shrinks back to a leaf, verifying along the way', () => {
    const { world, list } = setup<string>({}, 16 * 1024);
    const model: string[] = [];
    const fat = (k: number): string => `${k}:`.padEnd(240, 'f');
    world.transaction(() => {
      for (let k = 0; k < 17_000; k++) {
        list.push(fat(k));
        model.push(fat(k));
      }
    });
    let stats = list.stats();
    expect(stats.height).toBe(3);
    expect(stats.leafFill).toBeGreaterThan(0.9);
    world.transaction(() => {
      for (let k = 0; k < 16_990; k++) {
        const index = (k * 7919) % model.length;
        if (list.remove(index) !== model.splice(index, 1)[0]) throw new Error(`remove(${index}) returned another element`);
        if (k % 5000 === 0) list.verify();
      }
    });
    stats = list.stats();
    // Ten elements of 243-byte records need three leaves: one level above them.
    expect(stats.height).toBe(1);
    expect(list.toArray()).toEqual(model);
    world.transaction(() => {
      while (model.length > 0) expect(list.shift()).toBe(model.shift());
    });
    expect(list.stats()).toMatchObject({ height: 0, length: 0, leafCount: 1 });
    world.checkHeap();
  });

  it('keeps leaves full when built by unshift and at least half full when built by middle inserts', () => {
    const front = setup<number>();
    front.world.transaction(() => {
      for (let k = 0; k < 5000; k++) front.list.unshift(k);
    });
    expect(front.list.stats().leafFill).toBeGreaterThan(0.9);
    expect(front.list.at(0)).toBe(4999);
    const middle = setup<number>();
    middle.world.transaction(() => {
      for (let k = 0; k < 5000; k++) middle.list.insert(k >> 1, k);
    });
    expect(middle.list.stats().leafFill).toBeGreaterThan(0.5);
    middle.list.verify();
  });

  it('writes a few bytes per shift and unshift, not a leaf (a queue, a stack at the front)', () => {
    const { world, list } = setup<number>();
    world.transaction(() => {
      for (let k = 0; k < 20_000; k++) list.push(k);
    });
    const declared = declaredBy(world);
    world.transaction(() => {
      for (let k = 0; k < 20_000; k++) {
        if (list.shift() !== k) throw new Error(`shift did not return ${k}`);
        list.push(20_000 + k);
      }
    });
    // A shift writes the leaf header, one count per level and the list header; a push its record too.
    // Splits and merges, once per leaf, add a leaf each.
    expect(declared.size / 20_000).toBeLessThan(120);
    declared.reset();
    world.transaction(() => {
      for (let k = 0; k < 20_000; k++) list.unshift(-k);
    });
    expect(declared.size / 20_000).toBeLessThan(80);
    expect(list.at(0)).toBe(-19_999);
    expect(list.at(20_000)).toBe(20_000);
    expect(list.stats().leafFill).toBeGreaterThan(0.9);
    list.verify();
  });

  it('touches a bounded number of bytes per operation and grows the segment mid-workload', () => {
    const { world, list } = setup<number>({}, 16 * 1024);
    const declared = declaredBy(world);
    let declaredMax = 0;
    const sizes = new Set<number>();
    world.transaction(() => {
      for (let k = 0; k < 60_000; k++) {
        declared.reset();
        if (k % 3 === 0) list.insert(Math.floor(list.length / 2), k);
        else if (k % 3 === 1) list.push(k);
        else list.unshift(k);
        declaredMax = Math.max(declaredMax, declared.size);
        sizes.add(world.segment.size);
      }
      for (let k = 0; k < 30_000; k++) {
        declared.reset();
        if (k % 3 === 0) list.remove(Math.floor(list.length / 3));
        else if (k % 3 === 1) list.pop();
        else list.shift();
        declaredMax = Math.max(declaredMax, declared.size);
      }
    });
    expect(list.stats().height).toBeGreaterThanOrEqual(2);
    expect(sizes.size).toBeGreaterThan(3);
    // A split rewrites a leaf and a few internal nodes at most; never more than a path.
    expect(declaredMax).toBeLessThan(8 * 1024);
    list.verify();
  });
});

describe('List cursors and iterators', () => {
  function filled(count: number): { world: World; list: List<number> } {
    const { world, list } = setup<number>();
    world.transaction(() => {
      for (let k = 0; k < count; k++) list.push(k);
    });
    return { world, list };
  }

  it('walk both ways and edit where they stand', () => {
    const { world, list } = filled(1000);
    const cursor = list.cursor(10);
    expect(cursor.value).toBe(10);
    expect(cursor.prev()).toBe(true);
    expect(cursor.value).toBe(9);
    world.transaction(() => {
      expect(cursor.remove()).toBe(9);
      expect(cursor.value).toBe(10);
      cursor.insert(-1);
      expect(cursor.index).toBe(10);
      expect(cursor.value).toBe(10);
      cursor.set(100);
      cursor.seek(list.length);
      expect(cursor.valid).toBe(false);
      expect(codeOf(() => cursor.value)).toBe('INDEX_OUT_OF_RANGE');
      expect(codeOf(() => cursor.remove())).toBe('INDEX_OUT_OF_RANGE');
      cursor.insert(1000);
    });
    const expected = Array.from({ length: 1000 }, (_, k) => k);
    expected.splice(9, 2, -1, 100);
    expected.push(1000);
    expect(list.toArray()).toEqual(expected);
    const start = list.cursor(0);
    expect(start.prev()).toBe(false);
    list.verify();
  });

  it('throw ITERATOR_INVALIDATED after a change made other than through them, until seek', () => {
    const { world, list } = filled(100);
    const cursor = list.cursor(50);
    const other = list.cursor(0);
    world.begin();
    other.insert(-1);
    expect(codeOf(() => cursor.value)).toBe('ITERATOR_INVALIDATED');
    expect(codeOf(() => cursor.next())).toBe('ITERATOR_INVALIDATED');
    cursor.seek(51);
    expect(cursor.value).toBe(50);
    world.commit();
    // A for-of that mutates the list as it goes stops at the next step.
    world.begin();
    expect(
      codeOf(() => {
        for (const value of list) if (value === 3) list.push(0);
      }),
    ).toBe('ITERATOR_INVALIDATED');
    world.abort();
  });

  it('created outside a transaction, survive an aborted change and unrelated commits', () => {
    const { world, list } = filled(3000);
    const iterator = list.values();
    const seen: number[] = [];
    for (let k = 0; k < 1000; k++) seen.push(iterator.next().value as number);
    world.begin();
    for (let k = 0; k < 500; k++) list.unshift(k);
    world.abort();
    world.transaction(() => world.ctx.alloc(64));
    for (const value of iterator) seen.push(value);
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, k) => k));
  });

  it('created inside a transaction, survive segment growth and throw once it ends', () => {
    const { world, list } = setup<number>({}, 16 * 1024);
    world.transaction(() => {
      for (let k = 0; k < 100; k++) list.push(k);
    });
    world.begin();
    const cursor = list.cursor(5);
    const size = world.segment.size;
    world.ctx.alloc(300_000);
    expect(world.segment.size).toBeGreaterThan(size);
    expect(cursor.value).toBe(5);
    world.commit();
    expect(codeOf(() => cursor.value)).toBe('ITERATOR_INVALIDATED');
  });

  it('throw after the store closed or the list was destroyed', () => {
    const { world, list } = filled(10);
    const iterator = list.values();
    iterator.next();
    world.rvm.close();
    expect(errorOf(() => iterator.next()).details).toMatchObject({ closed: true });
    const other = filled(10);
    const cursor = other.list.cursor(3);
    other.world.transaction(() => other.list.destroy());
    expect(codeOf(() => cursor.value)).toBe('ITERATOR_INVALIDATED');
  });
});

describe('List lifecycle', () => {
  it('destroy frees every block it allocated; clear all but one leaf', () => {
    const world = World.create();
    const allocated = world.heap.stats().allocatedSize;
    const offset = world.transaction(() => List.create(world.ctx));
    const list = List.open<string>(world.ctx, offset);
    const allocatedEmpty = world.heap.stats().allocatedSize;
    world.transaction(() => {
      for (let k = 0; k < 5000; k++) list.push(k % 10 === 0 ? 'b'.repeat(400) : `${k}`);
    });
    world.transaction(() => list.clear());
    expect(list.length).toBe(0);
    expect(list.stats().height).toBe(0);
    expect(world.heap.stats().allocatedSize).toBe(allocatedEmpty);
    world.transaction(() => {
      for (let k = 0; k < 5000; k++) list.unshift('x'.repeat(k % 300));
    });
    world.transaction(() => list.destroy());
    expect(world.heap.stats().allocatedSize).toBe(allocated);
    world.checkHeap();
    expect(codeOf(() => list.length)).toBe('NOT_FOUND');
  });

  it('open refuses another kind with WRONG_KIND, and HashMap refuses a List', () => {
    const world = World.create();
    const [map, list] = world.transaction(() => [HashMap.create(world.ctx), List.create(world.ctx)] as const);
    expect(codeOf(() => List.open(world.ctx, map))).toBe('WRONG_KIND');
    expect(codeOf(() => HashMap.open(world.ctx, list))).toBe('WRONG_KIND');
    expect(codeOf(() => List.open(world.ctx, -8))).toBe('INVALID_ARGUMENT');
  });

  it('is found again after a reopen', () => {
    const world = World.create();
    world.transaction(() => {
      const header = List.create(world.ctx);
      world.heap.setRoot(world.tx!, 'queue', header);
      List.open<string>(world.ctx, header).push('first');
    });
    const again = world.reopen();
    const list = List.open<string>(again.ctx, again.heap.getRoot('queue'));
    expect(list.toArray()).toEqual(['first']);
  });

  it('verify reports damage as STRUCT_CORRUPT with its offset', () => {
    const { world, list } = setup<number>();
    world.transaction(() => {
      for (let k = 0; k < 2000; k++) list.push(k);
    });
    // Raise one entry count in the root (declared, so the damage is a committed state).
    const root = world.segment.bytes.readUInt32LE(list.headerOffset + 8);
    const entryCount = root + 8 + 4;
    world.transaction(() => world.ctx.writeU32(entryCount, world.segment.bytes.readUInt32LE(entryCount) + 1));
    const error = errorOf(() => list.verify());
    expect(error.code).toBe('STRUCT_CORRUPT');
    expect(error.details).toMatchObject({ structure: 'List', offset: entryCount });
  });
});
