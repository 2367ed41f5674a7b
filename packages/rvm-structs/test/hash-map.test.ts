/**
 * HashMap unit and edge-case tests: basic operations, empty and boundary-size
 * keys and values (and one past each maximum), duplicates, deletes of missing
 * keys, schemas, iterator invalidation, destroy, wrong kinds, corruption,
 * growth of the segment mid-workload, and the bound on what one operation
 * touches (no operation rehashes the table).
 */
import { Buffer } from 'node:buffer';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { encodeKey, type Key, rawCodec, SchemaError } from '../src/codec/index.js';
import { StructError } from '../src/core/struct-error.js';
import { HashMap, KEY_INLINE_MAX, KEY_SIZE_MAX, VALUE_INLINE_MAX, VALUE_SIZE_MAX } from '../src/hash-map/index.js';
import { codeOf, declaredBy, errorOf, World } from './list-hash-map-support.js';

function setup<K extends Key = Key, V = unknown>(options: Parameters<typeof HashMap.open<K, V>>[2] = {}, size = 64 * 1024): { world: World; map: HashMap<K, V> } {
  const world = World.create({ size });
  const offset = world.transaction(() => HashMap.create(world.ctx, options));
  return { world, map: HashMap.open<K, V>(world.ctx, offset, options) };
}

/** A string key whose encoding has exactly `size` bytes (tag, UTF-8, terminator). */
function keyOfSize(size: number): string {
  const key = 'k'.repeat(size - 2);
  expect(encodeKey(key).length).toBe(size);
  return key;
}

describe('HashMap basics', () => {
  it('sets, gets, has, deletes and counts', () => {
    const { world, map } = setup<string, number>();
    expect(map.size).toBe(0);
    expect(map.get('a')).toBeUndefined();
    world.transaction(() => {
      map.set('a', 1).set('b', 2).set('c', 3);
    });
    expect(map.size).toBe(3);
    expect(map.get('b')).toBe(2);
    expect(map.has('c')).toBe(true);
    expect(map.has('d')).toBe(false);
    world.transaction(() => {
      expect(map.delete('b')).toBe(true);
      expect(map.delete('b')).toBe(false);
    });
    expect(map.size).toBe(2);
    expect([...map.keys()].sort()).toEqual(['a', 'c']);
    expect([...map.values()].sort()).toEqual([1, 3]);
    map.verify();
  });

  it('keeps keys of different types apart (1, 1n, "1", [1], true, null)', () => {
    const { world, map } = setup();
    const keys: Key[] = [1, 1n, '1', [1], true, null, new Uint8Array([1])];
    world.transaction(() => keys.forEach((key, i) => map.set(key, i)));
    expect(map.size).toBe(keys.length);
    keys.forEach((key, i) => expect(map.get(key)).toBe(i));
    map.verify();
  });

  it('stores empty keys and empty values', () => {
    const { world, map } = setup<Key, Uint8Array>({ codec: rawCodec() });
    const empties: Key[] = ['', [], new Uint8Array(0), null, false];
    world.transaction(() => empties.forEach((key) => map.set(key, new Uint8Array(0))));
    expect(map.size).toBe(empties.length);
    for (const key of empties) expect(Uint8Array.from(map.get(key)!)).toEqual(new Uint8Array(0));
    world.transaction(() => expect(map.delete('')).toBe(true));
    expect(map.has('')).toBe(false);
    expect(map.has([])).toBe(true);
    map.verify();
  });

  it('replaces the value of an existing key, across inline and blob sizes', () => {
    const { world, map } = setup<string, string>();
    const sizes = [0, 5, 5, 190, 400, 3, 3000, 3000, 10, 191];
    for (const size of sizes) {
      world.transaction(() => {
        map.set('key', 'x'.repeat(size));
        map.set(`other-${size}`, 'y');
      });
      expect(map.get('key')).toBe('x'.repeat(size));
      map.verify();
      world.checkHeap();
    }
    expect(map.size).toBe(1 + new Set(sizes).size);
  });

  it('requires a transaction for mutations but not for reads', () => {
    const { map } = setup();
    expect(codeOf(() => map.set('a', 1))).toBe('NO_TRANSACTION');
    expect(codeOf(() => map.delete('a'))).toBe('NO_TRANSACTION');
    expect(codeOf(() => map.clear())).toBe('NO_TRANSACTION');
    expect(map.get('a')).toBeUndefined();
  });

  it('deleting a missing key writes nothing', () => {
    const { world, map } = setup();
    world.transaction(() => map.set('present', 1));
    const before = Buffer.from(world.segment.bytes);
    world.transaction(() => {
      expect(map.delete('absent')).toBe(false);
      expect(map.delete(12345)).toBe(false);
    });
    expect(Buffer.compare(before, world.segment.bytes)).toBe(0);
  });

  it('clear empties the map and frees its blocks but one page', () => {
    const { world, map } = setup<number, string>();
    const allocatedEmpty = world.heap.stats().allocatedSize;
    world.transaction(() => {
      for (let i = 0; i < 3000; i++) map.set(i, i % 7 === 0 ? 'z'.repeat(300) : 'v');
    });
    expect(map.stats().bucketCount).toBeGreaterThan(64);
    world.transaction(() => map.clear());
    expect(map.size).toBe(0);
    expect([...map]).toEqual([]);
    expect(map.stats().bucketCount).toBe(1);
    expect(world.heap.stats().allocatedSize).toBe(allocatedEmpty);
    world.transaction(() => map.set(1, 'again'));
    expect(map.get(1)).toBe('again');
    map.verify();
  });
});

