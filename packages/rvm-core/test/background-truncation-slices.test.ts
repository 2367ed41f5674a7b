/**
 * Background truncation writes pages in slices and syncs each slice on the
 * thread pool before writing the next:
 * - so the kernel never holds more than one slice of segment data dirty, and
 *   a flush commit's fdatasync of the log never queues behind more than one
 *   slice of writeback (checked by counting, per file, the bytes written
 *   since its last sync);
 * - and a failed slice sync that has not reported yet (its callback is still
 *   to run) is never lost: a synchronous truncate(), close() or unmap() in
 *   that window syncs the segment through its other file description, which
 *   reports the failure (Linux reports it once to every open file
 *   description), so the log that holds the slice's changes is kept.
 */
import { describe, expect, it } from 'vitest';
import { Rvm } from '../src/index.js';
import type { Segment, Storage } from '../src/index.js';
import { isSimCrash, SimStorage } from '../src/testing.js';

const PAGE_SIZE = 4096;

/**
 * A store whose segment has 8 pages, page p holding p + 1 (committed with or
 * without flush), and a background truncation whose first segment sync (the
 * first slice's) has just failed; its callback has not run yet.
 */
async function failingSliceSync(flush: boolean): Promise<{ storage: SimStorage; rvm: Rvm; seg: Segment; truncation: Promise<void> }> {
  const storage = new SimStorage();
  const rvm = Rvm.open('/store', { storage, logSizeMax: 1 << 30, truncationSliceSize: 2 * PAGE_SIZE });
  const seg = rvm.map('s', 8 * PAGE_SIZE);
  for (let page = 0; page < 8; page++) {
    const tx = rvm.begin();
    tx.setRange(seg, page * PAGE_SIZE, 8);
    seg.bytes.writeDoubleLE(page + 1, page * PAGE_SIZE);
    tx.commit({ flush });
  }
  // The first sync of the segment file from now on is the first slice's (it fails, and the simulator drops its pages).
  storage.injectFault({ op: 'sync', path: '/store/s.seg', kind: 'EIO', persistent: false });
  const truncation = rvm.truncateAsync();
  truncation.catch(() => undefined);
  while (storage.faultCount === 0) await new Promise((resolve) => setImmediate(resolve));
  return { storage, rvm, seg, truncation };
}

/** After a crash that drops everything not synced, every page of failingSliceSync's segment still holds its value. */
function expectEveryPageAfterCrash(storage: SimStorage): void {
  storage.crash(1, 'dropAll');
  const again = Rvm.open('/store', { storage });
  const s = again.map('s');
  for (let page = 0; page < 8; page++) expect(s.bytes.readDoubleLE(page * PAGE_SIZE), `page ${page}`).toBe(page + 1);
  again.close();
}

