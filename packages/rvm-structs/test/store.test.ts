/**
 * The Store: collections by name across reopen and crash, the transaction
 * rules (commit on return, abort on throw, nesting, async refused, flush or
 * not), mutations outside a transaction, drop, close, verify.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../src/index.js';
import { codeOf, DIR, errorOf, openStore, snapshot } from './btree-support.js';

describe('Store collections', () => {
  it('creates collections on first use and finds them by name after reopening', () => {
    const { store, storage } = openStore();
    store.transaction(() => {
      store.btree<string, number>('scores').put('ada', 36);
      store.hashMap<string, string>('emails').set('ada', 'ada@example.com');
      store.list<string>('log').push('started');
    });
    expect(store.names()).toEqual(['emails', 'log', 'scores']);
    store.close();
    const again = Store.open(DIR, { storage });
    expect(again.collections()).toEqual([
      { name: 'emails', kind: 'hash-map' },
      { name: 'log', kind: 'list' },
      { name: 'scores', kind: 'btree' },
    ]);
    expect(again.btree<string, number>('scores').get('ada')).toBe(36);
    expect(again.hashMap<string, string>('emails').get('ada')).toBe('ada@example.com');
    expect(again.list<string>('log').at(0)).toBe('started');
    expect(again.has('scores')).toBe(true);
    expect(again.has('nothing')).toBe(false);
    again.verify();
  });

  it('returns the same handle for the same name and options, and refuses another kind (WRONG_KIND)', () => {
    const { store } = openStore();
    const tree = store.btree('t');
    expect(store.btree('t')).toBe(tree);
    const error = errorOf(() => store.hashMap('t'));
    expect(error.code).toBe('WRONG_KIND');
    expect(error.details).toMatchObject({ name: 't', kind: 'btree', asked: 'hash-map' });
    expect(codeOf(() => store.btree(''))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.btree('x'.repeat(201)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.collection('queue', 'q'))).toBe('INVALID_ARGUMENT');
  });

  it('drop frees every block of a collection and retires its handles', () => {
    const { store } = openStore();
    const baseline = store.ctx.heap.stats().usableSize;
    const tree = store.btree<number, string>('t', { nodeSize: 512 });
    const sameTree = store.btree<number, string>('t', { nodeSize: 512, validateOnRead: false });
    store.transaction(() => {
      for (let i = 0; i < 2000; i++) tree.put(i, i % 100 === 0 ? 'blob'.repeat(200) : 'v');
    });
    expect(store.drop('t')).toBe(true);
    expect(store.drop('t')).toBe(false);
    expect(store.ctx.heap.stats().usableSize).toBe(baseline);
    expect(codeOf(() => tree.get(1))).toBe('NOT_FOUND');
    expect(codeOf(() => sameTree.get(1))).toBe('NOT_FOUND');
    expect(store.btree<number, string>('t').size).toBe(0);
    store.verify();
  });

  it('a collection created in a transaction that aborts is gone, and so are its handles', () => {
    const { store } = openStore();
    let handle: ReturnType<typeof store.btree> | undefined;
    expect(() =>
      store.transaction(() => {
        handle = store.btree('fresh');
        handle.put('k', 1);
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(store.has('fresh')).toBe(false);
    expect(codeOf(() => handle!.get('k'))).toBe('NOT_FOUND');
    store.verify();
  });

  it('verify finds a leaked block', () => {
    const { store } = openStore();
    store.transaction(() => store.ctx.alloc(100));
    const error = errorOf(() => store.verify());
    expect(error.code).toBe('STRUCT_CORRUPT');
    expect(error.details).toMatchObject({ allocated: expect.any(Number), owned: expect.any(Number) });
  });
});

describe('Store transactions', () => {
  it('commits when fn returns and gives back its result; aborts and rethrows when it throws, restoring every byte', () => {
    const { store } = openStore();
    const tree = store.btree<string, number>('t');
    expect(store.transaction(() => {
      tree.put('a', 1);
      return 'done';
    })).toBe('done');
    const before = snapshot(store);
    const failure = new Error('boom');
    expect(() =>
      store.transaction(() => {
        tree.put('b', 2);
        tree.delete('a');
        throw failure;
      }),
    ).toThrow(failure);
    expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
    expect([...tree.range()]).toEqual([['a', 1]]);
    expect(store.inTransaction).toBe(false);
  });

  it('a nested transaction joins the outer one; a nested failure caught inside aborts everything with TRANSACTION_ABORTED', () => {
    const { store } = openStore();
    const tree = store.btree<string, number>('t');
    store.transaction(() => {
      tree.put('outer', 1);
      store.transaction(() => tree.put('inner', 2));
    });
    expect(tree.size).toBe(2);
    const nested = new Error('nested');
    const error = errorOf(() =>
      store.transaction(() => {
        tree.put('x', 3);
        try {
          store.transaction(() => {
            tree.put('y', 4);
            throw nested;
          });
        } catch {
          // Swallowed: the outer transaction cannot commit half of the inner one.
        }
      }),
    );
    expect(error.code).toBe('TRANSACTION_ABORTED');
    expect(error.details?.cause).toBe(nested);
    expect([...tree.keys()]).toEqual(['inner', 'outer']);
  });

  it('refuses a function that returns a promise, aborting what it did synchronously', async () => {
    const { store } = openStore();
    const tree = store.btree<string, number>('t');
    const error = errorOf(() =>
      store.transaction((async () => {
        tree.put('sync part', 1);
        await Promise.resolve();
      }) as () => unknown),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(tree.has('sync part')).toBe(false);
    expect(store.inTransaction).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 0));
  });

  it('mutations outside a transaction throw NO_TRANSACTION for every kind; reads need none', () => {
    const { store } = openStore();
    const tree = store.btree<string, number>('t');
    const map = store.hashMap<string, number>('m');
    const list = store.list<number>('l');
    for (const mutation of [() => tree.put('a', 1), () => tree.delete('a'), () => map.set('a', 1), () => list.push(1)]) {
      expect(codeOf(mutation)).toBe('NO_TRANSACTION');
    }
    expect(tree.get('a')).toBeUndefined();
    expect(map.get('a')).toBeUndefined();
    expect(list.length).toBe(0);
  });

  it('a flush commit survives a crash that drops everything unsynced; a no-flush commit survives only after flush()', () => {
    const { store, storage } = openStore({ durability: 'no-flush' });
    const tree = store.btree<string, number>('t');
    store.transaction(() => tree.put('flushed', 1), { flush: true });
    store.transaction(() => tree.put('pending', 2));
    storage.crash(1, 'dropAll');
    let again = Store.open(DIR, { storage });
    expect([...again.btree<string, number>('t').keys()]).toEqual(['flushed']);
    again.transaction(() => again.btree<string, number>('t').put('pending', 2), { flush: false });
    again.flush();
    storage.crash(2, 'dropAll');
    again = Store.open(DIR, { storage });
    expect([...again.btree<string, number>('t').keys()]).toEqual(['flushed', 'pending']);
  });

  it('changes ctx.generation whenever a transaction ends', () => {
    const { store } = openStore();
    const tree = store.btree<string, number>('t');
    const g0 = store.ctx.generation;
    store.transaction(() => tree.put('a', 1));
    const g1 = store.ctx.generation;
    expect(g1).toBeGreaterThan(g0);
    expect(() => store.transaction(() => { throw new Error('x'); })).toThrow('x');
    expect(store.ctx.generation).toBeGreaterThan(g1);
  });

  it('close refuses inside a transaction; after close the store and its handles throw CLOSED', () => {
    const { store } = openStore();
    const tree = store.btree<string, number>('t');
    store.transaction(() => expect(codeOf(() => store.close())).toBe('INVALID_ARGUMENT'));
    store.close();
    store.close();
    expect(codeOf(() => store.btree('t'))).toBe('CLOSED');
    expect(codeOf(() => store.transaction(() => 1))).toBe('CLOSED');
    expect(codeOf(() => tree.get('a'))).toBe('CLOSED');
  });

  it('refuses bad options', () => {
    expect(codeOf(() => openStore({ durability: 'sometimes' as 'flush' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => openStore({ segmentSize: 100 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => openStore({ segmentSize: 1 << 20, sizeMax: 1 << 19 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('README example', () => {
  it('runs as printed', () => {
    const base = mkdtempSync(join(tmpdir(), 'rvm-structs-readme-'));
    const dir = join(base, 'data');
    const lines: unknown[][] = [];
    const log = (...args: unknown[]): void => {
      lines.push(args);
    };
    try {
      // ---- README example start (console.log renamed to log)
      const store = Store.open(dir); // creates the store in directory dir, or recovers it after a crash
      const users = store.btree<string, { name: string; age: number }>('users');

      store.transaction(() => { // commits when fn returns, aborts if it throws
        users.put('ada', { name: 'Ada', age: 36 });
        users.put('alan', { name: 'Alan', age: 41 });
        users.put('grace', { name: 'Grace', age: 85 });
      });

      log(users.get('ada')?.age); // 36: reads need no transaction
      for (const [id, user] of users.range({ gte: 'a', lt: 'b' })) log(id, user.name);

      store.transaction(() => users.delete('alan'), { flush: false }); // durable at the next flush
      store.flush();
      store.close();
      // ---- README example end
      expect(lines).toEqual([[36], ['ada', 'Ada'], ['alan', 'Alan']]);
      const again = Store.open(dir);
      expect([...again.btree('users').keys()]).toEqual(['ada', 'grace']);
      again.close();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
