/**
 * BTree edge cases and rules the laws (btree-laws.test.ts) do not single out:
 * sizes at and past their limits, empty and duplicate keys, refusals that
 * write nothing, iterators across mutations and transactions, bulk loading,
 * deletion down to an empty tree, OUT_OF_SPACE in a split, and the node format.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { BTREE_VALUE_SIZE_MAX, BTree, keySizeMaxFor } from '../src/btree/index.js';
import { encodeKey, msgpackCodec, rawCodec, SchemaError, type Key } from '../src/codec/index.js';
import { descend, Path } from '../src/btree/path.js';
import { codeOf, errorOf, openStore, snapshot } from './btree-support.js';

/** A string key whose encoding has exactly `size` bytes (tag, UTF-8, terminator). */
function keyOfSize(size: number): string {
  const key = 'k'.repeat(size - 2);
  expect(encodeKey(key).length).toBe(size);
  return key;
}

describe('BTree keys and values', () => {
  it('takes empty keys of every kind and orders them with the rest', () => {
    const { store } = openStore();
    const tree = store.btree<Key, number>('t', { nodeSize: 512 });
    const keys: Key[] = ['', new Uint8Array(0), [], 'a', null, 0];
    store.transaction(() => keys.forEach((key, i) => tree.put(key, i)));
    expect(tree.get('')).toBe(0);
    expect(tree.get(new Uint8Array(0))).toBe(1);
    expect(tree.get([])).toBe(2);
    expect([...tree.keys()]).toEqual([null, 0, '', 'a', new Uint8Array(0), []]);
    store.transaction(() => expect(tree.delete('')).toBe(true));
    expect(tree.has('')).toBe(false);
    tree.verify();
  });

  it('accepts a key of keySizeMax encoded bytes and refuses one more, writing nothing', () => {
    for (const nodeSize of [512, 4096]) {
      const { store } = openStore();
      const tree = store.btree<string, number>('t', { nodeSize });
      expect(tree.keySizeMax).toBe(keySizeMaxFor(nodeSize));
      const largest = keyOfSize(tree.keySizeMax);
      store.transaction(() => {
        for (let i = 0; i < 40; i++) tree.put(`${largest.slice(0, -3)}${String(i).padStart(3, '0')}`, i);
      });
      expect(tree.get(`${largest.slice(0, -3)}007`)).toBe(7);
      const before = snapshot(store);
      const error = errorOf(() => store.transaction(() => tree.put(keyOfSize(tree.keySizeMax + 1), 1)));
      expect(error.code).toBe('KEY_TOO_LARGE');
      expect(error.details).toMatchObject({ size: tree.keySizeMax + 1, sizeMax: tree.keySizeMax });
      expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
      // Reads refuse it the same way: no key that long can be in the tree.
      expect(codeOf(() => tree.get(keyOfSize(tree.keySizeMax + 1)))).toBe('KEY_TOO_LARGE');
      tree.verify();
      store.verify();
    }
  });

  it('accepts a value of VALUE_SIZE_MAX bytes and refuses one more, writing nothing', () => {
    const { store } = openStore({ rvmOptions: {} });
    const tree = store.btree<string, Uint8Array>('t', { codec: rawCodec() });
    const largest = new Uint8Array(BTREE_VALUE_SIZE_MAX).fill(7);
    store.transaction(() => tree.put('largest', largest));
    expect(Buffer.compare(tree.get('largest')!, largest)).toBe(0);
    const before = snapshot(store);
    const error = errorOf(() => store.transaction(() => tree.put('too large', new Uint8Array(BTREE_VALUE_SIZE_MAX + 1))));
    expect(error.code).toBe('VALUE_TOO_LARGE');
    expect(error.details).toMatchObject({ size: BTREE_VALUE_SIZE_MAX + 1, sizeMax: BTREE_VALUE_SIZE_MAX });
    expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
    store.verify();
  });

  it('keeps one entry per key: a second put replaces the value, inline or out of line, freeing the old blob', () => {
    const { store } = openStore();
    const tree = store.btree<string, string>('t', { nodeSize: 512 });
    const values = ['short', 'x'.repeat(2000), 'y'.repeat(3000), 'tiny', 'z'.repeat(100), ''];
    for (const value of values) {
      store.transaction(() => tree.put('key', value));
      expect(tree.get('key')).toBe(value);
      expect(tree.size).toBe(1);
      store.verify();
    }
    expect(tree.stats().blobCount).toBe(0);
  });

  it('a put over an existing key declares only the bytes that change: a changed field, nothing for the same value', () => {
    const { store } = openStore();
    const tree = store.btree<string, { id: number; name: string; score: number }>('t', { nodeSize: 512 });
    store.transaction(() => {
      for (let i = 0; i < 20; i++) tree.put(`key-${i}`, { id: i, name: `name-${i}`, score: 1000 + i });
    });
    const commits: { offset: number; length: number }[][] = [];
    const unsubscribe = store.rvm.onCommit((event) => commits.push(event.ranges.map((r) => ({ offset: r.offset, length: r.data.length }))));
    store.transaction(() => tree.put('key-7', { id: 7, name: 'name-7', score: 1999 }));
    expect(tree.get('key-7')).toEqual({ id: 7, name: 'name-7', score: 1999 });
    // score is a u16 in MessagePack: its two bytes are all that differ.
    expect(commits).toHaveLength(1);
    expect(commits[0]).toHaveLength(1);
    expect(commits[0]![0]!.length).toBeLessThanOrEqual(2);
    store.transaction(() => tree.put('key-7', { id: 7, name: 'name-7', score: 1999 }));
    expect(commits).toHaveLength(1);
    // A shorter value changes the header (its size) and the node's garbage count too.
    store.transaction(() => tree.put('key-7', { id: 7, name: 'n', score: 1999 }));
    expect(tree.get('key-7')).toEqual({ id: 7, name: 'n', score: 1999 });
    expect(commits).toHaveLength(2);
    unsubscribe();
    tree.verify();
    store.verify();
  });

  it('deleting a missing key returns false and writes nothing', () => {
    const { store } = openStore();
    const tree = store.btree<number, number>('t');
    store.transaction(() => tree.put(1, 1));
    const before = snapshot(store);
    store.transaction(() => {
      expect(tree.delete(2)).toBe(false);
      expect(tree.delete('1' as unknown as number)).toBe(false);
    });
    expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
  });

  it('refuses a value its schema refuses, with the issues, writing nothing; infers the value type', () => {
    const { store } = openStore();
    const User = z.object({ name: z.string().min(1), age: z.number().int().nonnegative() });
    const tree = store.btree('users', { schema: User });
    expectTypeOf(tree.get('x')).toEqualTypeOf<{ name: string; age: number } | undefined>();
    store.transaction(() => tree.put('ada', { name: 'Ada', age: 36 }));
    const before = snapshot(store);
    const error = errorOf(() => store.transaction(() => tree.put('bob', { name: '', age: -1 })));
    expect(error).toBeInstanceOf(SchemaError);
    expect(error.code).toBe('SCHEMA_INVALID');
    expect((error as unknown as SchemaError).issues.map((issue) => issue.path)).toEqual([['name'], ['age']]);
    expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
    expect(tree.get('ada')).toEqual({ name: 'Ada', age: 36 });
  });

  it('refuses a key that is not a Key with INVALID_KEY, and mutations outside a transaction with NO_TRANSACTION', () => {
    const { store } = openStore();
    const tree = store.btree<Key, number>('t');
    expect(codeOf(() => store.transaction(() => tree.put(undefined as unknown as Key, 1)))).toBe('INVALID_KEY');
    expect(codeOf(() => tree.put('a', 1))).toBe('NO_TRANSACTION');
    expect(codeOf(() => tree.delete('a'))).toBe('NO_TRANSACTION');
    expect(codeOf(() => tree.clear())).toBe('NO_TRANSACTION');
    expect(tree.get('a')).toBeUndefined();
    expect(tree.size).toBe(0);
  });

  it('refuses a node size that is not a power of two from 512 to 32 KiB', () => {
    const { store } = openStore();
    for (const nodeSize of [0, 256, 1000, 65536]) expect(codeOf(() => store.btree(`t${nodeSize}`, { nodeSize }))).toBe('INVALID_ARGUMENT');
    for (const nodeSize of [512, 32768]) {
      const tree = store.btree<number, number>(`t${nodeSize}`, { nodeSize });
      store.transaction(() => {
        for (let i = 0; i < 3000; i++) tree.put(i, i);
      });
      expect(tree.size).toBe(3000);
      tree.verify();
    }
  });
});

