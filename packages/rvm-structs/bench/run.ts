/**
 * Benchmarks of @rvm/structs (`pnpm bench` in this package, or
 * `npx pnpm@10.34.9 --filter @rvm/structs bench`). BENCH_QUICK=1 for 100,000
 * entries instead of 1,000,000; BENCH_NODE_SIZES=1024,2048,4096,8192 compares
 * node sizes on the same workload (how NODE_SIZE_DEFAULT was chosen).
 *
 * A B-tree in a Store on the real file system, loaded with 16-byte string keys
 * and MessagePack values of about 100 bytes, against, in the same process:
 * - a plain Map of the same keys to the decoded objects (the in-memory ceiling);
 * - a Map of the same keys to the MessagePack bytes, decoded on every get
 *   with the same codec, the segment's record codec (an in-memory store of
 *   encoded values: one hash lookup and one decode per get; each value is its
 *   own small buffer, which the tree's values are not);
 * - lmdb (msgpack encoding, noSync), when it resolves from the repository's
 *   bench/ package: a memory-mapped B-tree peer.
 * And the physical limit of a lookup: dependent reads of random 64-byte lines
 * over as much memory as the tree's blocks take (dependentReadRate). The ratio
 * of has() to it says how many such reads' time a lookup takes (x0.10: ten).
 * A lookup must read at least a leaf's slots and the key's cell, which share
 * a line only by chance: two reads.
 * Rates are given per second of wall-clock time and per second of this
 * process's CPU time (see measure.ts): on a shared machine the second is the
 * steadier figure, and the ratios to the peers measured alongside are the
 * steadiest of all.
 * 1. bulk load (one transaction);
 * 2. random point reads returning decoded values (target >= 600,000/s), and
 *    has() for the lookup alone;
 * 3. single-put transactions, no-flush commits (target >= 300,000/s): new keys
 *    (inserts that split nodes) and existing keys (updates in place);
 * 4. puts in transactions of 1,000;
 * 5. range scans of 100 entries from a random key, against binary search and
 *    slice over a sorted array;
 * 6. single-put flush commits (a log sync each), for scale.
 * The store is created with its data segment at the size the run needs
 * (SEGMENT_SIZE), so growth does not land inside a measurement.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { ValueCodec } from '../src/codec/index.js';
import type { BTree } from '../src/btree/index.js';
import { BTREE_NODE_SIZE_DEFAULT } from '../src/btree/index.js';
import { Store } from '../src/store.js';
import { dependentReadRate, fmt, measure, openLmdb, printRows, QUICK, Random, type Rate, type Row, withTempDir, withTempDirAsync } from './measure.js';

const ENTRY_COUNT = QUICK ? 100_000 : 1_000_000;
const GET_COUNT = QUICK ? 100_000 : 300_000;
const PUT_COUNT = QUICK ? 30_000 : 100_000;
const BATCH_SIZE = 1000;
const SCAN_COUNT = QUICK ? 5_000 : 20_000;
const SCAN_LENGTH = 100;
const FLUSH_COUNT = QUICK ? 200 : 1000;
const NO_FLUSH = { flush: false } as const;

interface User {
  id: number;
  name: string;
  email: string;
  city: string;
  score: number;
  active: boolean;
  tags: string[];
}

/** A 16-character key, unique per i, in an order unrelated to i. */
function keyOf(i: number): string {
  let h = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  return h.toString(36).padStart(7, '0') + i.toString(36).padStart(9, '0');
}

function valueOf(i: number): User {
  return { id: i, name: `user-${i}`, email: `user${i}@example.com`, city: 'Springfield', score: i / 7, active: i % 2 === 0, tags: ['alpha', 'beta'] };
}

interface Loaded {
  store: Store;
  tree: BTree<string, User>;
  keys: string[];
  loadRate: Rate;
}

/**
 * The data segment is created at its final size: growing it copies the whole
 * segment into a new Buffer (in steps of half its size), a one-off cost of
 * about three times the final size over the life of the data, which would
 * otherwise land on whichever round of a measurement happens to cross a step.
 */
const SEGMENT_SIZE = QUICK ? 64 * 1024 * 1024 : 640 * 1024 * 1024;

