/**
 * KvStore: an embedded key-value store. String keys in byte order, plain JSON
 * values, in one B-tree of an @rvm/structs Store (one directory, one process).
 *
 * Every write is a transaction: a lone put or del commits on its own, and
 * batch(fn) makes everything fn writes one transaction that commits when fn
 * returns and leaves no trace when it throws. With durability 'flush' (the
 * default) a commit is on disk when the call returns; with 'no-flush' it is
 * on disk after the next flush(), close(), or import() return, and a crash
 * before that loses it together with every later commit (never an earlier
 * one, never part of one).
 *
 * Invariants:
 * - Every key in the tree is a string of at most keySizeMax encoded bytes and
 *   every value is plain JSON: both are checked before a transaction begins,
 *   so a refused write inside a batch leaves the batch usable.
 * - The store holds one collection, the B-tree named TREE_NAME.
 */
import type { Storage } from '@rvm/core';
import { encodeKey, isCodecError, Store } from '@rvm/structs';
import type { BTree, Durability } from '@rvm/structs';
import { checkJson } from './json-value.js';
import type { Json } from './json-value.js';
import { formatEntry, isBlank, parseEntry } from './json-lines.js';
import type { BatchOp, PutOp } from './json-lines.js';
import { isKvError, KvError } from './kv-error.js';
import { toRange } from './key-range.js';
import type { ScanOptions } from './key-range.js';
import type { KvStats } from './kv-stats.js';
import { collectStats } from './kv-stats.js';

export interface KvOpenOptions {
  /** 'flush' (default): each commit is on disk when it returns. 'no-flush': at the next flush() or close(). */
  readonly durability?: Durability;
  /** The file system; the real one by default. Tests pass a SimStorage. */
  readonly storage?: Storage;
  /** Bytes of the data segment when the store is created (it grows by itself). Default 1 MiB. */
  readonly segmentSize?: number;
}

export interface ImportProgress {
  /** Lines read so far, blank ones included. */
  readonly lineCount: number;
  /** Bytes of those lines, with their newlines. */
  readonly byteCount: number;
  /** Keys written so far (committed). */
  readonly putCount: number;
}

export interface ImportOptions {
  /** Lines per transaction. Default IMPORT_BATCH_SIZE. */
  readonly batchSize?: number;
  /** Called after each committed batch. */
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportReport extends ImportProgress {
  readonly batchCount: number;
}

export const TREE_NAME = 'kv';
export const IMPORT_BATCH_SIZE = 1000;

export class KvStore {
  private constructor(
    /** The directory of the store. */
    readonly dir: string,
    readonly durability: Durability,
    private readonly store: Store,
    private readonly tree: BTree<string, Json>,
  ) {}

  /** Opens the store in `dir`, creating it if missing and recovering it after a crash. LOCKED if another process has it open. */
  static open(dir: string, options: KvOpenOptions = {}): KvStore {
    const durability = options.durability ?? 'flush';
    const { storage, segmentSize } = options;
    const store = Store.open(dir, { durability, ...(storage === undefined ? {} : { storage }), ...(segmentSize === undefined ? {} : { segmentSize }) });
    try {
      return new KvStore(dir, durability, store, store.btree<string, Json>(TREE_NAME));
    } catch (e) {
      store.close();
      throw e;
    }
  }

  /** The longest key, in encoded bytes (a key's UTF-8 bytes plus 2, plus 1 per NUL character). */
  get keySizeMax(): number {
    return this.tree.keySizeMax;
  }

  get(key: string): Json | undefined {
    this.checkKey(key);
    return this.tree.get(key);
  }

  has(key: string): boolean {
    this.checkKey(key);
    return this.tree.has(key);
  }

  /** Sets `key` to `value`: its own transaction, or part of the open batch. */
  put(key: string, value: Json): void {
    this.checkKey(key);
    checkJson(value);
    const tree = this.tree;
    this.store.transaction(() => tree.put(key, value));
  }

  /** Deletes `key`; returns whether it was there. A missing key commits nothing. */
  del(key: string): boolean {
    this.checkKey(key);
    const tree = this.tree;
    if (!tree.has(key)) return false;
    return this.store.transaction(() => tree.delete(key));
  }

  /**
   * Runs fn as one transaction: every put and del it makes commits together
   * when it returns, or none does when it throws (the error is rethrown).
   * Reads inside fn see fn's own writes. fn must be synchronous. A batch
   * inside a batch joins it.
   */
  batch<T>(fn: (kv: this) => T): T {
    return this.store.transaction(() => fn(this));
  }

