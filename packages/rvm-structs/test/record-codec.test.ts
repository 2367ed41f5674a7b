/**
 * The record codec of a segment (src/core/record-codec.ts): values as msgpackr
 * records whose structures live in the segment's table, written in the
 * transaction of the first value that uses them.
 */
import { Buffer } from 'node:buffer';
import { isSimCrash, SimStorage } from '@rvm/core/testing';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BTree, isCodecError, MSGPACK_OPTIONS, msgpackCodec, rawCodec, Store, StructContext } from '../src/index.js';
import { VALUE_RECORDS_TAG } from '../src/codec/msgpack-codec.js';
import { STRUCTURE_COUNT_MAX, STRUCTURES_ROOT } from '../src/core/structure-table.js';

const DIR = '/store';

function open(storage: SimStorage): Store {
  return Store.open(DIR, { storage, segmentSize: 256 * 1024 });
}

function tableCount(store: Store): number {
  return store.ctx.records().structureCount();
}

/** The stored bytes of `key` in the B-tree `name`, read through a raw handle. */
function storedBytes(store: Store, name: string, key: string): Uint8Array {
  const bytes = store.btree<string, Uint8Array>(name, { codec: rawCodec() }).get(key);
  expect(bytes).toBeDefined();
  return bytes!;
}

describe('record value format (value format 2) and the structure table', () => {
  // Pins the bytes of record values and of the table block (src/core/structure-table.ts): values
  // written this way must always read back the same. Plain values (format 1) are read too.
  it('writes the pinned value and table bytes, and reads them back', () => {
    const storage = new SimStorage();
    let store = open(storage);
    const tree = store.btree<string, unknown>('t');
    store.transaction(() => {
      tree.put('a', { id: 7, name: 'ada' });
      tree.put('b', { id: 8, name: 'bob', tags: ['x'] });
      tree.put('c', 'str');
    });
    const hex = (key: string): string => Buffer.from(storedBytes(store, 't', key)).toString('hex');
    expect(hex('a')).toBe('c1' + '40' + '07' + 'a3616461'); // tag, record of structure 0, 7, fixstr "ada"
    expect(hex('b')).toBe('c1' + '41' + '08' + 'a3626f62' + '91a178'); // structure 1: 8, "bob", ["x"]
    expect(hex('c')).toBe('c1' + 'a3737472'); // not an object: plain MessagePack after the tag
    const table = store.ctx.heap.getRoot(STRUCTURES_ROOT);
    const bytes = store.segment.bytes;
    expect(bytes.toString('hex', table, table + 12 + 30)).toBe([
      '52564d53', // magic "RVMS"
      '02000000', // count 2
      '1e000000', // size 30
      '0200', '0200', '6964', '0400', '6e616d65', // structure 0: 2 keys, "id", "name"
      '0300', '0200', '6964', '0400', '6e616d65', '0400', '74616773', // structure 1: 3 keys, "id", "name", "tags"
    ].join(''));
    store.close();
    store = open(storage);
    // Written by hand: format 2 values of both structures, and a format 1 (plain map) value.
    const raw = store.btree<string, Uint8Array>('t', { codec: rawCodec() });
    store.transaction(() => {
      raw.put('d', Buffer.from('c1' + '40' + '2a' + 'a3657665', 'hex'));
      raw.put('e', Buffer.from('c1' + '41' + '01' + 'a0' + '90', 'hex'));
      raw.put('f', Buffer.from('82' + 'a26964' + '41' + 'a46e616d65' + 'a3657665', 'hex'));
    });
    const again = store.btree<string, unknown>('t');
    expect(again.get('a')).toEqual({ id: 7, name: 'ada' });
    expect(again.get('b')).toEqual({ id: 8, name: 'bob', tags: ['x'] });
    expect(again.get('c')).toBe('str');
    expect(again.get('d')).toEqual({ id: 42, name: 'eve' });
    expect(again.get('e')).toEqual({ id: 1, name: '', tags: [] });
    expect(again.get('f')).toEqual({ id: 0x41, name: 'eve' });
    // A record id the table lacks is VALUE_CORRUPT, never a silent number.
    store.transaction(() => raw.put('g', Buffer.from('c1' + '45', 'hex')));
    let error: unknown;
    try {
      again.get('g');
    } catch (e) {
      error = e;
    }
    expect(isCodecError(error, 'VALUE_CORRUPT')).toBe(true);
    // A reader without records (an older version of this library) refuses a record value instead of misreading it.
    expect(() => new Packr(MSGPACK_OPTIONS).unpack(storedBytes(store, 't', 'a'))).toThrow();
    store.close();
  });
});