describe('BTree shape', () => {
  it('fills leaves when keys arrive in ascending order, and stays valid in descending order', () => {
    const { store } = openStore({ rvmOptions: {} });
    const up = store.btree<number, string>('up', { nodeSize: 1024 });
    const down = store.btree<number, string>('down', { nodeSize: 1024 });
    store.transaction(() => {
      for (let i = 0; i < 20_000; i++) up.put(i, 'value');
      for (let i = 20_000; i > 0; i--) down.put(i, 'value');
    });
    expect(up.stats().leafFill).toBeGreaterThan(0.9);
    expect(down.stats().leafFill).toBeGreaterThan(0.45);
    expect(up.stats().height).toBeGreaterThanOrEqual(3);
    down.verify();
  });

  it('a split rewrites its left half in place: the cells that stay are not declared again', () => {
    const nodeSize = 1024;
    const { store } = openStore({ rvmOptions: {} });
    const tree = store.btree<string, string>('t', { nodeSize });
    const keyOf = (i: number): string => `k${String(i).padStart(6, '0')}`;
    store.transaction(() => tree.bulkLoad(Array.from({ length: 1000 }, (_, i) => [keyOf(2 * i), 'v'.repeat(40)] as const)));
    const ranges: { offset: number; length: number }[] = [];
    const unsubscribe = store.rvm.onCommit((event) => {
      for (const range of event.ranges) ranges.push({ offset: range.offset, length: range.data.length });
    });
    /** For each put that splits a leaf, the bytes declared inside that leaf (the left half). */
    const leftSizes = (keys: string[]): number[] => {
      const sizes: number[] = [];
      for (const key of keys) {
        const encoded = encodeKey(key);
        const leaf = descend(tree, new Path(), encoded, encoded.length);
        const leaves = tree.stats().leafCount;
        ranges.length = 0;
        store.transaction(() => tree.put(key, 'w'.repeat(40)));
        if (tree.stats().leafCount === leaves) continue;
        let inside = 0;
        for (const { offset, length } of ranges) inside += Math.max(0, Math.min(offset + length, leaf + nodeSize) - Math.max(offset, leaf));
        sizes.push(inside);
      }
      return sizes;
    };
    // Odd keys in a scattered order: a leaf splits once its 90% fill is used up. The left half
    // keeps the cells bulk loading packed at its end; its header, slots and a cell an insert put
    // low in the node change (composing it anew would declare about half a node).
    const scattered = leftSizes(Array.from({ length: 1000 }, (_, i) => keyOf(2 * ((i * 337) % 1000) + 1)));
    expect(scattered.length).toBeGreaterThan(20);
    for (const size of scattered) expect(size).toBeLessThan(nodeSize / 5);
    // Appending: the left node keeps every cell and slot.
    const appended = leftSizes(Array.from({ length: 500 }, (_, i) => keyOf(10_000 + i)));
    expect(appended.length).toBeGreaterThan(10);
    for (const size of appended) expect(size).toBeLessThanOrEqual(8);
    unsubscribe();
    expect(tree.size).toBe(2500);
    expect(tree.get(keyOf(1))).toBe('w'.repeat(40));
    tree.verify();
    store.verify();
  });

  it('deleting every entry frees every node but the root, whatever the order', () => {
    const { store } = openStore({ rvmOptions: {} });
    const baseline = store.ctx.heap.stats().usableSize;
    const tree = store.btree<number, string>('t', { nodeSize: 512 });
    const empty = store.ctx.heap.stats().usableSize;
    store.transaction(() => {
      for (let i = 0; i < 5000; i++) tree.put(i, i % 50 === 0 ? 'b'.repeat(900) : 'v');
    });
    expect(tree.stats().height).toBeGreaterThanOrEqual(3);
    const order = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    store.transaction(() => {
      for (const i of order) expect(tree.delete(i)).toBe(true);
    });
    expect(tree.size).toBe(0);
    expect(tree.stats()).toMatchObject({ height: 1, leafCount: 1, branchCount: 0, blobCount: 0 });
    expect(store.ctx.heap.stats().usableSize).toBe(empty);
    store.verify();
    store.drop('t');
    expect(store.ctx.heap.stats().usableSize).toBe(baseline);
  });

  it('clear() frees everything but the root and the tree takes new entries', () => {
    const { store } = openStore();
    const tree = store.btree<number, string>('t', { nodeSize: 512 });
    const empty = store.ctx.heap.stats().usableSize;
    store.transaction(() => {
      for (let i = 0; i < 2000; i++) tree.put(i, i % 10 === 0 ? 'c'.repeat(700) : 'v');
    });
    store.transaction(() => tree.clear());
    expect(tree.size).toBe(0);
    expect(store.ctx.heap.stats().usableSize).toBe(empty);
    store.transaction(() => tree.put(1, 'again'));
    expect([...tree.range()]).toEqual([[1, 'again']]);
    store.verify();
  });

  it('a put that needs a split when the heap is full fails with OUT_OF_SPACE and changes nothing', () => {
    const { store } = openStore({ segmentSize: 256 * 1024, sizeMax: 256 * 1024 });
    const tree = store.btree<number, string>('t', { nodeSize: 1024 });
    let failures = 0;
    store.transaction(() => {
      for (let i = 0; failures < 3; i++) {
        const before = snapshot(store);
        const size = tree.size;
        try {
          tree.put(i, 'p'.repeat(i % 7 === 0 ? 400 : 40));
        } catch (e) {
          expect((e as { code?: string }).code).toBe('OUT_OF_SPACE');
          expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
          expect(tree.size).toBe(size);
          expect(tree.has(i)).toBe(false);
          tree.verify();
          failures++;
        }
      }
    });
    // The transaction went on after each refusal and committed what fit.
    store.verify();
    expect(tree.size).toBeGreaterThan(100);
  });
});