describe('HashMap sizes', () => {
  it('keeps keys up to KEY_INLINE_MAX inline and longer ones in blobs', () => {
    const { world, map } = setup();
    world.transaction(() => {
      map.set(keyOfSize(KEY_INLINE_MAX), 'inline');
      map.set(keyOfSize(KEY_INLINE_MAX + 1), 'blob');
    });
    expect(map.stats().blobCount).toBe(1);
    expect(map.get(keyOfSize(KEY_INLINE_MAX))).toBe('inline');
    expect(map.get(keyOfSize(KEY_INLINE_MAX + 1))).toBe('blob');
    map.verify();
  });

  it('accepts a key of KEY_SIZE_MAX bytes and refuses one more, writing nothing', () => {
    const { world, map } = setup();
    world.transaction(() => map.set(keyOfSize(KEY_SIZE_MAX), 1));
    expect(map.get(keyOfSize(KEY_SIZE_MAX))).toBe(1);
    const before = Buffer.from(world.segment.bytes);
    world.begin();
    const error = errorOf(() => map.set(keyOfSize(KEY_SIZE_MAX + 1), 2));
    expect(error).toBeInstanceOf(StructError);
    expect(error.code).toBe('KEY_TOO_LARGE');
    expect(error.details).toMatchObject({ size: KEY_SIZE_MAX + 1, sizeMax: KEY_SIZE_MAX });
    expect(codeOf(() => map.get(keyOfSize(KEY_SIZE_MAX + 1)))).toBe('KEY_TOO_LARGE');
    world.commit();
    expect(Buffer.compare(before, world.segment.bytes)).toBe(0);
  });

  it('keeps values up to VALUE_INLINE_MAX inline and longer ones in blobs', () => {
    const { world, map } = setup<string, Uint8Array>({ codec: rawCodec() });
    world.transaction(() => {
      map.set('inline', new Uint8Array(VALUE_INLINE_MAX).fill(1));
      map.set('blob', new Uint8Array(VALUE_INLINE_MAX + 1).fill(2));
    });
    expect(map.stats().blobCount).toBe(1);
    expect(Uint8Array.from(map.get('inline')!)).toEqual(new Uint8Array(VALUE_INLINE_MAX).fill(1));
    expect(Uint8Array.from(map.get('blob')!)).toEqual(new Uint8Array(VALUE_INLINE_MAX + 1).fill(2));
  });

  it('accepts a value of VALUE_SIZE_MAX bytes and refuses one more, writing nothing', () => {
    const { world, map } = setup<string, Uint8Array>({ codec: rawCodec() });
    const largest = new Uint8Array(VALUE_SIZE_MAX).fill(7);
    world.transaction(() => map.set('largest', largest));
    expect(Buffer.compare(map.get('largest')!, largest)).toBe(0);
    const before = Buffer.from(world.segment.bytes);
    world.begin();
    const error = errorOf(() => map.set('too large', new Uint8Array(VALUE_SIZE_MAX + 1)));
    expect(error.code).toBe('VALUE_TOO_LARGE');
    expect(error.details).toMatchObject({ size: VALUE_SIZE_MAX + 1, sizeMax: VALUE_SIZE_MAX });
    world.commit();
    expect(Buffer.compare(before, world.segment.bytes)).toBe(0);
    map.verify();
  });

  it('refuses a value that is not a key with INVALID_KEY', () => {
    const { world, map } = setup();
    world.begin();
    expect(codeOf(() => map.set({} as unknown as Key, 1))).toBe('INVALID_KEY');
    expect(codeOf(() => map.set(Number.NaN, 1))).toBe('INVALID_KEY');
    world.abort();
  });
});