  /** Applies `ops` as one batch; every op is checked before anything is written. */
  apply(ops: readonly BatchOp[]): void {
    for (const op of ops) {
      this.checkKey(op.key);
      if (op.op === 'put') checkJson(op.value);
    }
    const tree = this.tree;
    this.store.transaction(() => {
      for (const op of ops) {
        if (op.op === 'put') tree.put(op.key, op.value);
        else tree.delete(op.key);
      }
    });
  }

  /**
   * Entries in key order (or reversed) within the bounds: `from` inclusive,
   * `to` exclusive, `prefix`, `limit`. The iterator sees each key at most once
   * and the value it has when it is returned, even across writes.
   */
  scan(options: ScanOptions = {}): IterableIterator<[string, Json]> {
    return this.tree.range(toRange(options));
  }

  keys(options: ScanOptions = {}): IterableIterator<string> {
    return this.tree.keys(toRange(options));
  }

  /** The number of keys within the bounds (all keys by default). */
  count(options: ScanOptions = {}): number {
    const { prefix, from, to, limit } = options;
    if (prefix === undefined && from === undefined && to === undefined && limit === undefined) return this.tree.size;
    let count = 0;
    for (const _key of this.tree.keys(toRange(options))) count++;
    return count;
  }

  /**
   * Reads JSON lines ({"key": ..., "value": ...}) and puts each, `batchSize`
   * lines per transaction. Returns when every batch is durable. A malformed
   * line stops the import with INVALID_LINE (details.lineNumber): the batches
   * before its batch stay written, nothing from its batch on is.
   */
  async import(lines: Iterable<string> | AsyncIterable<string>, options: ImportOptions = {}): Promise<ImportReport> {
    const batchSize = options.batchSize ?? IMPORT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new KvError('INVALID_ARGUMENT', `batchSize must be a positive integer; got ${String(batchSize)}.`, { batchSize });
    let batch: PutOp[] = [];
    let lineCount = 0;
    let byteCount = 0;
    let putCount = 0;
    let batchCount = 0;
    let committedLineCount = 0;
    const commit = (): void => {
      this.apply(batch);
      putCount += batch.length;
      batchCount++;
      committedLineCount = lineCount;
      batch = [];
      options.onProgress?.({ lineCount, byteCount, putCount });
    };
    try {
      for await (const line of lines) {
        lineCount++;
        byteCount += Buffer.byteLength(line) + 1;
        if (isBlank(line)) continue;
        const op = parseEntry(line, lineCount);
        this.checkKey(op.key);
        batch.push(op);
        if (batch.length >= batchSize) commit();
      }
      if (batch.length > 0) commit();
    } catch (e) {
      if (isKvError(e) && e.details.lineNumber === undefined) {
        throw new KvError(e.code, `Line ${lineCount}: ${e.reason} Lines 1 to ${committedLineCount} were imported.`, { ...e.details, lineNumber: lineCount, importedLineCount: committedLineCount });
      }
      if (isKvError(e, 'INVALID_LINE')) {
        throw new KvError('INVALID_LINE', `${e.reason} Lines 1 to ${committedLineCount} were imported.`, { ...e.details, importedLineCount: committedLineCount });
      }
      throw e;
    } finally {
      if (batchCount > 0) this.store.flush();
    }
    return { lineCount, byteCount, putCount, batchCount };
  }

  /** The entries within the bounds as JSON lines (without newlines), in key order. */
  *export(options: ScanOptions = {}): Generator<string> {
    for (const [key, value] of this.scan(options)) yield formatEntry(key, value);
  }

  /** Counts and sizes: keys, the tree's shape, the segment, the heap and the log. Walks the whole tree. */
  stats(): KvStats {
    return collectStats(this.store, this.tree, this.durability);
  }

  /** Makes every no-flush commit durable. */
  flush(): void {
    this.store.flush();
  }

  /** Checks every invariant of the store; throws STRUCT_CORRUPT or HEAP_CORRUPT. */
  verify(): void {
    this.store.verify();
  }

  /** Flushes and closes; every later call throws CLOSED. Closing twice is harmless. */
  close(): void {
    this.store.close();
  }

  private checkKey(key: string): void {
    if (typeof key !== 'string') throw new KvError('INVALID_KEY', `A key is a string; got ${typeof key}.`, { type: typeof key });
    let size: number;
    try {
      size = encodeKey(key).length;
    } catch (e) {
      if (isCodecError(e)) throw new KvError('INVALID_KEY', `The key cannot be stored: ${e.message}`, { key });
      throw e;
    }
    if (size > this.tree.keySizeMax) {
      throw new KvError('KEY_TOO_LARGE', `The key encodes to ${size} bytes; keys may have at most ${this.tree.keySizeMax}. Use a shorter key (for example a hash of it).`, { size, sizeMax: this.tree.keySizeMax });
    }
  }
}
