/**
 * The store format block (src/store/store-format.ts): written with a new
 * store, added to a store made before it existed, and a store of a newer
 * version or with a damaged block refused before anything is read or written.
 */
import { Buffer } from 'node:buffer';
import { Rvm } from '@rvm/core';
import type { Segment, Transaction } from '@rvm/core';
import { isSimCrash, type SimStorage } from '@rvm/core/testing';
import { Heap } from '@rvm/alloc';
import { describe, expect, it } from 'vitest';
import { Store } from '../src/index.js';
import { STORE_FORMAT_ROOT, STORE_FORMAT_SIZE, STORE_FORMAT_VERSION } from '../src/store/store-format.js';
import { DIR, errorOf, openStore } from './btree-support.js';

const SIZE_MAX = 64 * 1024 * 1024;

/** A store with a little data in each kind of collection, closed. */
function storeWithData(): SimStorage {
  const { store, storage } = openStore();
  store.transaction(() => {
    store.btree<string, { n: number }>('tree').put('a', { n: 1 });
    store.hashMap<string, number>('map').set('b', 2);
    store.list<string>('list').push('c');
  });
  store.close();
  return storage;
}

function expectData(store: Store): void {
  expect(store.btree<string, { n: number }>('tree').get('a')).toEqual({ n: 1 });
  expect(store.hashMap<string, number>('map').get('b')).toBe(2);
  expect(store.list<string>('list').at(0)).toBe('c');
}

/** Changes the closed store's heap directly, in one committed transaction. */
function editHeap(storage: SimStorage, edit: (heap: Heap, tx: Transaction, segment: Segment) => void): void {
  const rvm = Rvm.open(DIR, { storage });
  const segment = rvm.map('data');
  const heap = Heap.open(rvm, segment, { sizeMax: SIZE_MAX });
  const tx = rvm.begin();
  edit(heap, tx, segment);
  tx.commit();
  rvm.close();
}

/** A store as made before the format block existed: storeWithData without its block. */
function storeWithoutBlock(): SimStorage {
  const storage = storeWithData();
  editHeap(storage, (heap, tx) => {
    const block = heap.getRoot(STORE_FORMAT_ROOT);
    heap.setRoot(tx, STORE_FORMAT_ROOT, 0);
    heap.free(tx, block);
  });
  return storage;
}

function writeFormatBytes(storage: SimStorage, at: number, bytes: number[]): void {
  editHeap(storage, (heap, tx, segment) => {
    const block = heap.getRoot(STORE_FORMAT_ROOT);
    tx.setRange(segment, block + at, bytes.length);
    Buffer.from(bytes).copy(segment.bytes, block + at);
  });
}

describe('Store format block', () => {
  it('a new store has one, with the magic and this library version (golden bytes)', () => {
    const { store } = openStore();
    const block = store.ctx.heap.getRoot(STORE_FORMAT_ROOT);
    expect(block).not.toBe(0);
    expect(STORE_FORMAT_VERSION).toBe(1);
    expect(Buffer.from(store.segment.bytes.subarray(block, block + STORE_FORMAT_SIZE)).toString('hex')).toBe('52565346' + '0100' + '00'.repeat(10));
    store.verify();
    store.close();
  });

  it('refuses a store of a newer version (FORMAT_UNSUPPORTED) and changes nothing', () => {
    const storage = storeWithData();
    writeFormatBytes(storage, 4, [2, 0]);
    const error = errorOf(() => openStore({}, storage));
    expect(error.code).toBe('FORMAT_UNSUPPORTED');
    expect(error.details).toEqual({ version: 2, supported: 1 });
    expect(error.message).toContain('newer version');
    // The refused open released the store and left its data as it was.
    writeFormatBytes(storage, 4, [1, 0]);
    const { store } = openStore({}, storage);
    expectData(store);
    store.verify();
    store.close();
  });

  it('gives a store made before the block existed its block at open, keeping its data', () => {
    const storage = storeWithoutBlock();
    const { store } = openStore({}, storage);
    expect(store.ctx.heap.getRoot(STORE_FORMAT_ROOT)).not.toBe(0);
    expectData(store);
    store.verify();
    store.close();
    // The block was committed: the next open finds it.
    const again = openStore({}, storage).store;
    again.verify();
    again.close();
  });

  it('a crash at any storage call of that open leaves the store as it was or with its block, never damaged', () => {
    const old = storeWithoutBlock();
    const dry = old.clone();
    const first = dry.opCount;
    openStore({}, dry).store.close();
    const last = dry.opCount;
    expect(last).toBeGreaterThan(first);
    const outcomes = { withBlock: 0, without: 0 };
    for (let at = first; at <= last; at++) {
      const storage = old.clone();
      storage.crashAt(at, at);
      try {
        openStore({}, storage).store.close();
      } catch (e) {
        if (!isSimCrash(e)) throw e;
      }
      storage.recoverFromCrash();
      // What the crash left, read without changing it: the heap alone.
      editHeap(storage, (heap) => {
        if (heap.getRoot(STORE_FORMAT_ROOT) === 0) outcomes.without++;
        else outcomes.withBlock++;
      });
      const { store } = openStore({}, storage);
      expect(store.ctx.heap.getRoot(STORE_FORMAT_ROOT)).not.toBe(0);
      expectData(store);
      store.verify();
      store.close();
    }
    // Crashes before the commit's sync leave the old store, crashes after it the block.
    expect(outcomes.without).toBeGreaterThan(0);
    expect(outcomes.withBlock).toBeGreaterThan(0);
  });

  it('opens such an old store all the same when its heap has no free root, without a block', () => {
    const storage = storeWithoutBlock();
    editHeap(storage, (heap, tx) => {
      for (let i = 0; heap.roots().length < 32; i++) heap.setRoot(tx, `r${i}`, heap.alloc(tx, 8));
    });
    const { store } = openStore({}, storage);
    expect(store.ctx.heap.getRoot(STORE_FORMAT_ROOT)).toBe(0);
    expectData(store);
    store.close();
  });

  it('reports a damaged block as STRUCT_CORRUPT: wrong magic, version 0, a non-zero reserved byte', () => {
    for (const [at, bytes] of [[0, [0x52, 0x56, 0x53, 0x47]], [4, [0, 0]], [15, [1]]] as const) {
      const storage = storeWithData();
      writeFormatBytes(storage, at, [...bytes]);
      expect(errorOf(() => openStore({}, storage)).code).toBe('STRUCT_CORRUPT');
    }
  });
});