describe('HashMap schemas', () => {
  const User = z.object({ name: z.string().min(1), age: z.number().int().nonnegative() });

  it('infers the value type from the schema', () => {
    const { map } = setup({ schema: User });
    expectTypeOf(map.get('x')).toEqualTypeOf<{ name: string; age: number } | undefined>();
  });

  it('refuses an invalid value with the schema issues and writes nothing', () => {
    const { world, map } = setup<string, z.infer<typeof User>>({ schema: User });
    world.transaction(() => map.set('ada', { name: 'Ada', age: 36 }));
    const before = Buffer.from(world.segment.bytes);
    world.begin();
    const error = errorOf(() => map.set('bad', { name: '', age: -1 }));
    expect(error).toBeInstanceOf(SchemaError);
    expect(error.code).toBe('SCHEMA_INVALID');
    expect((error as SchemaError).issues.map((issue) => issue.path.join('.')).sort()).toEqual(['age', 'name']);
    // Replacing an existing key with an invalid value is refused too.
    expect(codeOf(() => map.set('ada', { name: 'Ada', age: 1.5 }))).toBe('SCHEMA_INVALID');
    world.commit();
    expect(Buffer.compare(before, world.segment.bytes)).toBe(0);
    expect(map.get('ada')).toEqual({ name: 'Ada', age: 36 });
    expect(map.size).toBe(1);
  });
});

