/**
 * Benchmarks of @rvm/alloc (`pnpm bench` in this package, or
 * `npx pnpm@10.34.9 --filter @rvm/alloc bench`). BENCH_QUICK=1 for a short run.
 *
 * 1. Allocation + free pairs inside one transaction (target >= 2,000,000/s),
 *    against a bare loop doing the same number of Uint32Array word writes per
 *    pair as the allocator does (counted, not guessed), spread over as many
 *    bytes as the workload's writes: the ratio is what the bookkeeping (reads,
 *    checks, setRange, the undo journal) costs on top of the writes.
 * 2. One allocation (and one free) per transaction, no-flush and flush
 *    commits on the real file system, against a bare transaction that
 *    declares and writes 8 bytes and commits the same way.
 *    Rates are medians of rounds, by wall clock and per second of CPU time (the
 *    steadier figure on a shared machine; the same on an idle core). Targets
 *    and the ratios of in-memory work use CPU time; flush commits wait on the
 *    disk, so their ratio uses wall time.
 * 3. Heap utilisation after a long random mixed-size workload (target >= 85%):
 *    churn with an occupancy target drifting from 50% to 95%, then allocate
 *    until 200 requests in a row fail. Reported: the requested bytes callers
 *    held at the worst moment an allocation failed (the strict figure), and
 *    after filling, as shares of the heap's capacity.
 */
import { Rvm, type Segment, type Transaction } from '@rvm/core';
import { SimStorage } from '@rvm/core/testing';
import { HeapMemory } from '../src/heap-memory.js';
import { Heap, isHeapError } from '../src/index.js';
import { fmt, medianRate, printRows, QUICK, Random, type Rate, rateFor, type Row, withTempDir } from './measure.js';

const PAIR_COUNT = QUICK ? 300_000 : 2_000_000;
const TX_SECONDS = QUICK ? 0.5 : 1.5;

function simStore(size: number): { rvm: Rvm; segment: Segment; heap: Heap } {
  const rvm = Rvm.open('/bench', { storage: new SimStorage() });
  const segment = rvm.map('heap', size);
  const tx = rvm.begin();
  const heap = Heap.format(rvm, tx, segment);
  tx.commit();
  return { rvm, segment, heap };
}

// ------------------------------------------------------------ 1. pairs in one transaction

interface PairWorkload {
  name: string;
  /** Bytes of heap the workload's writes spread over, for a reference with the same locality. */
  spanSize: number;
  /** Runs `count` alloc + free pairs in `tx`. */
  run(heap: Heap, tx: Transaction, count: number): void;
  /** Prepares the heap before the transaction that is timed (committed, untimed). */
  setup?(heap: Heap, tx: Transaction): void;
  /** Forgets what run() did after its transaction aborted. */
  reset?(): void;
}

const FIXED: PairWorkload = {
  name: 'alloc(32) + free',
  spanSize: 4096,
  run(heap, tx, count) {
    for (let i = 0; i < count; i++) heap.free(tx, heap.alloc(tx, 32));
  },
};

/** 10,000 live blocks of 1 .. 512 bytes; each pair frees a random one and allocates a new random size in its place. */
const LIVE_COUNT = 10_000;
const RANDOM_SIZES = new Int32Array(1 << 16);
const RANDOM_SLOTS = new Int32Array(1 << 16);
{
  const random = new Random(42);
  for (let i = 0; i < RANDOM_SIZES.length; i++) {
    RANDOM_SIZES[i] = 1 + random.below(512);
    RANDOM_SLOTS[i] = random.below(LIVE_COUNT);
  }
}
const SIZES_AT_ONCE: PairWorkload = {
  name: 'alloc(1..512) + free',
  spanSize: 4096,
  run(heap, tx, count) {
    const mask = RANDOM_SIZES.length - 1;
    for (let i = 0; i < count; i++) heap.free(tx, heap.alloc(tx, RANDOM_SIZES[i & mask]!));
  },
};

const live = new Float64Array(LIVE_COUNT);
const liveCommitted = new Float64Array(LIVE_COUNT);
const RANDOM: PairWorkload = {
  name: `random 1..512 B, ${LIVE_COUNT} live`,
  spanSize: 4 << 20,
  setup(heap, tx) {
    for (let k = 0; k < LIVE_COUNT; k++) live[k] = heap.alloc(tx, RANDOM_SIZES[k]!);
    liveCommitted.set(live);
  },
  reset() {
    live.set(liveCommitted);
  },
  run(heap, tx, count) {
    const mask = RANDOM_SIZES.length - 1;
    for (let i = 0; i < count; i++) {
      const slot = RANDOM_SLOTS[i & mask]!;
      heap.free(tx, live[slot]!);
      live[slot] = heap.alloc(tx, RANDOM_SIZES[(i + LIVE_COUNT) & mask]!);
    }
  },
};

