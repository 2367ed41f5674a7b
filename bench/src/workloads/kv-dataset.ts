import { assert } from '../assert.js';

/**
 * The key-value data every kv subject stores: entry j has a 16-byte key (16 lowercase hex
 * characters, so the same bytes are a Buffer key, a TEXT key and a JS string key, and byte
 * order equals string order) and a decoded value object that msgpack encodes to ~100 bytes.
 * Keys are a bijective hash of j, so entry order is random key order; stores are loaded in
 * key order (rank 0, 1, 2, ... of sortedKeys), the way a bulk load would, which keeps the
 * load of 10^6 entries to seconds. Puts, gets and scans then pick entries at random.
 */
export interface KvValue {
  id: number;
  /** 0 when loaded; the opIndex of the put that last wrote it. */
  version: number;
  name: string;
  balance: number;
  active: boolean;
  tags: string[];
  createdAt: number;
}

export const KV_KEY_SIZE = 16;

export class KvDataset {
  readonly entryCount: number;
  /** keys[j] is entry j's key. */
  readonly keys: readonly string[];
  /** All keys in byte order; range scans start at a rank in this array. */
  readonly sortedKeys: readonly string[];
  /** sortedEntryIndexes[rank] is the entry whose key is sortedKeys[rank]. */
  readonly sortedEntryIndexes: Int32Array;

  constructor(entryCount: number) {
    assert(Number.isInteger(entryCount) && entryCount > 0, 'entryCount is a positive integer');
    assert(entryCount <= 0x7fff_ffff, 'entry indexes fit an Int32Array');
    const keys = new Array<string>(entryCount);
    const highs = new Uint32Array(entryCount);
    for (let entryIndex = 0; entryIndex < entryCount; entryIndex++) {
      keys[entryIndex] = keyOf(entryIndex);
      highs[entryIndex] = fmix32(entryIndex);
    }
    // The first 8 hex characters are fmix32(j), unique and fixed-width, so ordering by that
    // number is byte order of the keys (LMDB's and SQLite's order) and cheaper than strings.
    const order = new Int32Array(entryCount);
    for (let entryIndex = 0; entryIndex < entryCount; entryIndex++) order[entryIndex] = entryIndex;
    order.sort((a, b) => highs[a]! - highs[b]!);
    const sortedKeys = new Array<string>(entryCount);
    for (let rank = 0; rank < entryCount; rank++) sortedKeys[rank] = keys[order[rank]!]!;
    for (let rank = 1; rank < Math.min(entryCount, 1000); rank++) assert(sortedKeys[rank - 1]! < sortedKeys[rank]!, 'keys sort as strings');
    this.entryCount = entryCount;
    this.keys = keys;
    this.sortedKeys = sortedKeys;
    this.sortedEntryIndexes = order;
  }

  /** Entry j's value at `version`; a new object each call, as an application would build it. */
  value(entryIndex: number, version: number): KvValue {
    return {
      id: entryIndex,
      version,
      name: `user-${entryIndex.toString().padStart(8, '0')}`,
      balance: (entryIndex * 7919) % 100_000,
      active: (entryIndex & 1) === 0,
      tags: ['alpha', 'beta'],
      createdAt: 1_700_000_000_000 + entryIndex,
    };
  }
}

/** 16 hex characters: two different 32-bit finalizer hashes of j (each a bijection). */
export function keyOf(entryIndex: number): string {
  const high = fmix32(entryIndex);
  const low = fmix32((entryIndex ^ 0x9e37_79b9) >>> 0);
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

function fmix32(input: number): number {
  let hash = input >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85eb_ca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2_ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

const datasets = new Map<number, KvDataset>();

/** One dataset per size per process, shared by every workload and subject. */
export function datasetOf(entryCount: number): KvDataset {
  let dataset = datasets.get(entryCount);
  if (dataset === undefined) {
    dataset = new KvDataset(entryCount);
    datasets.set(entryCount, dataset);
  }
  return dataset;
}

/** Throws unless `value` is entry `entryIndex`'s value: every get and scan checks what it read. */
export function checkValue(value: KvValue | undefined, entryIndex: number): void {
  if (value === undefined || value.id !== entryIndex) {
    throw new Error(`bench assertion failed: entry ${entryIndex} read back as ${JSON.stringify(value)}`);
  }
}