describe('HashMap iterators', () => {
  function filled(count: number): { world: World; map: HashMap<number, number> } {
    const { world, map } = setup<number, number>();
    world.transaction(() => {
      for (let i = 0; i < count; i++) map.set(i, i * 10);
    });
    return { world, map };
  }

  it('throw ITERATOR_INVALIDATED after a mutation of the map', () => {
    const { world, map } = filled(100);
    const iterator = map.entries();
    iterator.next();
    world.begin();
    map.set(1000, 1);
    expect(codeOf(() => iterator.next())).toBe('ITERATOR_INVALIDATED');
    world.abort();
    // A for-of that mutates the map as it goes stops at the next step.
    world.begin();
    expect(
      codeOf(() => {
        for (const [key] of map) map.delete(key);
      }),
    ).toBe('ITERATOR_INVALIDATED');
    world.abort();
  });

  it('created outside a transaction, keep working across transactions that leave the map as it was', () => {
    const { world, map } = filled(200);
    const iterator = map.keys();
    const seen: number[] = [];
    for (let k = 0; k < 50; k++) seen.push(iterator.next().value as number);
    // A transaction that changes the map and aborts, and one that commits without touching it.
    world.begin();
    for (let i = 0; i < 500; i++) map.set(10_000 + i, i);
    world.abort();
    world.transaction(() => world.ctx.alloc(64));
    for (let r = iterator.next(); r.done !== true; r = iterator.next()) seen.push(r.value);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('created outside a transaction, throw after a committed change', () => {
    const { world, map } = filled(20);
    const iterator = map.values();
    iterator.next();
    world.transaction(() => map.delete(3));
    expect(codeOf(() => iterator.next())).toBe('ITERATOR_INVALIDATED');
  });

  it('created inside a transaction, keep working through segment growth and throw once it ends', () => {
    const { world, map } = setup<number, number>({}, 16 * 1024);
    world.transaction(() => {
      for (let i = 0; i < 50; i++) map.set(i, i);
    });
    world.begin();
    const iterator = map.keys();
    const first = iterator.next().value as number;
    const size = world.segment.size;
    world.ctx.alloc(200_000);
    expect(world.segment.size).toBeGreaterThan(size);
    const seen = [first];
    for (let k = 0; k < 10; k++) seen.push(iterator.next().value as number);
    expect(new Set(seen).size).toBe(11);
    world.commit();
    expect(codeOf(() => iterator.next())).toBe('ITERATOR_INVALIDATED');
  });

  it('throw after the store closed or the map was destroyed', () => {
    const { world, map } = filled(10);
    const iterator = map.entries();
    iterator.next();
    world.rvm.close();
    const error = errorOf(() => iterator.next());
    expect(error.code).toBe('ITERATOR_INVALIDATED');
    expect(error.details).toMatchObject({ closed: true });

    const other = filled(10);
    const iterator2 = other.map.keys();
    other.world.transaction(() => other.map.destroy());
    expect(codeOf(() => iterator2.next())).toBe('ITERATOR_INVALIDATED');
  });
});

describe('HashMap lifecycle', () => {
  it('destroy frees every block it allocated', () => {
    const world = World.create();
    const allocated = world.heap.stats().allocatedSize;
    const offset = world.transaction(() => HashMap.create(world.ctx));
    const map = HashMap.open<number, string>(world.ctx, offset);
    world.transaction(() => {
      for (let i = 0; i < 2000; i++) map.set(i, i % 5 === 0 ? 'b'.repeat(500) : 's');
      map.set('k'.repeat(200) as unknown as number, 'long key');
    });
    expect(map.stats().overflowPageCount + map.stats().bucketCount).toBeGreaterThan(50);
    world.transaction(() => map.destroy());
    expect(world.heap.stats().allocatedSize).toBe(allocated);
    world.checkHeap();
    expect(codeOf(() => map.get(1))).toBe('NOT_FOUND');
  });

  it('open refuses a block that is not a HashMap with WRONG_KIND', () => {
    const world = World.create();
    const other = world.transaction(() => {
      const offset = world.ctx.alloc(256);
      world.ctx.fill(offset, 256, 0x41);
      return offset;
    });
    expect(codeOf(() => HashMap.open(world.ctx, other))).toBe('WRONG_KIND');
    expect(codeOf(() => HashMap.open(world.ctx, 3))).toBe('INVALID_ARGUMENT');
  });

  it('create refuses a bad hashSeed', () => {
    const world = World.create();
    world.begin();
    expect(codeOf(() => HashMap.create(world.ctx, { hashSeed: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => HashMap.create(world.ctx, { hashSeed: 2 ** 32 }))).toBe('INVALID_ARGUMENT');
    world.abort();
  });

  it('is found again after a reopen', () => {
    const world = World.create();
    const offset = world.transaction(() => {
      const header = HashMap.create(world.ctx);
      world.heap.setRoot(world.tx!, 'users', header);
      HashMap.open<string, string>(world.ctx, header).set('ada', 'lovelace');
      return header;
    });
    const again = world.reopen();
    expect(again.heap.getRoot('users')).toBe(offset);
    const map = HashMap.open<string, string>(again.ctx, offset);
    expect(map.get('ada')).toBe('lovelace');
    map.verify();
  });

  it('verify reports damage as STRUCT_CORRUPT with its offset', () => {
    const { world, map } = setup<number, number>();
    world.transaction(() => {
      for (let i = 0; i < 10; i++) map.set(i, i);
    });
    // Flip one byte of a record's hash (declared, so the damage is a committed state).
    const page = world.segment.bytes.readUInt32LE(world.segment.bytes.readUInt32LE(map.headerOffset + 32));
    world.transaction(() => world.ctx.writeU8(page + 8, world.segment.bytes[page + 8]! ^ 1));
    const error = errorOf(() => map.verify());
    expect(error.code).toBe('STRUCT_CORRUPT');
    expect(error.details).toMatchObject({ structure: 'HashMap', offset: page + 8 });
  });
});

describe('HashMap growth', () => {
  it('a set of an existing key to a value of the same size declares only the bytes that change', () => {
    const { world, map } = setup<string, { id: number; score: number }>();
    world.transaction(() => {
      for (let i = 0; i < 50; i++) map.set(`key-${i}`, { id: i, score: 1000 + i });
    });
    const declared = declaredBy(world);
    // Every set writes the header's counters (12 bytes); score is a u16 in MessagePack, whose two
    // bytes are all of the record that differ.
    world.transaction(() => map.set('key-20', { id: 20, score: 1999 }));
    expect(declared.size).toBeGreaterThan(12);
    expect(declared.size).toBeLessThanOrEqual(12 + 2);
    declared.reset();
    world.transaction(() => map.set('key-20', { id: 20, score: 1999 }));
    expect(declared.size).toBe(12);
    expect(map.get('key-20')).toEqual({ id: 20, score: 1999 });
    map.verify();
  });

  it('grows the segment mid-workload and touches a bounded number of bytes per operation', () => {
    const { world, map } = setup<number, string>({}, 16 * 1024);
    const declared = declaredBy(world);
    let declaredMax = 0;
    const sizes = new Set<number>();
    const count = 20_000;
    world.transaction(() => {
      for (let i = 0; i < count; i++) {
        declared.reset();
        map.set(i, `value ${i}`);
        declaredMax = Math.max(declaredMax, declared.size);
        sizes.add(world.segment.size);
      }
    });
    const stats = map.stats();
    expect(stats.bucketCount).toBeGreaterThan(500);
    expect(sizes.size).toBeGreaterThan(3);
    // A split rewrites one chain (a few pages), never the table.
    expect(declaredMax).toBeLessThan(4 * 1024);
    declaredMax = 0;
    world.transaction(() => {
      for (let i = 0; i < count; i++) {
        declared.reset();
        expect(map.delete(i)).toBe(true);
        declaredMax = Math.max(declaredMax, declared.size);
      }
    });
    expect(declaredMax).toBeLessThan(4 * 1024);
    expect(map.size).toBe(0);
    expect(map.stats().bucketCount).toBeLessThan(4);
    map.verify();
    world.checkHeap();
  });
});