function pairRate(workload: PairWorkload): Rate {
  const { rvm, heap } = simStore(64 << 20);
  if (workload.setup !== undefined) {
    const tx = rvm.begin();
    workload.setup(heap, tx);
    tx.commit({ flush: false });
  }
  const warmUp = rvm.begin();
  workload.run(heap, warmUp, 50_000);
  warmUp.abort();
  workload.reset?.();
  let tx: Transaction | null = null;
  const rate = medianRate(
    () => {
      tx = rvm.begin();
      workload.run(heap, tx, PAIR_COUNT);
      return PAIR_COUNT;
    },
    () => {
      // The abort restores the heap for the next round; it is not part of the figure.
      tx?.abort();
      workload.reset?.();
    },
  );
  rvm.close();
  return rate;
}

/** Word writes per pair, counted by wrapping HeapMemory.put (after the timed runs, so the timing saw the plain method). */
function wordWritesPerPair(workload: PairWorkload): number {
  const { rvm, heap } = simStore(64 << 20);
  const tx = rvm.begin();
  if (workload.setup !== undefined) workload.setup(heap, tx);
  const put = Object.getOwnPropertyDescriptor(HeapMemory.prototype, 'put')!.value as HeapMemory['put'];
  let writes = 0;
  HeapMemory.prototype.put = function (this: HeapMemory, offset: number, value: number): void {
    writes++;
    put.call(this, offset, value);
  };
  try {
    workload.run(heap, tx, 10_000);
  } finally {
    HeapMemory.prototype.put = put;
  }
  rvm.close();
  return writes / 10_000;
}

/** The reference: a loop doing `writesPerPair` Uint32Array writes per iteration, at random places in `spanSize` bytes. */
function bareWriteRate(writesPerPair: number, spanSize: number): Rate {
  const words = new Uint32Array(spanSize >>> 2);
  const mask = words.length - 1;
  const whole = Math.floor(writesPerPair);
  const extra = writesPerPair - whole;
  let sink = 0;
  const rate = medianRate(() => {
    let carry = 0;
    for (let i = 0; i < PAIR_COUNT; i++) {
      let n = whole;
      carry += extra;
      if (carry >= 1) {
        carry -= 1;
        n++;
      }
      const base = Math.imul(i, 2654435761) >>> 6;
      for (let k = 0; k < n; k++) words[(base + k * 4) & mask] = i;
    }
    sink += words[1]!;
    return PAIR_COUNT;
  });
  if (sink < 0) console.log(sink);
  return rate;
}

// ------------------------------------------------------------ 2. one allocation per transaction

function perTransactionRates(flush: boolean): { heap: Rate; bare: Rate } {
  return withTempDir((dir) => {
    const rvm = Rvm.open(dir);
    const segment = rvm.map('heap', 1 << 20);
    let tx = rvm.begin();
    const heap = Heap.format(rvm, tx, segment);
    tx.commit();
    let previous = 0;
    const heapRate = rateFor(TX_SECONDS, () => {
      const t = rvm.begin();
      const offset = heap.alloc(t, 64);
      if (previous !== 0) heap.free(t, previous);
      previous = offset;
      t.commit({ flush });
    });
    let i = 0;
    const bareRate = rateFor(TX_SECONDS, () => {
      const t = rvm.begin();
      const offset = 8 * (i++ & 1023);
      t.setRange(segment, offset, 8);
      segment.bytes.writeDoubleLE(i, offset);
      t.commit({ flush });
    });
    tx = rvm.begin();
    tx.commit();
    rvm.close();
    return { heap: heapRate, bare: bareRate };
  });
}

// ------------------------------------------------------------ 3. utilisation

interface Utilisation {
  /** Requested bytes held / capacity when an allocation failed, the lowest over the run. */
  failedAtMin: number;
  failureCount: number;
  requested: number;
  allocated: number;
  fragmentation: number;
  liveCount: number;
}

