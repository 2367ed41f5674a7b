/**
 * Transactions of thousands of scattered, overlapping ranges (declared in no
 * order), where the RangeSet's side list is in use: abort restores every
 * byte to its value before the transaction, and a commit logs every changed
 * byte (a crash that drops everything unsynced, then recovery, shows them).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_RANGE_COUNT_MAX } from '../src/constants.js';
import { Rvm } from '../src/index.js';
import type { Segment, Transaction } from '../src/index.js';
import type { CommitBatch } from '../src/log/commit-batch.js';
import type { TransactionResources } from '../src/transaction/transaction.js';
import { SimStorage } from '../src/testing.js';

const SEGMENT_SIZE = 256 * 1024;

const workload = fc.array(fc.record({ offset: fc.nat(SEGMENT_SIZE - 64), length: fc.integer({ min: 1, max: 48 }), value: fc.integer({ min: 1, max: 255 }) }), { minLength: 500, maxLength: 4000 });

type Writes = Array<{ offset: number; length: number; value: number }>;

/** Declares and writes each of `writes` in `tx`, then checks the transaction's invariants. */
function apply(tx: Transaction, seg: Segment, writes: Writes): void {
  for (const w of writes) {
    tx.setRange(seg, w.offset, w.length);
    seg.bytes.fill(w.value, w.offset, w.offset + w.length);
  }
  expect(tx.verify()).toBeNull();
}

function fill(bytes: Buffer, seed: number): void {
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + seed) & 0xff;
}

describe('a transaction of thousands of scattered ranges', () => {
  it('aborts to exactly the bytes before it', () => {
    fc.assert(
      fc.property(workload, (writes) => {
        const storage = new SimStorage();
        const rvm = Rvm.open('/store', { storage });
        const seg = rvm.map('s', SEGMENT_SIZE);
        const setup = rvm.begin();
        setup.setRange(seg, 0, SEGMENT_SIZE);
        fill(seg.bytes, 7);
        setup.commit();
        const before = Buffer.from(seg.bytes);
        const tx = rvm.begin();
        apply(tx, seg, writes);
        tx.abort();
        expect(seg.bytes.equals(before)).toBe(true);
        rvm.close();
      }),
      { numRuns: 20 },
    );
  });

  it('commits every changed byte: recovery after a crash that drops all unsynced data shows them', () => {
    fc.assert(
      fc.property(workload, (writes) => {
        const storage = new SimStorage();
        const rvm = Rvm.open('/store', { storage, logSizeMax: 64 * 1024 * 1024 });
        const seg = rvm.map('s', SEGMENT_SIZE);
        const tx = rvm.begin();
        apply(tx, seg, writes);
        tx.commit();
        const committed = Buffer.from(seg.bytes);
        storage.crash(1, 'dropAll');
        const again = Rvm.open('/store', { storage });
        expect(again.map('s').bytes.equals(committed)).toBe(true);
        again.close();
      }),
      { numRuns: 20 },
    );
  });
});

describe('memory after a huge transaction', () => {
  // An Rvm writes a batch once it holds batchSizeMax; the batch's memory is released after a
  // batch of more than twice that, undo data past 64 MiB, range lists past 2^18 ranges.
  it('is released: the pooled undo buffer and range lists, and the log batch once written', () => {
    const storage = new SimStorage();
    const rvm = Rvm.open('/store', { storage, logSizeMax: 1024 * 1024 * 1024, batchSizeMax: 64 * 1024 });
    const seg = rvm.map('s', 80 * 1024 * 1024);
    const internals = rvm as unknown as { resourcePool: TransactionResources[]; log: { batch: CommitBatch } };
    const huge = 65 * 1024 * 1024;
    for (const end of ['commit', 'abort'] as const) {
      const tx = rvm.begin();
      tx.setRange(seg, 0, huge);
      // 300,000 scattered 1-byte ranges, one byte apart (never adjacent), past the huge one.
      for (let i = 0; i < 300_000; i++) tx.setRange(seg, huge + ((i * 7919) % 300_000) * 2, 1);
      const resources = tx._resources!;
      expect(resources.undoCapacity).toBeGreaterThan(huge);
      expect(resources.ranges.capacity).toBeGreaterThan(300_000);
      if (end === 'commit') {
        const written = rvm.query().counters.logBytesWritten;
        tx.commit({ flush: false });
        rvm.flush();
        // The batch held the whole commit before it was written.
        expect(rvm.query().counters.logBytesWritten - written).toBeGreaterThan(huge);
      } else {
        tx.abort();
      }
      expect(internals.resourcePool).toContain(resources);
      expect(resources.undoCapacity).toBeLessThan(1024 * 1024);
      expect(resources.ranges.capacity).toBeLessThan(64 * 1024);
      expect(internals.log.batch.capacity).toBeLessThan(1024 * 1024);
    }
    // A batch of ordinary size keeps its memory (releasing it would make the next one grow it again).
    for (let i = 0; i < 100; i++) {
      const tx = rvm.begin();
      tx.setRange(seg, i * 1024, 1024);
      tx.commit({ flush: false });
    }
    const kept = internals.log.batch.capacity;
    rvm.flush();
    expect(internals.log.batch.capacity).toBe(kept);
    // And the store still works with the released memory.
    const tx = rvm.begin();
    tx.setRange(seg, 0, 8);
    seg.bytes.writeDoubleLE(42, 0);
    tx.commit();
    storage.crash(1, 'dropAll');
    const again = Rvm.open('/store', { storage });
    expect(again.map('s').bytes.readDoubleLE(0)).toBe(42);
    again.close();
  });
});

describe('a batch of many tiny commits', () => {
  it('is written once it holds BATCH_RANGE_COUNT_MAX ranges, however few bytes they are, and every commit survives a crash', () => {
    const storage = new SimStorage();
    const rvm = Rvm.open('/store', { storage, logSizeMax: 1024 * 1024 * 1024 });
    const seg = rvm.map('s', 1024 * 1024);
    const commits = 2 * BATCH_RANGE_COUNT_MAX + 100;
    let pendingMax = 0;
    for (let i = 0; i < commits; i++) {
      const tx = rvm.begin();
      // 4 bytes 8 apart: never merged with a neighbour, each commit its own place in the 1 MiB segment.
      const offset = i * 8;
      tx.setRange(seg, offset, 4);
      seg.bytes.writeUInt32LE(i, offset);
      tx.commit({ flush: false });
      pendingMax = Math.max(pendingMax, rvm.query().pendingCount);
    }
    // 132 KiB of data, far below batchSizeMax (4 MiB): the range count is what wrote them.
    expect(rvm.query().pendingSize).toBeLessThan(BATCH_RANGE_COUNT_MAX * 4);
    // The commit that brings the batch to BATCH_RANGE_COUNT_MAX ranges writes it.
    expect(pendingMax).toBe(BATCH_RANGE_COUNT_MAX - 1);
    expect(rvm.query().counters.recordsWritten).toBe(2);
    rvm.flush();
    storage.crash(1, 'dropAll');
    const again = Rvm.open('/store', { storage });
    const recovered = again.map('s');
    for (let i = 0; i < commits; i++) expect(recovered.bytes.readUInt32LE(i * 8)).toBe(i);
    again.close();
  });
});
