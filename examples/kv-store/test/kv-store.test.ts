/** KvStore: point operations, refusals, batches, scans against a model, import and export, durability. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimStorage } from '@rvm/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvStore, prefixEnd } from '../src/index.js';
import type { Json } from '../src/index.js';

const DIR = '/kv';

function errorOf(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected an error');
}

function open(storage = new SimStorage(), durability: 'flush' | 'no-flush' = 'flush'): KvStore {
  return KvStore.open(DIR, { storage, durability });
}

/** Code point order, the store's key order. */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe('KvStore', () => {
  it('puts, gets, overwrites and deletes JSON values', () => {
    const kv = open();
    const value: Json = { name: 'Ada', tags: ['x', 1, null, true], nested: { deep: [{}] } };
    kv.put('user:1', value);
    kv.put('user:2', 'plain string');
    expect(kv.get('user:1')).toEqual(value);
    expect(kv.has('user:2')).toBe(true);
    kv.put('user:2', 42);
    expect(kv.get('user:2')).toBe(42);
    expect(kv.del('user:2')).toBe(true);
    expect(kv.del('user:2')).toBe(false);
    expect(kv.get('user:2')).toBeUndefined();
    expect(kv.count()).toBe(1);
    kv.put('big', 'x'.repeat(100_000));
    expect((kv.get('big') as string).length).toBe(100_000);
    expect(kv.stats()).toMatchObject({ keyCount: 2, blobCount: 1, durability: 'flush' });
    kv.verify();
    kv.close();
  });

  it('refuses values that are not plain JSON and keys it cannot store, writing nothing', () => {
    const kv = open();
    kv.put('a', 1);
    const cases: Array<[unknown, string]> = [[undefined, ''], [Number.NaN, ''], [new Date(0), ''], [{ a: [1, 2n] }, '.a[1]'], [new Map(), ''], [{ f: () => 1 }, '.f']];
    for (const [value, path] of cases) {
      const e = errorOf(() => kv.put('b', value as Json));
      expect(e.code).toBe('INVALID_VALUE');
      expect(e.details?.path).toBe(path);
    }
    expect(errorOf(() => kv.put('\ud800', 1)).code).toBe('INVALID_KEY');
    expect(errorOf(() => kv.put(7 as unknown as string, 1)).code).toBe('INVALID_KEY');
    const e = errorOf(() => kv.put('k'.repeat(kv.keySizeMax), 1));
    expect(e.code).toBe('KEY_TOO_LARGE');
    expect(e.details).toMatchObject({ sizeMax: kv.keySizeMax });
    kv.put('k'.repeat(kv.keySizeMax - 2), 1); // the longest key: a tag and a terminator around it
    expect([...kv.keys()]).toEqual(['a', 'k'.repeat(kv.keySizeMax - 2)]);
    kv.verify();
  });

  it('commits a batch as one transaction, or nothing of it when it throws', () => {
    const kv = open();
    kv.put('keep', 0);
    expect(() =>
      kv.batch(() => {
        kv.put('x', 1);
        kv.del('keep');
        expect(kv.get('x')).toBe(1); // a batch reads its own writes
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect([...kv.scan()]).toEqual([['keep', 0]]);
    // A refused put is checked before the transaction, so the batch goes on.
    const result = kv.batch(() => {
      kv.put('x', 1);
      expect(errorOf(() => kv.put('y', undefined as unknown as Json)).code).toBe('INVALID_VALUE');
      kv.put('z', 2);
      return 'done';
    });
    expect(result).toBe('done');
    expect([...kv.keys()]).toEqual(['keep', 'x', 'z']);
    kv.verify();
  });

  it('computes the end of a prefix in code point order', () => {
    expect(prefixEnd('user:')).toBe('user;');
    expect(prefixEnd('')).toBeUndefined();
    expect(prefixEnd('a\u{10ffff}')).toBe('b');
    expect(prefixEnd('\u{10ffff}')).toBeUndefined();
    expect(prefixEnd('\ud7ff')).toBe('\ue000');
    expect(prefixEnd('\uffff')).toBe('\u{10000}');
  });

  it('scans, counts and exports exactly the keys a model selects', () => {
    const alphabet = ['a', 'b', 'ab', '\u00e9', '\uffff', '\u{10000}', '\u{10ffff}', ':'];
    const keyArb = fc.array(fc.constantFrom(...alphabet), { minLength: 0, maxLength: 4 }).map((parts) => parts.join(''));
    const kv = open();
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { maxLength: 40 }),
        fc.record({ prefix: fc.option(keyArb, { nil: undefined }), from: fc.option(keyArb, { nil: undefined }), to: fc.option(keyArb, { nil: undefined }) }),
        fc.option(fc.nat(10), { nil: undefined }),
        fc.boolean(),
        (keys, bounds, limit, reverse) => {
          kv.batch(() => {
            for (const key of [...kv.keys()]) kv.del(key);
            for (const key of keys) kv.put(key, key.length);
          });
          const { prefix, from, to } = bounds;
          let expected = [...keys].sort(byCodePoint).filter((k) => (prefix === undefined || k.startsWith(prefix)) && (from === undefined || byCodePoint(k, from) >= 0) && (to === undefined || byCodePoint(k, to) < 0));
          expect(kv.count(bounds)).toBe(expected.length);
          if (reverse) expected.reverse();
          if (limit !== undefined) expected = expected.slice(0, limit);
          const options = { ...bounds, reverse, ...(limit === undefined ? {} : { limit }) };
          expect([...kv.keys(options)]).toEqual(expected);
          expect([...kv.export(options)]).toEqual(expected.map((k) => JSON.stringify({ key: k, value: k.length })));
        },
      ),
      { numRuns: 60, ...(process.env.CI ? { seed: 0x6b76 } : {}) },
    );
    kv.verify();
  });

  it('imports JSON lines in batches and stops at a bad line with what it imported', async () => {
    const kv = open();
    const lines = ['{"key":"a","value":1}', '', '{"key":"b","value":{"x":[1]}}', '{"key":"c","value":null}', '{"key":"a","value":2}', '{"key":"d","value":"s"}', '{"key":"e","value":true}'];
    const progress: number[] = [];
    const report = await kv.import(lines, { batchSize: 2, onProgress: (p) => progress.push(p.putCount) });
    expect(report).toMatchObject({ lineCount: 7, putCount: 6, batchCount: 3 });
    expect(progress).toEqual([2, 4, 6]);
    expect([...kv.export()]).toEqual(['{"key":"a","value":2}', '{"key":"b","value":{"x":[1]}}', '{"key":"c","value":null}', '{"key":"d","value":"s"}', '{"key":"e","value":true}']);

    const fresh = open();
    const bad = ['{"key":"1","value":1}', '{"key":"2","value":2}', '{"key":"3","value":3}', '{"key":"4"}', '{"key":"5","value":5}'];
    const e = await fresh.import(bad, { batchSize: 2 }).then(() => null, (error: unknown) => error as { code: string; details: Record<string, unknown> });
    expect(e?.code).toBe('INVALID_LINE');
    expect(e?.details).toMatchObject({ lineNumber: 4, importedLineCount: 2 });
    expect([...fresh.keys()]).toEqual(['1', '2']);
    const longKey = await fresh.import([JSON.stringify({ key: 'k'.repeat(5000), value: 1 })]).then(() => null, (error: unknown) => error as { code: string; details: Record<string, unknown> });
    expect(longKey?.code).toBe('KEY_TOO_LARGE');
    expect(longKey?.details).toMatchObject({ lineNumber: 1, importedLineCount: 0 });
  });

  it('keeps a flush commit through a crash, and a no-flush commit only once flushed', () => {
    const storage = new SimStorage();
    const durable = open(storage, 'flush');
    durable.put('durable', 1);
    storage.crash(1, 'dropAll');
    const lazy = open(storage, 'no-flush');
    expect(lazy.get('durable')).toBe(1);
    lazy.put('flushed', 2);
    lazy.flush();
    lazy.put('lost', 3);
    expect(lazy.stats().pendingCommitCount).toBe(1);
    storage.crash(2, 'dropAll');
    const after = open(storage);
    expect([...after.keys()]).toEqual(['durable', 'flushed']);
    after.verify();
  });

  it('refuses a second open of the same store (LOCKED)', () => {
    const storage = new SimStorage();
    const kv = open(storage);
    expect(errorOf(() => open(storage)).code).toBe('LOCKED');
    kv.close();
    open(storage).close();
  });

  it('runs the README example', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-readme-'));
    try {
      // --- the README example, with its directory ---
      const kv = KvStore.open(join(dir, 'db')); // durability 'flush': a commit is on disk when it returns
      kv.put('user:1', { name: 'Ada' });
      kv.batch(() => {
        // one transaction: all of it or none of it, also across a crash
        kv.put('user:2', { name: 'Grace' });
        kv.del('user:1');
      });
      const users = [...kv.scan({ prefix: 'user:' })];
      await kv.import(['{"key":"counter","value":1}', '{"key":"user:3","value":{"name":"Edsger"}}']);
      const count = kv.count({ from: 'user:', to: 'user:3' });
      kv.close();
      // --- end ---
      expect(users).toEqual([['user:2', { name: 'Grace' }]]);
      expect(count).toBe(1);
      const again = KvStore.open(join(dir, 'db'));
      expect([...again.keys()]).toEqual(['counter', 'user:2', 'user:3']);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