/** A SimStorage whose writes and syncs are counted per file descriptor. */
function countingStorage(sim: SimStorage, unsyncedMax: Map<number, number>): Storage {
  const unsynced = new Map<number, number>();
  return new Proxy(sim, {
    get(target, key, receiver) {
      if (key === 'write') {
        return (fd: number, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number => {
          const n = target.write(fd, buffer, bufferOffset, length, position);
          const total = (unsynced.get(fd) ?? 0) + n;
          unsynced.set(fd, total);
          unsyncedMax.set(fd, Math.max(unsyncedMax.get(fd) ?? 0, total));
          return n;
        };
      }
      if (key === 'sync') {
        return (fd: number): void => {
          target.sync(fd);
          unsynced.set(fd, 0);
        };
      }
      if (key === 'syncAsync') {
        return (fd: number, callback: (error: Error | null) => void): void => {
          // SimStorage syncs at the call; what was written before it is durable.
          unsynced.set(fd, 0);
          target.syncAsync(fd, callback);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('background truncation slices', () => {
  it('never leaves more than one slice of a segment file unsynced, while flush commits go on', async () => {
    const sim = new SimStorage();
    const unsyncedMax = new Map<number, number>();
    const sliceSize = 4 * PAGE_SIZE;
    const rvm = Rvm.open('/store', { storage: countingStorage(sim, unsyncedMax), logSizeMax: 1 << 30, truncationSliceSize: sliceSize });
    const seg = rvm.map('s', 64 * PAGE_SIZE);
    const hot = rvm.map('hot', 8 * PAGE_SIZE);
    for (let page = 0; page < 64; page++) {
      const tx = rvm.begin();
      tx.setRange(seg, page * PAGE_SIZE, PAGE_SIZE);
      seg.bytes.fill(page + 1, page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
      tx.commit({ flush: false });
    }
    const segmentFd = seg.fd;
    const truncation = rvm.truncateAsync();
    let done = false;
    void truncation.finally(() => {
      done = true;
    });
    for (let i = 0; !done; i++) {
      const tx = rvm.begin();
      tx.setRange(hot, (i % 8) * PAGE_SIZE, 8);
      hot.bytes.writeDoubleLE(i, (i % 8) * PAGE_SIZE);
      tx.commit({ flush: true });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await truncation;
    expect(rvm.query().logSize).toBe(0);
    expect(unsyncedMax.get(segmentFd)).toBeGreaterThan(0);
    expect(unsyncedMax.get(segmentFd)).toBeLessThanOrEqual(sliceSize);
    rvm.close();
    const again = Rvm.open('/store', { storage: sim });
    const s = again.map('s');
    for (let page = 0; page < 64; page++) expect(s.bytes[page * PAGE_SIZE + 17]).toBe(page + 1);
    again.close();
  });

  it('writes slices of 4 times truncationSliceSize while no commit waits for the log, one slice while one does', async () => {
    const sim = new SimStorage();
    const unsyncedMax = new Map<number, number>();
    const sliceSize = 2 * PAGE_SIZE;
    const rvm = Rvm.open('/store', { storage: countingStorage(sim, unsyncedMax), logSizeMax: 1 << 30, truncationSliceSize: sliceSize });
    const seg = rvm.map('s', 64 * PAGE_SIZE);
    const fill = (k: number): void => {
      for (let page = 0; page < 64; page++) {
        const tx = rvm.begin();
        tx.setRange(seg, page * PAGE_SIZE, 8);
        seg.bytes.writeDoubleLE(page + k, page * PAGE_SIZE);
        tx.commit({ flush: false });
      }
    };
    fill(1);
    await rvm.truncateAsync();
    expect(unsyncedMax.get(seg.fd)).toBe(4 * sliceSize);
    unsyncedMax.clear();
    fill(2);
    const truncation = rvm.truncateAsync();
    let done = false;
    void truncation.finally(() => {
      done = true;
    });
    // An async commit before every slice: each slice is one truncationSliceSize.
    while (!done) {
      const tx = rvm.begin();
      tx.setRange(seg, 0, 1);
      void tx.commitAsync();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await truncation;
    expect(unsyncedMax.get(seg.fd)).toBeLessThanOrEqual(sliceSize);
    rvm.close();
  });

  it('a synchronous truncate() while a slice is being synced does not count on that slice', async () => {
    const { storage, rvm, truncation } = await failingSliceSync(false);
    // The slice's sync failed but its callback has not run: the instance does not know yet.
    expect(rvm.query().poisoned).toBe(false);
    const logSize = rvm.query().logSize;
    // truncate() syncs the segment through its other file description, which
    // reports the slice's failure: the log, which holds the lost pages' changes, is kept.
    expect(() => rvm.truncate()).toThrow(expect.objectContaining({ code: 'IO_ERROR' }));
    expect(rvm.query().logSize).toBe(logSize);
    await expect(truncation).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(rvm.query().poisoned).toBe(true);
    rvm.close();
    expectEveryPageAfterCrash(storage);
  });

  it('close() while a failed slice sync is in flight reports the failure and loses nothing', async () => {
    const { storage, rvm, truncation } = await failingSliceSync(false);
    const settled = truncation.catch(() => undefined);
    expect(rvm.query().poisoned).toBe(false);
    // The slice's callback will find the store closed; close() itself reports the failure.
    expect(() => rvm.close()).toThrow(expect.objectContaining({ code: 'IO_ERROR' }));
    await settled;
    expectEveryPageAfterCrash(storage);
  });

  it('unmap() while a failed slice sync of its segment is in flight poisons, even when close() follows at once', async () => {
    const { storage, rvm, seg, truncation } = await failingSliceSync(true);
    const settled = truncation.catch(() => undefined);
    expect(rvm.query().poisoned).toBe(false);
    rvm.unmap(seg);
    expect(rvm.query().poisoned).toBe(true);
    rvm.close();
    await settled;
    expectEveryPageAfterCrash(storage);
  });
});
