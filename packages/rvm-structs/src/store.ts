/**
 * Store: the entry point for applications. It opens a directory with RVM,
 * keeps one growable data segment with a heap in it, and a catalog of named
 * collections (B-trees, hash maps, lists) that are created on first use and
 * found again by name after a restart or a crash.
 *
 * Transactions. store.transaction(fn) begins a transaction, runs fn, and
 * commits when fn returns (a flush commit unless the store or the call says
 * no-flush) or aborts when fn throws, restoring every byte fn changed, and
 * rethrows. A transaction(fn) inside another joins it: RVM has no nesting, so
 * if the inner fn throws and the outer fn catches that and returns, the whole
 * transaction is aborted anyway and TRANSACTION_ABORTED is thrown (committing
 * half of the inner work would break its atomicity). fn must be synchronous:
 * a returned promise is refused (the transaction aborts) because RVM
 * transactions cannot stay open across an await.
 *
 * Outside a transaction. Reads never need one. A mutation of a collection
 * outside any transaction throws NO_TRANSACTION: it is never silently made
 * durable on its own (which would cost a log sync per call in a loop and
 * split what the caller meant to be atomic). Store-level operations (creating
 * a collection on first use, drop) run in their own transaction when none is
 * open, and join the open one otherwise.
 *
 * Invariants:
 * - ctx.current is the open transaction of transaction(fn), or null; only
 *   this class sets it. ctx.generation changes whenever one ends.
 * - Every handle given out is in `handles` under its collection's name until
 *   the collection is dropped, its creation is aborted, or the store closes;
 *   each of those makes the handle refuse further use (it would read freed
 *   blocks otherwise).
 */
import type { RvmOptions, Segment, Storage, Transaction } from '@rvm/core';
import { Rvm, RvmError } from '@rvm/core';
import { Heap, HEAP_SIZE_MAX, HEAP_SIZE_MIN } from '@rvm/alloc';
import type { BTree, BTreeOptions } from './btree/btree.js';
import type { Key } from './codec/key-codec.js';
import { StructContext } from './core/struct-context.js';
import { StructError } from './core/struct-error.js';
import { readTable, STRUCTURES_ROOT } from './core/structure-table.js';
import type { HashMap, HashMapOptions } from './hash-map/hash-map.js';
import type { List, ListOptions } from './list/list.js';
import { Catalog, checkName } from './store/catalog.js';
import { COLLECTION_KINDS } from './store/kinds.js';
import type { CollectionKind } from './store/kinds.js';
import { checkStoreFormat, STORE_FORMAT_ROOT, writeStoreFormat } from './store/store-format.js';

export type Durability = 'flush' | 'no-flush';

export interface StoreOptions {
  /** File system to use; the real one by default. Tests pass a SimStorage. */
  readonly storage?: Storage;
  /** Bytes of the data segment when the store is created. Default 1 MiB. */
  readonly segmentSize?: number;
  /** The data segment grows by itself (by half, in 4 KiB steps) up to this many bytes. Default HEAP_SIZE_MAX (4 GiB - 8). */
  readonly sizeMax?: number;
  /** How transactions commit unless a call says otherwise. Default 'flush'. */
  readonly durability?: Durability;
  /** Options for the underlying Rvm (log size, batch size, logger). */
  readonly rvmOptions?: Omit<RvmOptions, 'storage'>;
}

export interface TransactionOptions {
  /** true: a flush commit (durable on return); false: no-flush (durable at the next flush). Default: the store's durability. */
  readonly flush?: boolean;
}

export interface CollectionInfo {
  readonly name: string;
  readonly kind: string;
}

export const DATA_SEGMENT = 'data';
/** The commit options, made once: no object per transaction. */
const COMMIT_FLUSH = Object.freeze({ flush: true });
const COMMIT_NO_FLUSH = Object.freeze({ flush: false });
export const SEGMENT_SIZE_DEFAULT = 1024 * 1024;

interface HandleRecord {
  readonly kind: string;
  readonly options: object | undefined;
  readonly handle: unknown;
}

export class Store {
  /** The context every collection of this store works in. */
  readonly ctx: StructContext;
  private readonly catalog: Catalog;
  private readonly flushDefault: boolean;
  private readonly handles = new Map<string, HandleRecord[]>();
  /** Names created in the open transaction: their handles die if it aborts. */
  private readonly createdInTransaction: string[] = [];
  /** Whether a nested transaction(fn) threw inside the open transaction, and what. */
  private nestedFailed = false;
  private nestedError: unknown = undefined;
  private closed = false;

