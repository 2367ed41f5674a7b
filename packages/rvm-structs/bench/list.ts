/**
 * List benchmark (`npx pnpm@10.34.9 exec tsx --conditions=source
 * packages/rvm-structs/bench/list.ts` from the repository root; BENCH_QUICK=1
 * for 100,000 elements instead of 1,000,000).
 *
 * A List on the real file system holding MessagePack objects of about 60
 * bytes, measured against an array of the same MessagePack bytes in the same
 * process, decoded on every read (the in-memory floor; an array's insert in
 * the middle is a memmove of the pointers after it):
 * 1. push in transactions of 1,000 (no-flush commits);
 * 2. random at(), decoded;
 * 3. iteration, decoded;
 * 4. single-operation transactions (no-flush): push, pop, shift + push (a queue);
 * 5. insert and remove at random positions, in transactions of 100;
 * and the shape: height, leaves, fill, bytes per element.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rvm } from '@rvm/core';
import { Heap } from '@rvm/alloc';
import type { ValueCodec } from '../src/codec/index.js';
import { StructContext } from '../src/core/struct-context.js';
import { List } from '../src/list/index.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ELEMENT_COUNT = QUICK ? 100_000 : 1_000_000;
const READ_COUNT = QUICK ? 200_000 : 1_000_000;
const TX_COUNT = QUICK ? 30_000 : 100_000;
const EDIT_COUNT = QUICK ? 20_000 : 50_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 5));

interface Event {
  seq: number;
  kind: string;
  at: number;
  payload: string;
}

const eventOf = (i: number): Event => ({ seq: i, kind: ['click', 'view', 'buy'][i % 3]!, at: 1_700_000_000 + i, payload: `p${i}` });

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

function row(workload: string, rate: number, reference: number): void {
  console.log(`${workload.padEnd(48)} ${`${fmt(rate)}/s`.padStart(14)}   memory ${fmt(reference)}/s (x${(rate / reference).toFixed(2)})`);
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-list-bench-'));
  try {
    const rvm = Rvm.open(join(dir, 'store'), { logSizeMax: 256 * 1024 * 1024 });
    const segment = rvm.map('data', 32 * 1024 * 1024);
    let tx = rvm.begin();
    const heap = Heap.format(rvm, tx, segment, { sizeMax: 2 ** 32 - 8 });
    const ctx = new StructContext(rvm, segment, heap);
    ctx.current = tx;
    const list = List.open<Event>(ctx, List.create(ctx));
    tx.commit();
    ctx.current = null;
    const begin = (): void => {
      tx = rvm.begin();
      ctx.current = tx;
    };
    const commit = (): void => {
      tx.commit({ flush: false });
      ctx.current = null;
      ctx.generation++;
    };
    // The codec the structure uses: its segment's record codec (the shapes are in its table once loaded).
    const codec = ctx.records() as ValueCodec<Event>;
    const memory: Uint8Array[] = [];

    // 1. Push.
    let start = performance.now();
    for (let i = 0; i < ELEMENT_COUNT; i += 1000) {
      begin();
      for (let k = i; k < i + 1000 && k < ELEMENT_COUNT; k++) list.push(eventOf(k));
      commit();
    }
    rvm.flush();
    const pushRate = ELEMENT_COUNT / ((performance.now() - start) / 1000);
    start = performance.now();
    for (let i = 0; i < ELEMENT_COUNT; i++) memory.push(Uint8Array.from(codec.encode(eventOf(i))));
    const memoryPushRate = ELEMENT_COUNT / ((performance.now() - start) / 1000);
    const stats = list.stats();

    // 2. Random reads.
    const picks = randomIndexes(READ_COUNT, ELEMENT_COUNT, 42);
    const atRate = medianRate(() => {
      for (let k = 0; k < READ_COUNT; k++) if (list.at(picks[k]!)!.seq !== picks[k]) throw new Error('wrong element');
      return READ_COUNT;
    });
    const memoryAtRate = medianRate(() => {
      for (let k = 0; k < READ_COUNT; k++) if (codec.decode(memory[picks[k]!]!).seq !== picks[k]) throw new Error('wrong element');
      return READ_COUNT;
    });

    // 3. Iteration.
    const iterateRate = medianRate(() => {
      let seq = 0;
      for (const event of list) if (event.seq !== seq++) throw new Error('out of order');
      return seq;
    });
    const memoryIterateRate = medianRate(() => {
      let seq = 0;
      for (const bytes of memory) if (codec.decode(bytes).seq !== seq++) throw new Error('out of order');
      return seq;
    });

    // 4. Single-operation transactions: a queue (shift one, push one).
    let next = ELEMENT_COUNT;
    const queueRate = medianRate(() => {
      for (let k = 0; k < TX_COUNT; k++) {
        begin();
        list.shift();
        list.push(eventOf(next++));
        commit();
      }
      rvm.flush();
      return TX_COUNT;
    });
    let memoryNext = ELEMENT_COUNT;
    let head = 0;
    const memoryQueueRate = medianRate(() => {
      for (let k = 0; k < TX_COUNT; k++) {
        codec.decode(memory[head++]!);
        memory.push(Uint8Array.from(codec.encode(eventOf(memoryNext++))));
      }
      return TX_COUNT;
    });

    // 5. Insert and remove at random positions.
    const spots = randomIndexes(EDIT_COUNT, ELEMENT_COUNT - 1, 9);
    const editRate = medianRate(() => {
      for (let k = 0; k < EDIT_COUNT; k += 100) {
        begin();
        for (let j = k; j < k + 100; j++) {
          if ((j & 1) === 0) list.insert(spots[j]!, eventOf(j));
          else list.remove(spots[j]!);
        }
        commit();
      }
      rvm.flush();
      return EDIT_COUNT;
    });
    const window = memory.slice(head);
    const memoryEditRate = medianRate(() => {
      for (let j = 0; j < EDIT_COUNT; j++) {
        if ((j & 1) === 0) window.splice(spots[j]!, 0, Uint8Array.from(codec.encode(eventOf(j))));
        else codec.decode(window.splice(spots[j]!, 1)[0]!);
      }
      return EDIT_COUNT;
    });

    console.log(`List benchmark: ${fmt(ELEMENT_COUNT)} elements, median of ${ROUNDS} rounds`);
    row('push, transactions of 1,000', pushRate, memoryPushRate);
    row('random at(), decoded', atRate, memoryAtRate);
    row('iterate, decoded', iterateRate, memoryIterateRate);
    row('queue: shift + push per transaction (no-flush)', queueRate, memoryQueueRate);
    row('insert/remove at random positions, tx of 100', editRate, memoryEditRate);
    console.log(
      `shape after push: height ${stats.height}, ${fmt(stats.leafCount)} leaves (${(stats.leafFill * 100).toFixed(1)}% full), ${fmt(stats.internalCount)} internal nodes, ` +
        `${(stats.blockSize / stats.length).toFixed(1)} block bytes per element`,
    );
    rvm.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