function utilisation(name: string, size: (random: Random) => number, heapSize: number, churnCount: number): Utilisation {
  const { rvm, heap } = simStore(heapSize);
  const random = new Random(7);
  const capacity = heap.stats().capacity;
  const offsets: number[] = [];
  const sizes: number[] = [];
  let requested = 0;
  let failedAtMin = 1;
  let failureCount = 0;
  let tx = rvm.begin({ restore: false });
  const alloc = (s: number): boolean => {
    try {
      offsets.push(heap.alloc(tx, s));
      sizes.push(s);
      requested += s;
      return true;
    } catch (e) {
      if (!isHeapError(e, 'OUT_OF_SPACE')) throw e;
      failedAtMin = Math.min(failedAtMin, requested / capacity);
      failureCount++;
      return false;
    }
  };
  const freeRandom = (): void => {
    const k = random.below(offsets.length);
    heap.free(tx, offsets[k]!);
    requested -= sizes[k]!;
    offsets[k] = offsets[offsets.length - 1]!;
    sizes[k] = sizes[sizes.length - 1]!;
    offsets.pop();
    sizes.pop();
  };
  // Churn: the occupancy target drifts between 50% and 95% of the capacity.
  let target = 0.7;
  for (let i = 0; i < churnCount; i++) {
    if (i % 5000 === 0) target = 0.5 + random.below(46) / 100;
    if (requested < target * capacity || offsets.length === 0) {
      if (!alloc(size(random))) freeRandom();
    } else {
      freeRandom();
    }
    if (i % 2000 === 1999) {
      tx.commit({ flush: false });
      tx = rvm.begin({ restore: false });
    }
  }
  // Fill: allocate until 200 requests in a row fail.
  for (let failures = 0; failures < 200; ) {
    if (alloc(size(random))) failures = 0;
    else failures++;
  }
  tx.commit({ flush: false });
  const stats = heap.stats();
  const problem = heap.check();
  if (problem !== null) throw new Error(`${name}: ${problem}`);
  rvm.close();
  return { failedAtMin, failureCount, requested: requested / capacity, allocated: stats.allocatedSize / capacity, fragmentation: stats.fragmentation, liveCount: stats.allocatedCount };
}

// ------------------------------------------------------------ main

function main(): void {
  console.log(`@rvm/alloc benchmarks (node ${process.version}, ${QUICK ? 'quick' : 'full'} run)`);
  const pairRows: Row[] = [];
  for (const workload of [FIXED, SIZES_AT_ONCE, RANDOM]) {
    const rate = pairRate(workload);
    const writes = wordWritesPerPair(workload);
    const bare = bareWriteRate(writes, workload.spanSize);
    pairRows.push({
      workload: `${workload.name} (one tx)`, value: rate.wall, cpuValue: rate.cpu, unit: 'pairs/s',
      reference: `bare loop: ${writes.toFixed(1)} u32 writes/iteration in ${fmt(workload.spanSize / 1024)} KiB`, referenceValue: bare.wall, ratio: rate.cpu / bare.cpu,
      target: '>= 2,000,000', met: rate.cpu >= 2_000_000,
    });
  }
  printRows('1. Allocation + free pairs inside one transaction', pairRows);

  const txRows: Row[] = [];
  for (const flush of [false, true]) {
    const rates = perTransactionRates(flush);
    txRows.push({
      workload: `alloc(64) + free of the previous, ${flush ? 'flush' : 'no-flush'} commit`, value: rates.heap.wall, cpuValue: rates.heap.cpu, unit: 'tx/s',
      reference: 'bare tx: setRange(8) + commit', referenceValue: rates.bare.wall, ratio: flush ? rates.heap.wall / rates.bare.wall : rates.heap.cpu / rates.bare.cpu,
    });
  }
  printRows('2. One allocation per transaction (real file system)', txRows);

  const churn = QUICK ? 100_000 : 400_000;
  const rows: Row[] = [];
  const mixes: Array<[string, (r: Random) => number]> = [
    ['log-uniform 8 B .. 16 KiB', (r) => r.logUniform(8, 16 * 1024)],
    ['70% 8..256 B, 25% ..4 KiB, 5% ..64 KiB', (r) => {
      const p = r.below(100);
      return p < 70 ? 8 + r.below(249) : p < 95 ? 257 + r.below(3840) : 4097 + r.below(61440);
    }],
    // Phases of 5,000 operations alternate between small blocks and large ones, so large requests must find space small blocks were freed from.
    ['phases: 16..128 B, then 4..32 KiB', (() => {
      let count = 0;
      return (r: Random) => (Math.floor(count++ / 5000) % 2 === 0 ? 16 + r.below(113) : 4096 + r.below(28673));
    })()],
  ];
  for (const [name, size] of mixes) {
    const u = utilisation(name, size, 32 << 20, churn);
    rows.push({ workload: `${name}: held when an allocation first failed (lowest)`, value: u.failedAtMin * 100, unit: `% of capacity (${fmt(u.failureCount)} failures)`, target: '>= 85%', met: u.failedAtMin >= 0.85 });
    rows.push({ workload: `${name}: held after filling`, value: u.requested * 100, unit: '% of capacity' });
    rows.push({ workload: `${name}: allocated blocks (with headers)`, value: u.allocated * 100, unit: `% of capacity (${fmt(u.liveCount)} blocks, fragmentation ${u.fragmentation.toFixed(2)})` });
  }
  printRows(`3. Utilisation of a 32 MiB heap after ${fmt(churn)} random operations, then filling until 200 requests in a row fail`, rows);
}

main();