  private constructor(
    readonly rvm: Rvm,
    readonly segment: Segment,
    ctx: StructContext,
    catalog: Catalog,
    durability: Durability,
  ) {
    this.ctx = ctx;
    this.catalog = catalog;
    this.flushDefault = durability === 'flush';
  }

  /**
   * Opens (creating if missing) the store in `dir`, recovering it after a
   * crash. The data segment is created and formatted on first open.
   */
  static open(dir: string, options: StoreOptions = {}): Store {
    const durability = options.durability ?? 'flush';
    if (durability !== 'flush' && durability !== 'no-flush') {
      throw new StructError('INVALID_ARGUMENT', `durability is 'flush' or 'no-flush'; got ${String(durability)}.`, { durability });
    }
    const segmentSize = options.segmentSize ?? SEGMENT_SIZE_DEFAULT;
    const sizeMax = options.sizeMax ?? HEAP_SIZE_MAX;
    if (!Number.isInteger(segmentSize) || segmentSize < HEAP_SIZE_MIN || !Number.isInteger(sizeMax) || sizeMax < segmentSize || sizeMax > HEAP_SIZE_MAX) {
      throw new StructError('INVALID_ARGUMENT', `segmentSize must be an integer from ${HEAP_SIZE_MIN} and sizeMax one from segmentSize to ${HEAP_SIZE_MAX}; got ${String(segmentSize)} and ${String(sizeMax)}.`, { segmentSize, sizeMax });
    }
    const rvmOptions: RvmOptions = options.storage === undefined ? { ...options.rvmOptions } : { ...options.rvmOptions, storage: options.storage };
    const rvm = Rvm.open(dir, rvmOptions);
    try {
      const exists = rvm.listSegments().some((s) => s.name === DATA_SEGMENT);
      const segment = exists ? rvm.map(DATA_SEGMENT) : rvm.map(DATA_SEGMENT, segmentSize);
      const heapSizeMax = Math.max(sizeMax, segment.size - (segment.size % 8));
      if (!Heap.isFormatted(segment)) {
        // A new store, or one whose first transaction never committed: format it now.
        const tx = rvm.begin();
        const heap = Heap.format(rvm, tx, segment, { sizeMax: heapSizeMax });
        const ctx = new StructContext(rvm, segment, heap);
        ctx.current = tx;
        const catalog = Catalog.create(ctx);
        writeStoreFormat(ctx);
        tx.commit();
        ctx.current = null;
        return new Store(rvm, segment, ctx, catalog, durability);
      }
      const heap = Heap.open(rvm, segment, { sizeMax: heapSizeMax });
      const ctx = new StructContext(rvm, segment, heap);
      // Before anything else is read: a store in a newer format is refused, not misread.
      const version = checkStoreFormat(ctx, dir);
      const catalog = Catalog.open(ctx);
      if (catalog === null) {
        throw new StructError('STRUCT_CORRUPT', `The data segment of ${dir} holds a heap without a catalog root; it was not written by a Store. Open it with Heap.open instead.`, { dir });
      }
      if (version === 0) addStoreFormat(rvm, ctx);
      return new Store(rvm, segment, ctx, catalog, durability);
    } catch (e) {
      rvm.close();
      throw e;
    }
  }

  // ------------------------------------------------------------ collections

  /** The B-tree named `name`, created empty on first use. */
  btree<K extends Key = Key, V = unknown>(name: string, options?: BTreeOptions<V>): BTree<K, V> {
    return this.collection('btree', name, options) as BTree<K, V>;
  }

  /** The hash map named `name`, created empty on first use. */
  hashMap<K extends Key = Key, V = unknown>(name: string, options?: HashMapOptions<V>): HashMap<K, V> {
    return this.collection('hash-map', name, options) as HashMap<K, V>;
  }

  /** The list named `name`, created empty on first use. */
  list<V = unknown>(name: string, options?: ListOptions<V>): List<V> {
    return this.collection('list', name, options) as List<V>;
  }

