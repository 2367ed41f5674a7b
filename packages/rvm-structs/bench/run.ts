/**
 * Benchmarks of @rvm/structs (`pnpm bench` in this package, or
 * `npx pnpm@10.34.9 --filter @rvm/structs bench`). BENCH_QUICK=1 for 100,000
 * entries instead of 1,000,000; BENCH_NODE_SIZES=1024,2048,4096,8192 compares
 * node sizes on the same workload (how NODE_SIZE_DEFAULT was chosen).
 *
 * A B-tree in a Store on the real file system, loaded with 16-byte string keys
 * and MessagePack values of about 100 bytes, against a plain Map of the same
 * keys to the decoded objects in the same process (the in-memory ceiling; the
 * lmdb and sqlite peers run in the repository's bench/ package):
 * 1. bulk load (one transaction);
 * 2. random point reads returning decoded values (target >= 600,000/s);
 * 3. single-put transactions, no-flush commits (target >= 300,000/s): new keys
 *    (inserts that split nodes) and existing keys (updates in place);
 * 4. puts in transactions of 1,000;
 * 5. range scans of 100 entries from a random key, against binary search and
 *    slice over a sorted array;
 * 6. single-put flush commits (a log sync each), for scale.
 */
import type { BTree } from '../src/btree/index.js';
import { BTREE_NODE_SIZE_DEFAULT } from '../src/btree/index.js';
import { Store } from '../src/store.js';
import { fmt, medianRate, printRows, QUICK, Random, type Row, withTempDir } from './measure.js';

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
  loadRate: number;
}