function load(dir: string, nodeSize: number): Loaded {
  const store = Store.open(dir, { durability: 'no-flush', segmentSize: SEGMENT_SIZE });
  const tree = store.btree<string, User>('bench', { nodeSize });
  const keys: string[] = [];
  for (let i = 0; i < ENTRY_COUNT; i++) keys.push(keyOf(i));
  const order = keys.map((key, i) => [key, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  store.transaction(() => tree.bulkLoad((function* () {
    for (const [key, i] of order) yield [key, valueOf(i)] as const;
  })()));
  store.flush();
  const used = process.cpuUsage(cpu);
  const loadRate = { wall: ENTRY_COUNT / (Number(process.hrtime.bigint() - start) / 1e9), cpu: ENTRY_COUNT / ((used.user + used.system) / 1e6) };
  return { store, tree, keys, loadRate };
}

function randomIndexes(count: number, below: number, seed: number): Int32Array {
  const random = new Random(seed);
  const indexes = new Int32Array(count);
  for (let i = 0; i < count; i++) indexes[i] = random.below(below);
  return indexes;
}

function getRate(tree: BTree<string, User>, keys: string[]): Rate {
  const indexes = randomIndexes(GET_COUNT, keys.length, 1);
  let sum = 0;
  const rate = measure(() => {
    for (let i = 0; i < GET_COUNT; i++) sum += tree.get(keys[indexes[i]!]!)!.id;
    return GET_COUNT;
  });
  if (sum < 0) console.log(sum);
  return rate;
}

let insertSerial = 0;
function insertRate(store: Store, tree: BTree<string, User>): Rate {
  return measure(() => {
    for (let i = 0; i < PUT_COUNT; i++) {
      const n = ENTRY_COUNT + insertSerial++;
      const key = keyOf(n);
      const value = valueOf(n);
      store.transaction(() => tree.put(key, value), NO_FLUSH);
    }
    return PUT_COUNT;
  });
}


function tuneNodeSizes(sizes: number[]): void {
  const rows: Row[] = [];
  for (const nodeSize of sizes) {
    withTempDir((dir) => {
      const { store, tree, keys, loadRate } = load(dir, nodeSize);
      const gets = getRate(tree, keys);
      const inserts = insertRate(store, tree);
      const stats = tree.stats();
      rows.push({ workload: `${nodeSize} B nodes: bulk load`, rate: loadRate, unit: 'entries/s' });
      rows.push({ workload: `${nodeSize} B nodes: random get`, rate: gets, unit: 'ops/s' });
      rows.push({ workload: `${nodeSize} B nodes (height ${stats.height}, leaf fill ${(stats.leafFill * 100).toFixed(0)}%): single-put tx`, rate: inserts, unit: 'ops/s' });
      store.close();
    });
  }
  printRows(`Node size comparison, ${fmt(ENTRY_COUNT)} entries`, rows);
}

async function main(): Promise<void> {
  console.log(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start; Node ${process.version}`);
  const sizes = process.env.BENCH_NODE_SIZES;
  if (sizes !== undefined && sizes !== '') {
    tuneNodeSizes(sizes.split(',').map(Number));
    return;
  }
  await withTempDirAsync(async (dir) => {
    const { store, tree, keys, loadRate } = load(join(dir, 'store'), BTREE_NODE_SIZE_DEFAULT);
    const map = new Map<string, User>();
    for (let i = 0; i < keys.length; i++) map.set(keys[i]!, valueOf(i));

    const gets = getRate(tree, keys);
    const getIndexes = randomIndexes(GET_COUNT, keys.length, 1);
    let sum = 0;
    const treeSize = tree.stats().blockSize;
    const memoryReads = dependentReadRate(treeSize, GET_COUNT);
    const has = measure(() => {
      for (let i = 0; i < GET_COUNT; i++) if (tree.has(keys[getIndexes[i]!]!)) sum++;
      return GET_COUNT;
    });
    const mapHas = measure(() => {
      for (let i = 0; i < GET_COUNT; i++) if (map.has(keys[getIndexes[i]!]!)) sum++;
      return GET_COUNT;
    });
    const mapGets = measure(() => {
      for (let i = 0; i < GET_COUNT; i++) sum += map.get(keys[getIndexes[i]!]!)!.id;
      return GET_COUNT;
    });

    // The codec the tree uses: the segment's record codec (its structures are in the table since the load).
    const codec = store.ctx.records() as ValueCodec<User>;
    const encoded = new Map<string, Uint8Array>();
    store.transaction(() => {
      for (let i = 0; i < keys.length; i++) encoded.set(keys[i]!, Uint8Array.from(codec.encode(valueOf(i))));
    });
    const encodedGets = measure(() => {
      for (let i = 0; i < GET_COUNT; i++) sum += codec.decode(encoded.get(keys[getIndexes[i]!]!)!).id;
      return GET_COUNT;
    });
    encoded.clear();

    const lmdb = await openLmdb(dir);
    let lmdbGets: Rate | undefined;
    let lmdbPuts: Rate | undefined;
    if (lmdb !== null) {
      for (let i = 0; i < keys.length; i += 10_000) {
        lmdb.transactionSync(() => {
          for (let k = i; k < i + 10_000 && k < keys.length; k++) lmdb.putSync(keys[k]!, valueOf(k));
        });
      }
      lmdbGets = measure(() => {
        for (let i = 0; i < GET_COUNT; i++) sum += (lmdb.get(keys[getIndexes[i]!]!) as User).id;
        return GET_COUNT;
      });
      let serial = 0;
      lmdbPuts = measure(() => {
        for (let i = 0; i < PUT_COUNT; i++) {
          const n = 2 * ENTRY_COUNT + serial++;
          const key = keyOf(n);
          const value = valueOf(n);
          lmdb.transactionSync(() => lmdb.putSync(key, value));
        }
        return PUT_COUNT;
      });
      await lmdb.close();
    }

    const inserts = insertRate(store, tree);
    const updateIndexes = randomIndexes(PUT_COUNT, keys.length, 2);
    let round = 0;
    const updates = measure(() => {
      round++;
      for (let i = 0; i < PUT_COUNT; i++) {
        const n = updateIndexes[i]!;
        const value = valueOf(n);
        value.score += round;
        store.transaction(() => tree.put(keys[n]!, value), NO_FLUSH);
      }
      return PUT_COUNT;
    });
    const mapSets = measure(() => {
      for (let i = 0; i < PUT_COUNT; i++) {
        const n = updateIndexes[i]!;
        map.set(keys[n]!, valueOf(n));
      }
      return PUT_COUNT;
    });
    // Every put of the update rows changes a field: a put of the value already there declares
    // nothing (the tree writes only changed bytes), so it would measure no update at all.
    const batched = measure(() => {
      round++;
      for (let i = 0; i < PUT_COUNT; i += BATCH_SIZE) {
        store.transaction(() => {
          for (let j = i; j < i + BATCH_SIZE; j++) {
            const n = updateIndexes[j]!;
            const value = valueOf(n);
            value.score += round;
            tree.put(keys[n]!, value);
          }
        }, NO_FLUSH);
      }
      return PUT_COUNT;
    });

    const scanIndexes = randomIndexes(SCAN_COUNT, keys.length, 3);
    const scans = measure(() => {
      for (let i = 0; i < SCAN_COUNT; i++) {
        for (const [, value] of tree.range({ gte: keys[scanIndexes[i]!]!, limit: SCAN_LENGTH })) sum += value.id;
      }
      return SCAN_COUNT;
    });
    const sorted = [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const arrayScans = measure(() => {
      for (let i = 0; i < SCAN_COUNT; i++) {
        const probe = keys[scanIndexes[i]!]!;
        let lo = 0;
        let hi = sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (sorted[mid]![0] < probe) lo = mid + 1;
          else hi = mid;
        }
        for (const [, value] of sorted.slice(lo, lo + SCAN_LENGTH)) sum += value.id;
      }
      return SCAN_COUNT;
    });

    const flushes = measure(() => {
      round++;
      for (let i = 0; i < FLUSH_COUNT; i++) {
        const n = updateIndexes[i]!;
        const value = valueOf(n);
        value.score += round;
        store.transaction(() => tree.put(keys[n]!, value), { flush: true });
      }
      return FLUSH_COUNT;
    });
    if (sum < 0) console.log(sum);

    const stats = tree.stats();
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
    printRows(`@rvm/structs BTree, ${fmt(ENTRY_COUNT)} entries (16-byte keys, ~100-byte MessagePack values), ${BTREE_NODE_SIZE_DEFAULT}-byte nodes, height ${stats.height}, leaf fill ${(stats.leafFill * 100).toFixed(0)}%`, [
      { workload: 'bulk load (one transaction)', rate: loadRate, unit: 'entries/s' },
      { workload: 'random get, decoded', rate: gets, unit: 'ops/s', reference: 'Map.get of decoded objects', referenceRate: mapGets, target: 600_000 },
      { workload: 'random get, decoded', rate: gets, unit: 'ops/s', reference: 'Map.get of bytes + decode', referenceRate: encodedGets },
      ...(lmdbGets === undefined ? [] : [{ workload: 'random get, decoded', rate: gets, unit: 'ops/s', reference: 'lmdb get (msgpack)', referenceRate: lmdbGets }]),
      { workload: 'random has (the lookup without decoding)', rate: has, unit: 'ops/s', reference: 'Map.has', referenceRate: mapHas },
      { workload: 'random has (the lookup without decoding)', rate: has, unit: 'ops/s', reference: `dependent memory read, ${fmt(treeSize / 1e6)} MB`, referenceRate: memoryReads },
      { workload: 'single-put tx, no-flush (new keys)', rate: inserts, unit: 'ops/s', reference: 'Map.set', referenceRate: mapSets, target: 300_000 },
      ...(lmdbPuts === undefined ? [] : [{ workload: 'single-put tx, no-flush (new keys)', rate: inserts, unit: 'ops/s', reference: 'lmdb noSync transactionSync(put)', referenceRate: lmdbPuts }]),
      { workload: 'single-put tx, no-flush (existing keys)', rate: updates, unit: 'ops/s', reference: 'Map.set', referenceRate: mapSets, target: 300_000 },
      { workload: `puts in transactions of ${BATCH_SIZE}, no-flush`, rate: batched, unit: 'puts/s', reference: 'Map.set', referenceRate: mapSets },
      { workload: `range scan of ${SCAN_LENGTH}, decoded`, rate: scans, unit: 'scans/s', reference: 'sorted array: search + slice', referenceRate: arrayScans },
      { workload: 'single-put tx, flush (a log sync each)', rate: flushes, unit: 'ops/s' },
    ]);
    store.close();
  });
}

await main();