  /**
   * The collection of `kind` (a key of COLLECTION_KINDS) named `name`,
   * created on first use. WRONG_KIND when the name holds another kind.
   */
  collection(kind: string, name: string, options?: object): unknown {
    this.checkOpen();
    checkName(name);
    const kindOps = kindFor(kind);
    const records = this.handles.get(name);
    if (records !== undefined) {
      for (const record of records) {
        if (record.kind === kind && sameOptions(record.options, options)) return record.handle;
      }
    }
    let entry = this.catalog.get(name);
    if (entry === undefined) {
      this.run(() => {
        const header = kindOps.create(this.ctx, options as never);
        try {
          this.catalog.put(name, { kind, header });
        } catch (e) {
          // Not in the catalog: free it, so that a caller who catches the error (OUT_OF_SPACE) and commits leaks nothing.
          kindOps.destroy(kindOps.open(this.ctx, header, options as never) as never);
          throw e;
        }
        entry = { kind, header };
        this.createdInTransaction.push(name);
      });
    }
    if (entry!.kind !== kind) {
      throw new StructError('WRONG_KIND', `"${name}" is a ${entry!.kind}, not a ${kind}. Open it as a ${entry!.kind}, or drop it first.`, { name, kind: entry!.kind, asked: kind });
    }
    const handle = kindOps.open(this.ctx, entry!.header, options as never);
    const record: HandleRecord = { kind, options, handle };
    if (records === undefined) this.handles.set(name, [record]);
    else records.push(record);
    return handle;
  }

  /** Whether a collection named `name` exists. */
  has(name: string): boolean {
    this.checkOpen();
    checkName(name);
    return this.catalog.get(name) !== undefined;
  }

  /** Names of every collection, in name order. */
  names(): string[] {
    this.checkOpen();
    return this.catalog.entries().map(([name]) => name);
  }

  /** Every collection with its kind, in name order. */
  collections(): CollectionInfo[] {
    this.checkOpen();
    return this.catalog.entries().map(([name, entry]) => ({ name, kind: entry.kind }));
  }

  /**
   * Deletes the collection named `name` and frees its blocks (in the open
   * transaction, or its own). Returns whether it existed. Every handle on it
   * refuses further use (NOT_FOUND), even if the transaction aborts; take a
   * new one from the store then.
   */
  drop(name: string): boolean {
    this.checkOpen();
    checkName(name);
    const entry = this.catalog.get(name);
    if (entry === undefined) return false;
    const kindOps = kindFor(entry.kind);
    this.run(() => {
      const handle = kindOps.open(this.ctx, entry.header, undefined);
      kindOps.destroy(handle as never);
      this.catalog.delete(name);
    });
    this.forgetHandles(name);
    return true;
  }

  // ----------------------------------------------------------- transactions

  /**
   * Runs fn in a transaction: commits when it returns, aborts and rethrows when
   * it throws. Joins the open transaction when called inside one. Returns fn's result.
   */
  transaction<T>(fn: () => T, options?: TransactionOptions): T {
    this.checkOpen();
    const ctx = this.ctx;
    if (ctx.current !== null) return this.joined(fn);
    const flush = options?.flush ?? this.flushDefault;
    const tx = this.rvm.begin();
    ctx.current = tx;
    this.nestedFailed = false;
    this.nestedError = undefined;
    let result: T;
    try {
      result = fn();
      if (isPromiseLike(result)) throw asyncRefused(result);
      if (this.nestedFailed) {
        const cause = this.nestedError;
        throw new StructError('TRANSACTION_ABORTED', 'A nested transaction threw and its error was caught, so the whole transaction was aborted: RVM cannot undo part of one. Let the nested error propagate, or catch it outside the outermost transaction.', { cause });
      }
    } catch (e) {
      this.endAborted(tx);
      throw e;
    }
    try {
      tx.commit(flush ? COMMIT_FLUSH : COMMIT_NO_FLUSH);
    } catch (e) {
      // The commit did not take effect (POISONED, LIMIT_EXCEEDED, ...): undo what fn did.
      this.endAborted(tx);
      throw e;
    }
    // Setting an array's length is a runtime call (about 25 ns even when it is 0 already): skip it on the usual path.
    if (this.createdInTransaction.length !== 0) this.createdInTransaction.length = 0;
    ctx.current = null;
    ctx.generation++;
    return result;
  }

  /** Whether a transaction(fn) is running. */
  get inTransaction(): boolean {
    return this.ctx.current !== null;
  }

  /** Makes every no-flush commit durable (writes and syncs the log). */
  flush(): void {
    this.checkOpen();
    this.rvm.flush();
  }

  /**
   * Flushes and closes the store; every handle and iterator refuses further
   * use. Refused inside a transaction. Calling close twice is harmless.
   */
  close(): void {
    if (this.closed) return;
    if (this.ctx.current !== null) {
      throw new StructError('INVALID_ARGUMENT', 'close() inside a transaction: let the transaction end first.', {});
    }
    this.closed = true;
    this.handles.clear();
    this.ctx.generation++;
    this.rvm.close();
  }