function load(dir: string, nodeSize: number): Loaded {
  const store = Store.open(dir, { durability: 'no-flush' });
  const tree = store.btree<string, User>('bench', { nodeSize });
  const keys: string[] = [];
  for (let i = 0; i < ENTRY_COUNT; i++) keys.push(keyOf(i));
  const order = keys.map((key, i) => [key, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const start = process.hrtime.bigint();
  store.transaction(() => tree.bulkLoad((function* () {
    for (const [key, i] of order) yield [key, valueOf(i)] as const;
  })()));
  store.flush();
  const loadRate = ENTRY_COUNT / (Number(process.hrtime.bigint() - start) / 1e9);
  return { store, tree, keys, loadRate };
}

function randomIndexes(count: number, below: number, seed: number): Int32Array {
  const random = new Random(seed);
  const indexes = new Int32Array(count);
  for (let i = 0; i < count; i++) indexes[i] = random.below(below);
  return indexes;
}

function getRate(tree: BTree<string, User>, keys: string[]): number {
  const indexes = randomIndexes(GET_COUNT, keys.length, 1);
  let sum = 0;
  const rate = medianRate(() => {
    for (let i = 0; i < GET_COUNT; i++) sum += tree.get(keys[indexes[i]!]!)!.id;
    return GET_COUNT;
  });
  if (sum < 0) console.log(sum);
  return rate;
}

let insertSerial = 0;
function insertRate(store: Store, tree: BTree<string, User>): number {
  return medianRate(() => {
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
      rows.push({ workload: `${nodeSize} B nodes: bulk load`, value: loadRate, unit: 'entries/s' });
      rows.push({ workload: `${nodeSize} B nodes: random get`, value: gets, unit: 'ops/s' });
      rows.push({ workload: `${nodeSize} B nodes: single-put tx (insert)`, value: inserts, unit: 'ops/s' });
      rows.push({ workload: `${nodeSize} B nodes: height ${stats.height}, leaf fill`, value: stats.leafFill, unit: '' });
      store.close();
    });
  }
  printRows(`Node size comparison, ${fmt(ENTRY_COUNT)} entries`, rows);
}

function main(): void {
  const sizes = process.env.BENCH_NODE_SIZES;
  if (sizes !== undefined && sizes !== '') {
    tuneNodeSizes(sizes.split(',').map(Number));
    return;
  }
  withTempDir((dir) => {
    const { store, tree, keys, loadRate } = load(dir, BTREE_NODE_SIZE_DEFAULT);
    const map = new Map<string, User>();
    for (let i = 0; i < keys.length; i++) map.set(keys[i]!, valueOf(i));

    const gets = getRate(tree, keys);
    const getIndexes = randomIndexes(GET_COUNT, keys.length, 1);
    let sum = 0;
    const mapGets = medianRate(() => {
      for (let i = 0; i < GET_COUNT; i++) sum += map.get(keys[getIndexes[i]!]!)!.id;
      return GET_COUNT;
    });

    const inserts = insertRate(store, tree);
    const updateIndexes = randomIndexes(PUT_COUNT, keys.length, 2);
    let round = 0;
    const updates = medianRate(() => {
      round++;
      for (let i = 0; i < PUT_COUNT; i++) {
        const n = updateIndexes[i]!;
        const value = valueOf(n);
        value.score = round;
        store.transaction(() => tree.put(keys[n]!, value), NO_FLUSH);
      }
      return PUT_COUNT;
    });
    const mapSets = medianRate(() => {
      for (let i = 0; i < PUT_COUNT; i++) {
        const n = updateIndexes[i]!;
        map.set(keys[n]!, valueOf(n));
      }
      return PUT_COUNT;
    });
    const batched = medianRate(() => {
      for (let i = 0; i < PUT_COUNT; i += BATCH_SIZE) {
        store.transaction(() => {
          for (let j = i; j < i + BATCH_SIZE; j++) {
            const n = updateIndexes[j]!;
            tree.put(keys[n]!, valueOf(n));
          }
        }, NO_FLUSH);
      }
      return PUT_COUNT;
    });

    const scanIndexes = randomIndexes(SCAN_COUNT, keys.length, 3);
    const scans = medianRate(() => {
      for (let i = 0; i < SCAN_COUNT; i++) {
        for (const [, value] of tree.range({ gte: keys[scanIndexes[i]!]!, limit: SCAN_LENGTH })) sum += value.id;
      }
      return SCAN_COUNT;
    });
    const sorted = [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const arrayScans = medianRate(() => {
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

    const flushStart = process.hrtime.bigint();
    for (let i = 0; i < FLUSH_COUNT; i++) {
      const n = updateIndexes[i]!;
      store.transaction(() => tree.put(keys[n]!, valueOf(n)), { flush: true });
    }
    const flushes = FLUSH_COUNT / (Number(process.hrtime.bigint() - flushStart) / 1e9);
    if (sum < 0) console.log(sum);

    const stats = tree.stats();
    printRows(`@rvm/structs BTree, ${fmt(ENTRY_COUNT)} entries (16-byte keys, ~100-byte MessagePack values), ${BTREE_NODE_SIZE_DEFAULT}-byte nodes, height ${stats.height}, leaf fill ${(stats.leafFill * 100).toFixed(0)}%`, [
      { workload: 'bulk load (one transaction)', value: loadRate, unit: 'entries/s' },
      { workload: 'random get, decoded', value: gets, unit: 'ops/s', reference: 'Map.get of decoded objects', referenceValue: mapGets, target: 600_000 },
      { workload: 'single-put tx, no-flush (new keys)', value: inserts, unit: 'ops/s', reference: 'Map.set', referenceValue: mapSets, target: 300_000 },
      { workload: 'single-put tx, no-flush (existing keys)', value: updates, unit: 'ops/s', reference: 'Map.set', referenceValue: mapSets, target: 300_000 },
      { workload: `puts in transactions of ${BATCH_SIZE}, no-flush`, value: batched, unit: 'puts/s', reference: 'Map.set', referenceValue: mapSets },
      { workload: `range scan of ${SCAN_LENGTH}, decoded`, value: scans, unit: 'scans/s', reference: 'sorted array: search + slice', referenceValue: arrayScans },
      { workload: 'single-put tx, flush (a log sync each)', value: flushes, unit: 'ops/s' },
    ]);
    store.close();
  });
}

main();
