/**
 * HashMap benchmark (`npx pnpm@10.34.9 exec tsx --conditions=source
 * packages/rvm-structs/bench/hash-map.ts` from the repository root;
 * BENCH_QUICK=1 for 100,000 entries instead of 1,000,000).
 *
 * A HashMap on the real file system, loaded with string keys ("user:" and 7
 * digits) and MessagePack objects of about 80 bytes, measured against, in the
 * same process:
 * - memory: a Map from the same keys to the same MessagePack bytes, decoded
 *   on every get with the same codec (the in-memory floor of a decoded get);
 * - lmdb: the lmdb package with msgpack encoding, when it can be resolved from
 *   the repository's bench/ package (a peer: a memory-mapped B-tree).
 * Workloads:
 * 1. load in transactions of 1,000 sets (no-flush commits);
 * 2. random point gets returning decoded values (hits), and has() on misses;
 * 3. single-set transactions updating existing keys (no-flush commits);
 * 4. iteration over every entry, decoded;
 * and the shape the load left: buckets, overflow pages, bytes per entry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rvm } from '@rvm/core';
import { Heap } from '@rvm/alloc';
import type { ValueCodec } from '../src/codec/index.js';
import { StructContext } from '../src/core/struct-context.js';
import { HashMap } from '../src/hash-map/index.js';
import { openLmdb } from './measure.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ENTRY_COUNT = QUICK ? 100_000 : 1_000_000;
const GET_COUNT = QUICK ? 200_000 : 1_000_000;
const UPDATE_COUNT = QUICK ? 30_000 : 100_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 5));

interface User {
  id: number;
  name: string;
  email: string;
  city: string;
  score: number;
  active: boolean;
}

const keyOf = (i: number): string => `user:${String(i).padStart(7, '0')}`;
const userOf = (i: number): User => ({ id: i, name: `User ${i}`, email: `user${i}@example.com`, city: ['Lyon', 'Oslo', 'Lima', 'Kyiv'][i & 3]!, score: (i * 7919) % 1000, active: (i & 1) === 0 });

/** mulberry32: the same random positions for every subject. */
function randomIndexes(count: number, below: number, seed: number): Int32Array {
  const out = new Int32Array(count);
  let state = seed >>> 0;
  for (let k = 0; k < count; k++) {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[k] = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  }
  return out;
}

/** Runs `round` ROUNDS times (each returns its operation count) and returns the median rate per second. */
function medianRate(round: () => number): number {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const count = round();
    rates.push(count / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1]!;
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));

interface Row {
  workload: string;
  rate: number;
  references: Array<[string, number]>;
}

function print(rows: Row[]): void {
  for (const row of rows) {
    const refs = row.references.map(([name, rate]) => `${name} ${fmt(rate)}/s (x${(row.rate / rate).toFixed(2)})`).join(', ');
    console.log(`${row.workload.padEnd(44)} ${`${fmt(row.rate)}/s`.padStart(14)}   ${refs}`);
  }
}