  /**
   * Checks everything: the heap, the format block, the catalog, every collection, and that the
   * heap's allocated blocks are exactly the ones the collections own (no
   * block leaked, none shared). Throws the first violation (STRUCT_CORRUPT,
   * HEAP_CORRUPT).
   */
  verify(): void {
    this.checkOpen();
    const heap = this.ctx.heap;
    heap.verify();
    let owned = this.catalog.tree.stats().blockSize;
    if (checkStoreFormat(this.ctx, this.rvm.dir) !== 0) owned += heap.usableSize(heap.getRoot(STORE_FORMAT_ROOT));
    const table = heap.getRoot(STRUCTURES_ROOT);
    if (table !== 0) {
      // The value structure table of the segment's record codec (core/record-codec.ts).
      const usable = heap.usableSize(table);
      readTable(this.ctx.bytes, table, usable);
      owned += usable;
    }
    for (const [name, entry] of this.catalog.entries()) {
      const kindOps = COLLECTION_KINDS[entry.kind];
      if (kindOps === undefined) {
        throw new StructError('STRUCT_CORRUPT', `The catalog names an unknown kind "${entry.kind}" for "${name}".`, { name, kind: entry.kind });
      }
      owned += kindOps.verify(kindOps.open(this.ctx, entry.header, undefined) as never);
    }
    const allocated = heap.stats().usableSize;
    if (owned !== allocated) {
      throw new StructError('STRUCT_CORRUPT', `The collections own ${owned} bytes of blocks but the heap has ${allocated} allocated: ${allocated > owned ? 'a block leaked' : 'a block is shared'}.`, { owned, allocated });
    }
  }

  // ---------------------------------------------------------------- private

  private checkOpen(): void {
    if (this.closed) throw new RvmError('CLOSED', 'The store is closed. Open it again with Store.open().', {});
  }

  /** Runs a store-level operation in the open transaction, or in its own. */
  private run(fn: () => void): void {
    if (this.ctx.current !== null) fn();
    else this.transaction(fn);
  }

  private joined<T>(fn: () => T): T {
    try {
      const result = fn();
      if (isPromiseLike(result)) throw asyncRefused(result);
      return result;
    } catch (e) {
      if (!this.nestedFailed) {
        this.nestedFailed = true;
        this.nestedError = e;
      }
      throw e;
    }
  }

  private endAborted(tx: Transaction): void {
    const ctx = this.ctx;
    try {
      if (tx.open) tx.abort();
    } finally {
      ctx.current = null;
      ctx.generation++;
      this.nestedFailed = false;
      this.nestedError = undefined;
      for (const name of this.createdInTransaction) this.forgetHandles(name);
      this.createdInTransaction.length = 0;
    }
  }

  private forgetHandles(name: string): void {
    const records = this.handles.get(name);
    if (records === undefined) return;
    for (const record of records) kindFor(record.kind).invalidate(record.handle);
    this.handles.delete(name);
  }

}

/**
 * Gives a store made before the format block existed its block (version 1,
 * the format it is in), in a transaction of its own. A heap with no root or
 * no space left keeps the store as it is: it opens all the same.
 */
function addStoreFormat(rvm: Rvm, ctx: StructContext): void {
  const tx = rvm.begin();
  ctx.current = tx;
  try {
    writeStoreFormat(ctx);
    tx.commit();
  } catch (e) {
    if (tx.open) tx.abort();
    const code = (e as { code?: unknown }).code;
    if (code !== 'ROOTS_FULL' && code !== 'OUT_OF_SPACE') throw e;
  } finally {
    ctx.current = null;
    ctx.generation++;
  }
}

function kindFor(kind: string): CollectionKind<unknown, unknown> {
  const ops = COLLECTION_KINDS[kind];
  if (ops === undefined) {
    throw new StructError('INVALID_ARGUMENT', `Unknown collection kind "${kind}"; the kinds are ${Object.keys(COLLECTION_KINDS).join(', ')}.`, { kind });
  }
  return ops as CollectionKind<unknown, unknown>;
}

/** Options are the same when they are the same object or hold the same values (codecs and schemas by identity). */
function sameOptions(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  const x = (a ?? {}) as Record<string, unknown>;
  const y = (b ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const key of keys) if (x[key] !== y[key]) return false;
  return true;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

function asyncRefused(result: PromiseLike<unknown>): StructError {
  // The abandoned promise's own failure (its code runs later, outside any transaction) is not reported twice.
  void Promise.resolve(result).catch(() => undefined);
  return new StructError('INVALID_ARGUMENT', 'transaction(fn): fn returned a promise. RVM transactions are synchronous and cannot stay open across an await: do the asynchronous work first, then make the changes in a synchronous fn.', {});
}