describe('record codec', () => {
  it('round-trips what the plain codec round-trips, through a segment', () => {
    const store = open(new SimStorage());
    const tree = store.btree<number, unknown>('t');
    const records = store.ctx.records();
    const plain = msgpackCodec<unknown>();
    const value = {
      id: 7,
      name: 'caf\u00e9 \u{1f600}',
      at: new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123)),
      small: 42n,
      huge: -(2n ** 500n) + 12345n,
      bytes: new Uint8Array([0, 1, 0xff]),
      nested: { list: [1, 'two', null, true, { three: [3.5, -Infinity] }], empty: {}, undefined: undefined },
      set: new Set([1, 'a']),
      floats: new Float64Array([1.5, -0.25]),
      ['__proto__']: 1,
    };
    store.transaction(() => tree.put(0, value));
    expect(tree.get(0)).toEqual(plain.decode(Uint8Array.from(plain.encode(value))));
    let n = 1;
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const key = n++;
        store.transaction(() => tree.put(key, json), { flush: false });
        // The same as the plain codec gives (which documents its lossy cases: -0, __proto__).
        expect(tree.get(key)).toEqual(plain.decode(Uint8Array.from(plain.encode(json))));
        expect(records.decode(Uint8Array.from(records.encode(json)))).toEqual(tree.get(key));
      }),
      { numRuns: 300 },
    );
    store.verify();
    store.close();
  });

  it('writes records with the tag, smaller than plain maps, and reads them back after reopen', () => {
    const storage = new SimStorage();
    let store = open(storage);
    const tree = store.btree<string, unknown>('t');
    const value = { name: 'ada', age: 36, tags: ['x', 'y'], nested: { a: 1, b: 'two' } };
    store.transaction(() => tree.put('k', value));
    const bytes = storedBytes(store, 't', 'k');
    expect(bytes[0]).toBe(VALUE_RECORDS_TAG);
    expect(bytes.length).toBeLessThan(new Packr(MSGPACK_OPTIONS).pack(value).length);
    expect(tableCount(store)).toBe(2);
    expect(store.ctx.heap.getRoot(STRUCTURES_ROOT)).not.toBe(0);
    store.verify();
    store.close();
    store = open(storage);
    expect(store.btree('t').get('k')).toEqual(value);
    expect(tableCount(store)).toBe(2);
    store.verify();
    store.close();
  });

  it('drops structures of an aborted transaction before the next encode', () => {
    const storage = new SimStorage();
    let store = open(storage);
    const tree = store.btree<string, unknown>('t');
    expect(() => store.transaction(() => {
      tree.put('a', { shapeA: 1 });
      expect(tableCount(store)).toBe(1);
      throw new Error('abort');
    })).toThrow('abort');
    expect(tableCount(store)).toBe(0);
    store.transaction(() => tree.put('b', { shapeB: 2, more: 'x' }));
    store.transaction(() => tree.put('a', { shapeA: 3 }));
    expect(tableCount(store)).toBe(2);
    store.verify();
    store.close();
    store = open(storage);
    const reopened = store.btree<string, unknown>('t');
    expect(reopened.get('a')).toEqual({ shapeA: 3 });
    expect(reopened.get('b')).toEqual({ shapeB: 2, more: 'x' });
    // shapeB took structure 0 once shapeA's was aborted: its value starts with the tag and id 0x40.
    expect([...storedBytes(store, 't', 'b').subarray(0, 2)]).toEqual([VALUE_RECORDS_TAG, 0x40]);
    store.verify();
    store.close();
  });

  it('reads values written as plain MessagePack maps, including fixints the records use as ids', () => {
    const storage = new SimStorage();
    let store = open(storage);
    const plain = new Packr(MSGPACK_OPTIONS);
    const old = { n: 64, m: 0x5f, list: [0x40, 0x41, 0x7f], s: 'old' };
    const oldBytes = plain.pack(old);
    expect(oldBytes[0]).not.toBe(VALUE_RECORDS_TAG);
    const raw = store.btree<string, Uint8Array>('t', { codec: rawCodec() });
    store.transaction(() => raw.put('old', Uint8Array.from(oldBytes)));
    store.transaction(() => raw.put('int', Uint8Array.from(plain.pack(0x41))));
    const tree = store.btree<string, unknown>('t');
    // Structures 0 .. 2 now exist, so ids 0x40 .. 0x42 mean something to the record Packr.
    store.transaction(() => {
      tree.put('new0', { a: 1 });
      tree.put('new1', { b: 1 });
      tree.put('new2', { c: 0x41 });
    });
    expect(tableCount(store)).toBe(3);
    expect(tree.get('old')).toEqual(old);
    expect(tree.get('int')).toBe(0x41);
    store.close();
    store = open(storage);
    const again = store.btree<string, unknown>('t');
    expect(again.get('old')).toEqual(old);
    expect(again.get('int')).toBe(0x41);
    expect(again.get('new2')).toEqual({ c: 0x41 });
    store.close();
  });

  it('writes new shapes inline once the table is full', () => {
    const storage = new SimStorage();
    let store = open(storage);
    const tree = store.btree<string, unknown>('t');
    const shapeCount = STRUCTURE_COUNT_MAX + 40;
    const valueOf = (i: number): Record<string, number> => ({ [`f${i}`]: i, [`g${i}`]: -i - 1 });
    for (let i = 0; i < shapeCount; i++) store.transaction(() => tree.put(`k${i}`, valueOf(i)), { flush: false });
    expect(tableCount(store)).toBe(STRUCTURE_COUNT_MAX);
    for (let i = 0; i < shapeCount; i++) expect(tree.get(`k${i}`)).toEqual(valueOf(i));
    // An inline definition read back does not enter the shared table.
    expect(tableCount(store)).toBe(STRUCTURE_COUNT_MAX);
    const inline = storedBytes(store, 't', `k${shapeCount - 1}`);
    expect(inline[0]).toBe(VALUE_RECORDS_TAG);
    expect(inline[1]).toBe(0xd4); // fixext 1: the record definition
    store.verify();
    store.close();
    store = open(storage);
    const again = store.btree<string, unknown>('t');
    for (let i = 0; i < shapeCount; i++) expect(again.get(`k${i}`)).toEqual(valueOf(i));
    store.transaction(() => again.put('x', valueOf(1000)));
    expect(again.get('x')).toEqual(valueOf(1000));
    expect(tableCount(store)).toBe(STRUCTURE_COUNT_MAX);
    store.verify();
    store.close();
  });

  it('keeps one table per store: two stores in one process do not mix structures', () => {
    const s1 = open(new SimStorage());
    const s2 = open(new SimStorage());
    const t1 = s1.hashMap<string, unknown>('m');
    const t2 = s2.list<unknown>('l');
    s1.transaction(() => { t1.set('a', { a: 1 }); t1.set('b', { b: 2 }); });
    s2.transaction(() => { t2.push({ b: 3 }); t2.push({ a: 4 }); t2.push({ c: 5 }); });
    expect(tableCount(s1)).toBe(2);
    expect(tableCount(s2)).toBe(3);
    expect(t1.get('a')).toEqual({ a: 1 });
    expect(t1.get('b')).toEqual({ b: 2 });
    expect([...t2]).toEqual([{ b: 3 }, { a: 4 }, { c: 5 }]);
    s1.verify();
    s2.verify();
    s1.close();
    s2.close();
  });

  it('two contexts on one segment append to the table without overwriting each other', () => {
    const storage = new SimStorage();
    let store = open(storage);
    const tree = store.btree<string, unknown>('t');
    store.transaction(() => tree.put('s', 'no structure'));
    const other = new StructContext(store.rvm, store.segment, store.ctx.heap);
    const otherTree = BTree.open<string, unknown>(other, tree.headerOffset);
    expect(otherTree.get('s')).toBe('no structure'); // `other` has read the (empty) table
    store.transaction(() => tree.put('a', { a: 1 }));
    // `other` learns of structure 0 when a value names it.
    expect(otherTree.get('a')).toEqual({ a: 1 });
    store.transaction(() => tree.put('b', { b: 2 }));
    store.transaction(() => {
      other.current = store.ctx.current;
      otherTree.put('c', { c: 3 }); // its table is stale (1 structure, the segment has 2): it reloads and encodes again
      other.current = null;
    });
    expect(tableCount(store)).toBe(3);
    expect(tree.get('c')).toEqual({ c: 3 });
    store.verify();
    store.close();
    store = open(storage);
    const again = store.btree<string, unknown>('t');
    expect([...again.entries()]).toEqual([['a', { a: 1 }], ['b', { b: 2 }], ['c', { c: 3 }], ['s', 'no structure']]);
    store.close();
  });

  it('works under schemaCodec and the schema option; codecs with options write plain maps', () => {
    const storage = new SimStorage();
    let store = open(storage);
    const schema = z.object({ id: z.number(), name: z.string() });
    const viaSchema = store.btree<string, z.infer<typeof schema>>('s', { schema });
    const plainTree = store.btree<string, unknown>('p', { codec: msgpackCodec({}) });
    store.transaction(() => {
      viaSchema.put('a', { id: 1, name: 'one' });
      plainTree.put('a', { id: 1, name: 'one' });
    });
    expect(storedBytes(store, 's', 'a')[0]).toBe(VALUE_RECORDS_TAG);
    expect(storedBytes(store, 'p', 'a')[0]).not.toBe(VALUE_RECORDS_TAG);
    // The catalog stays plain MessagePack: readable without the structure table.
    const catalog = store.btree<string, Uint8Array>('catalog-probe', { codec: rawCodec() });
    expect(catalog).toBeDefined();
    expect(() => store.transaction(() => viaSchema.put('b', { id: 'x' } as never))).toThrow();
    store.close();
    store = open(storage);
    expect(store.btree('s', { schema }).get('a')).toEqual({ id: 1, name: 'one' });
    expect(store.btree('p', { codec: msgpackCodec({}) }).get('a')).toEqual({ id: 1, name: 'one' });
    // msgpackCodec() on its own cannot read a record value: its table is in the segment.
    let error: unknown;
    try {
      msgpackCodec().decode(storedBytes(store, 's', 'a'));
    } catch (e) {
      error = e;
    }
    expect(isCodecError(error, 'VALUE_CORRUPT')).toBe(true);
    store.verify();
    store.close();
  });

  it('leaves the table consistent when saving a structure fails (ROOTS_FULL)', () => {
    const storage = new SimStorage();
    const store = open(storage);
    const tree = store.btree<string, unknown>('t');
    store.transaction(() => tree.put('k', 'a string needs no structure'));
    // Take every free heap root, so that the table's root cannot be set.
    const taken: string[] = [];
    store.transaction(() => {
      const heap = store.ctx.heap;
      for (let i = 0; heap.roots().length < 32; i++) {
        const name = `r${i}`;
        heap.setRoot(store.ctx.tx(), name, store.ctx.alloc(8));
        taken.push(name);
      }
    });
    let error: unknown;
    try {
      store.transaction(() => tree.put('x', { shape: 1 }));
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toBe('ROOTS_FULL');
    expect(tableCount(store)).toBe(0);
    // The error caught inside the transaction and the transaction committed: nothing leaked.
    store.transaction(() => {
      try {
        tree.put('y', { shape: 2 });
      } catch (e) {
        expect((e as { code?: string }).code).toBe('ROOTS_FULL');
      }
    });
    expect(tableCount(store)).toBe(0);
    expect(tree.has('y')).toBe(false);
    store.transaction(() => {
      const heap = store.ctx.heap;
      const name = taken[0]!;
      const block = heap.getRoot(name);
      heap.setRoot(store.ctx.tx(), name, 0);
      store.ctx.free(block);
    });
    store.transaction(() => tree.put('x', { shape: 3 }));
    expect(tree.get('x')).toEqual({ shape: 3 });
    expect(tableCount(store)).toBe(1);
    store.close();
  });

  it('never recovers a value whose structure the table lacks, at any crash point', () => {
    // Commits (flush and no-flush) and aborts, each adding a new shape and moving the table block
    // as it grows, crashed at every storage operation in turn with every crash mode.
    const putCount = 12;
    const aborted = (i: number): boolean => i % 4 === 3;
    const valueOf = (i: number): Record<string, unknown> => ({ [`field${i}`]: i, shared: 'v'.repeat(i % 7), [`x${i % 3}`]: [i] });
    const workload = (store: Store): void => {
      const tree = store.btree<string, unknown>('t');
      for (let i = 0; i < putCount; i++) {
        try {
          store.transaction(() => {
            tree.put(`k${i}`, valueOf(i));
            if (aborted(i)) throw new Error('abort');
          }, { flush: i % 3 === 0 });
        } catch (e) {
          if (!(e instanceof Error && e.message === 'abort')) throw e;
        }
      }
    };
    const dry = new SimStorage();
    open(dry).close();
    const first = dry.opCount;
    workload(open(dry));
    const last = dry.opCount;
    expect(last).toBeGreaterThan(first);
    const counts = { runs: 0 };
    const presentCounts = new Set<number>();
    for (let at = first; at <= last; at++) {
      for (const mode of ['random', 'keepAll', 'dropAll'] as const) {
        const storage = new SimStorage();
        open(storage).close();
        expect(storage.opCount).toBe(first);
        storage.crashAt(at, at, mode);
        try {
          workload(open(storage));
        } catch (e) {
          if (!isSimCrash(e)) throw e;
        }
        storage.recoverFromCrash();
        const store = open(storage);
        store.verify();
        const tree = store.btree<string, unknown>('t');
        // The surviving commits are a prefix of the committed puts, and each value reads back exactly.
        let missing = false;
        let present = 0;
        for (let i = 0; i < putCount; i++) {
          const value = tree.get(`k${i}`);
          if (aborted(i) || missing) {
            expect(value).toBeUndefined();
          } else if (value === undefined) {
            missing = true;
          } else {
            expect(value).toEqual(valueOf(i));
            present++;
          }
        }
        store.transaction(() => tree.put('after', valueOf(99)));
        expect(tree.get('after')).toEqual(valueOf(99));
        store.verify();
        store.close();
        counts.runs++;
        presentCounts.add(present);
      }
    }
    expect(counts.runs).toBe(3 * (last - first + 1));
    // Crashes fell before, between and after the commits: several prefixes were recovered.
    expect(presentCounts.size).toBeGreaterThan(3);
  });
});