describe('BTree iterators', () => {
  function filled(count: number) {
    const { store, storage } = openStore();
    const tree = store.btree<number, number>('t', { nodeSize: 512 });
    store.transaction(() => {
      for (let i = 0; i < count; i++) tree.put(i * 2, i);
    });
    return { store, storage, tree };
  }

  it('keep going after their transaction ends and across commits, seeing keys put ahead of the cursor', () => {
    const { store, tree } = filled(300);
    const seen: number[] = [];
    const keys = tree.keys({ gte: 100, lt: 200 });
    store.transaction(() => {
      seen.push(keys.next().value as number);
      tree.put(103, -1);
    });
    for (const key of keys) {
      seen.push(key);
      if (key === 110) store.transaction(() => tree.put(111, -1));
      if (key === 120) store.transaction(() => tree.delete(122));
    }
    const expected = [...Array.from({ length: 50 }, (_, i) => 100 + 2 * i).filter((k) => k !== 122), 103, 111].sort((a, b) => a - b);
    expect(seen).toEqual(expected);
  });

  it('after an abort, continue from the last key returned over the restored contents', () => {
    const { store, tree } = filled(100);
    const keys = tree.keys();
    expect([keys.next().value, keys.next().value]).toEqual([0, 2]);
    expect(() =>
      store.transaction(() => {
        tree.delete(4);
        tree.put(5, 5);
        expect(keys.next().value).toBe(5);
        throw new Error('undo');
      }),
    ).toThrow('undo');
    // The abort restored 4 and removed 5; the iterator goes on after 5.
    expect(keys.next().value).toBe(6);
  });

  it('reverse, limit and bounds, and refuse two lower or two upper bounds', () => {
    const { tree } = filled(50);
    expect([...tree.keys({ gt: 10, lte: 20, reverse: true, limit: 3 })]).toEqual([20, 18, 16]);
    expect([...tree.keys({ gte: 11, lt: 17 })]).toEqual([12, 14, 16]);
    expect([...tree.keys({ gt: 1000 })]).toEqual([]);
    expect([...tree.keys({ limit: 0 })]).toEqual([]);
    expect(codeOf(() => tree.keys({ gt: 1, gte: 2 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => tree.keys({ lt: 1, lte: 2 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => tree.keys({ limit: -1 }))).toBe('INVALID_ARGUMENT');
    expect(tree.first()).toEqual([0, 0]);
    expect(tree.last()).toEqual([98, 49]);
  });

  it('refuse use after the tree is dropped or the store closes', () => {
    const { store, tree } = filled(20);
    const keys = tree.keys();
    keys.next();
    store.drop('t');
    expect(codeOf(() => keys.next())).toBe('NOT_FOUND');
    expect(codeOf(() => tree.get(1))).toBe('NOT_FOUND');
    const other = store.btree<number, number>('u');
    store.transaction(() => other.put(1, 1));
    const values = other.values();
    store.close();
    expect(codeOf(() => values.next())).toBe('CLOSED');
    expect(codeOf(() => other.get(1))).toBe('CLOSED');
  });
});

describe('BTree bulk load', () => {
  it('loads ascending entries, with blobs, into an empty tree, as put would', () => {
    const { store } = openStore({ rvmOptions: {} });
    const tree = store.btree<string, string>('t', { nodeSize: 512 });
    const entries = Array.from({ length: 5000 }, (_, i) => [`key${String(i).padStart(5, '0')}`, i % 100 === 0 ? 'big'.repeat(300) : `v${i}`] as const);
    store.transaction(() => tree.bulkLoad(entries));
    expect(tree.size).toBe(5000);
    expect([...tree.range()]).toEqual(entries.map(([k, v]) => [k, v]));
    expect(tree.stats().leafFill).toBeGreaterThan(0.8);
    store.verify();
    store.transaction(() => tree.put('key00000a', 'after'));
    expect(tree.get('key00000a')).toBe('after');
    tree.verify();
  });

  it('refuses keys out of order or repeated and a non-empty tree, leaving the tree empty and nothing leaked', () => {
    const { store } = openStore();
    const tree = store.btree<number, string>('t', { nodeSize: 512 });
    const empty = store.ctx.heap.stats().usableSize;
    const bad = [Array.from({ length: 3000 }, (_, i) => [i === 2500 ? 10 : i, 'x'.repeat(i % 97 === 0 ? 600 : 10)] as const), [[1, 'a'], [1, 'b']] as const];
    for (const entries of bad) {
      store.transaction(() => {
        const error = errorOf(() => tree.bulkLoad(entries));
        expect(error.code).toBe('INVALID_ARGUMENT');
        expect(tree.size).toBe(0);
        expect(store.ctx.heap.stats().usableSize).toBe(empty);
      });
    }
    store.transaction(() => tree.put(1, 'one'));
    expect(codeOf(() => store.transaction(() => tree.bulkLoad([[2, 'two']])))).toBe('INVALID_ARGUMENT');
    store.verify();
  });

  it('fills nodes to the share asked for, and refuses a fill outside [0.5, 1] before writing anything', () => {
    const { store } = openStore({ rvmOptions: {} });
    const entries = Array.from({ length: 20_000 }, (_, i) => [i, `value ${i}`] as const);
    const fills: number[] = [];
    for (const fill of [0.5, 0.75, 1]) {
      const tree = store.btree<number, string>(`t${fill}`, { nodeSize: 1024 });
      store.transaction(() => tree.bulkLoad(entries, { fill }));
      const stats = tree.stats();
      // A leaf closes when the next entry would pass the fill: within one entry (~30 bytes) of it.
      expect(stats.leafFill).toBeLessThanOrEqual(fill);
      expect(stats.leafFill).toBeGreaterThan(fill - 0.06);
      fills.push(stats.leafFill);
      expect(tree.get(12_345)).toBe('value 12345');
      tree.verify();
    }
    expect(fills[0]).toBeLessThan(fills[1]!);
    expect(fills[1]).toBeLessThan(fills[2]!);
    const tree = store.btree<number, string>('refused');
    for (const fill of [0.49, 1.01, Number.NaN, '0.9' as unknown as number]) {
      expect(codeOf(() => store.transaction(() => tree.bulkLoad(entries, { fill })))).toBe('INVALID_ARGUMENT');
    }
    expect(tree.size).toBe(0);
    store.verify();
  });

  it('builds a tree of several levels that verifies and takes puts and deletes', () => {
    const { store } = openStore({ rvmOptions: {} });
    const tree = store.btree<number, number>('t', { nodeSize: 512 });
    store.transaction(() => tree.bulkLoad(Array.from({ length: 20_000 }, (_, i) => [i, i] as const)));
    expect(tree.stats().height).toBeGreaterThanOrEqual(3);
    tree.verify();
    store.transaction(() => {
      for (let i = 0; i < 20_000; i += 3) tree.delete(i);
      for (let i = 0; i < 1000; i++) tree.put(i + 0.5, i);
    });
    tree.verify();
    expect(tree.size).toBe(20_000 - 6667 + 1000);
  });
});

describe('BTree node format, version 1', () => {
  // Pins the bytes of a small tree: a leaf written by version 1 must still be read the same.
  it('writes the documented header and leaf bytes', () => {
    const { store } = openStore();
    // Plain MessagePack values (value format 1, a codec with options), so that only the node format is pinned here;
    // the record values of the default codec are pinned in record-codec.test.ts.
    const tree = store.btree<string, number>('golden', { nodeSize: 512, codec: msgpackCodec({}) });
    store.transaction(() => {
      tree.put('beta', 2);
      tree.put('alpha', 1);
      tree.put('alps', 3);
    });
    const bytes = store.segment.bytes;
    const header = tree.headerOffset;
    expect(bytes.subarray(header, header + 32).toString('hex')).toBe(
      `52564254` + `0100` + `0000` + `00020000` + bytes.subarray(header + 12, header + 16).toString('hex') + `01000000` + '00'.repeat(12),
    );
    const root = bytes.readUInt32LE(header + 12);
    const node = bytes.subarray(root, root + 512);
    // Kind leaf, prefix size 0 (a root leaf filled in place keeps the prefix it was created with), 3 slots.
    expect(node.subarray(0, 4).toString('hex')).toBe('01000300');
    expect(node.readUInt16LE(12)).toBe(0xb7ee);
    expect(node.subarray(16, 32).toString('hex')).toBe('00'.repeat(16));
    // Slots in key order: alpha, alps, beta; hints are the first two bytes after the prefix (the string tag 0x50 and a letter).
    const slot = (i: number) => ({ cell: node.readUInt16LE(32 + 4 * i), hint: node.subarray(34 + 4 * i, 36 + 4 * i).toString('latin1') });
    expect([slot(0).hint, slot(1).hint, slot(2).hint]).toEqual(['Pa', 'Pa', 'Pb']);
    // A leaf cell: keySize, valueInfo (inline size), key, MessagePack value.
    const cell = node.subarray(slot(2).cell, slot(2).cell + 6 + 6 + 1);
    expect(cell.toString('hex')).toBe('0600' + '01000000' + Buffer.from('\u0050beta\u0000', 'latin1').toString('hex') + '02');
    // The first cell put ('beta') lies at the end; cellsStart is the last one put ('alps'); no garbage.
    expect(slot(2).cell + 13).toBe(512);
    expect(node.readUInt16LE(4)).toBe(slot(1).cell);
    expect(node.readUInt16LE(6)).toBe(0);
    // After a split the halves are composed afresh, with the prefix their keys share.
    store.transaction(() => {
      for (let i = 0; i < 60; i++) tree.put(`alpha-${String(i).padStart(2, '0')}`, i);
    });
    const left = bytes.readUInt32LE(bytes.readUInt32LE(header + 12) + 8);
    expect(bytes[left + 1]).toBeGreaterThan(1);
    tree.verify();
  });

  it('reads a tree written by version 1 from its bytes', () => {
    const { store } = openStore();
    const tree = store.btree<string, number>('golden', { nodeSize: 512 });
    store.transaction(() => ['beta', 'alpha', 'alps'].forEach((k, i) => tree.put(k, i)));
    const again = BTree.open<string, number>(store.ctx, tree.headerOffset);
    expect([...again.range()]).toEqual([['alpha', 1], ['alps', 2], ['beta', 0]]);
    const bytes = store.segment.bytes;
    expect(codeOf(() => BTree.open(store.ctx, bytes.readUInt32LE(tree.headerOffset + 12)))).toBe('WRONG_KIND');
  });
});