async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-hash-map-bench-'));
  try {
    const rvm = Rvm.open(join(dir, 'store'), { logSizeMax: 256 * 1024 * 1024 });
    const segment = rvm.map('data', 64 * 1024 * 1024);
    let tx = rvm.begin();
    const heap = Heap.format(rvm, tx, segment, { sizeMax: 2 ** 32 - 8 });
    const ctx = new StructContext(rvm, segment, heap);
    ctx.current = tx;
    const map = HashMap.open<string, User>(ctx, HashMap.create(ctx));
    tx.commit();
    ctx.current = null;
    const begin = (): void => {
      tx = rvm.begin();
      ctx.current = tx;
    };
    const commit = (flush: boolean): void => {
      tx.commit({ flush });
      ctx.current = null;
      ctx.generation++;
    };

    // The codec the structure uses: its segment's record codec (the shapes are in its table once loaded).
    const codec = ctx.records() as ValueCodec<User>;
    const memory = new Map<string, Uint8Array>();
    const lmdb = await openLmdb(dir);
    const keys = Array.from({ length: ENTRY_COUNT }, (_, i) => keyOf(i));

    // 1. Load.
    let start = performance.now();
    for (let i = 0; i < ENTRY_COUNT; i += 1000) {
      begin();
      for (let k = i; k < i + 1000 && k < ENTRY_COUNT; k++) map.set(keys[k]!, userOf(k));
      commit(false);
    }
    rvm.flush();
    const loadRate = ENTRY_COUNT / ((performance.now() - start) / 1000);
    start = performance.now();
    for (let i = 0; i < ENTRY_COUNT; i++) memory.set(keys[i]!, Uint8Array.from(codec.encode(userOf(i))));
    const memoryLoadRate = ENTRY_COUNT / ((performance.now() - start) / 1000);
    let lmdbLoadRate = 0;
    if (lmdb !== null) {
      start = performance.now();
      for (let i = 0; i < ENTRY_COUNT; i += 1000) lmdb.transactionSync(() => { for (let k = i; k < i + 1000 && k < ENTRY_COUNT; k++) lmdb.putSync(keys[k]!, userOf(k)); });
      lmdbLoadRate = ENTRY_COUNT / ((performance.now() - start) / 1000);
    }
    const stats = map.stats();

    // 2. Point gets.
    const picks = randomIndexes(GET_COUNT, ENTRY_COUNT, 42);
    const pickKeys = Array.from(picks, (i) => keys[i]!);
    const misses = Array.from({ length: GET_COUNT }, (_, k) => `nobody:${k}`);
    const getRate = medianRate(() => {
      let found = 0;
      for (let k = 0; k < GET_COUNT; k++) if (map.get(pickKeys[k]!)!.id >= 0) found++;
      if (found !== GET_COUNT) throw new Error('a get missed');
      return GET_COUNT;
    });
    const memoryGetRate = medianRate(() => {
      let found = 0;
      for (let k = 0; k < GET_COUNT; k++) if (codec.decode(memory.get(pickKeys[k]!)!).id >= 0) found++;
      if (found !== GET_COUNT) throw new Error('a get missed');
      return GET_COUNT;
    });
    const lmdbGetRate = lmdb === null ? 0 : medianRate(() => {
      let found = 0;
      for (let k = 0; k < GET_COUNT; k++) if ((lmdb.get(pickKeys[k]!) as User).id >= 0) found++;
      if (found !== GET_COUNT) throw new Error('a get missed');
      return GET_COUNT;
    });
    const missRate = medianRate(() => {
      for (let k = 0; k < GET_COUNT; k++) if (map.has(misses[k]!)) throw new Error('a miss hit');
      return GET_COUNT;
    });
    const memoryMissRate = medianRate(() => {
      for (let k = 0; k < GET_COUNT; k++) if (memory.has(misses[k]!)) throw new Error('a miss hit');
      return GET_COUNT;
    });

    // 3. Single-set transactions.
    const updates = randomIndexes(UPDATE_COUNT, ENTRY_COUNT, 7);
    const updateRate = medianRate(() => {
      for (let k = 0; k < UPDATE_COUNT; k++) {
        const i = updates[k]!;
        begin();
        map.set(keys[i]!, userOf(i + 1));
        commit(false);
      }
      rvm.flush();
      return UPDATE_COUNT;
    });
    const memoryUpdateRate = medianRate(() => {
      for (let k = 0; k < UPDATE_COUNT; k++) {
        const i = updates[k]!;
        memory.set(keys[i]!, Uint8Array.from(codec.encode(userOf(i + 1))));
      }
      return UPDATE_COUNT;
    });
    const lmdbUpdateRate = lmdb === null ? 0 : medianRate(() => {
      for (let k = 0; k < UPDATE_COUNT; k++) {
        const i = updates[k]!;
        lmdb.putSync(keys[i]!, userOf(i + 1));
      }
      return UPDATE_COUNT;
    });

    // 4. Iteration.
    const iterateRate = medianRate(() => {
      let count = 0;
      for (const [, user] of map) if (user.id >= 0) count++;
      if (count !== ENTRY_COUNT) throw new Error('iteration missed entries');
      return count;
    });
    const memoryIterateRate = medianRate(() => {
      let count = 0;
      for (const [, bytes] of memory) if (codec.decode(bytes).id >= 0) count++;
      return count;
    });
    const lmdbIterateRate = lmdb === null ? 0 : medianRate(() => {
      let count = 0;
      for (const { value } of lmdb.getRange()) if ((value as User).id >= 0) count++;
      return count;
    });

    const withLmdb = (rate: number): Array<[string, number]> => (lmdb === null ? [] : [['lmdb', rate]]);
    console.log(`HashMap benchmark: ${fmt(ENTRY_COUNT)} entries, median of ${ROUNDS} rounds${lmdb === null ? ' (lmdb not found: no peer column)' : ''}`);
    print([
      { workload: 'load, transactions of 1,000 sets', rate: loadRate, references: [['memory', memoryLoadRate], ...withLmdb(lmdbLoadRate)] },
      { workload: 'random get, decoded (hits)', rate: getRate, references: [['memory', memoryGetRate], ...withLmdb(lmdbGetRate)] },
      { workload: 'has (misses)', rate: missRate, references: [['memory', memoryMissRate]] },
      { workload: 'single-set transactions (no-flush)', rate: updateRate, references: [['memory', memoryUpdateRate], ...withLmdb(lmdbUpdateRate)] },
      { workload: 'iterate every entry, decoded', rate: iterateRate, references: [['memory', memoryIterateRate], ...withLmdb(lmdbIterateRate)] },
    ]);
    console.log(
      `shape after load: ${fmt(stats.bucketCount)} buckets, ${fmt(stats.pageCount)} pages (${((100 * stats.overflowPageCount) / stats.pageCount).toFixed(1)}% overflow, longest chain ${stats.chainLengthMax}), ` +
        `${(stats.recordSize / stats.entryCount).toFixed(1)} record bytes and ${(stats.blockSize / stats.entryCount).toFixed(1)} block bytes per entry`,
    );
    await lmdb?.close();
    rvm.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
