import { describe, expect, it } from 'vitest';
import { Rvm, RvmError } from '../src/index.js';
import { SimStorage } from '../src/testing.js';
import { tempDir } from './helpers/temp-dir.js';

async function committer(rvm: Rvm, seg: ReturnType<Rvm['map']>, slot: number, count: number, acknowledged: number[]): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const tx = rvm.begin();
    tx.setRange(seg, slot * 8, 8);
    seg.bytes.writeDoubleLE(i, slot * 8);
    await tx.commitAsync();
    acknowledged[slot] = i;
  }
}

describe('commitAsync (group commit)', () => {
  it('64 concurrent committers share fdatasyncs and every acknowledged commit is durable', async () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('s', 64 * 8);
    const acknowledged: number[] = new Array(64).fill(0);
    await Promise.all(Array.from({ length: 64 }, (_, slot) => committer(rvm, seg, slot, 20, acknowledged)));
    const q = rvm.query();
    expect(q.counters.asyncCommits).toBe(64 * 20);
    expect(q.counters.groupSyncs).toBeGreaterThan(0);
    expect(q.counters.groupSyncs).toBeLessThan(64 * 20 / 4);
    expect(q.pendingCount).toBe(0);
    rvm.close();
    const again = Rvm.open(dir);
    const s = again.map('s');
    for (let slot = 0; slot < 64; slot++) expect(s.bytes.readDoubleLE(slot * 8)).toBe(20);
    again.close();
  });

  it('one sync per round: a batch waits for the promise chains of the committers the previous sync resumed', async () => {
    const rvm = Rvm.open(tempDir());
    const seg = rvm.map('s', 64 * 8);
    // Each commit is reached through 0 to 4 awaits (an application's async layers), with
    // nothing waiting on I/O: all 64 commits of a round must still make one batch.
    const put = async (slot: number, i: number): Promise<void> => {
      for (let k = 0; k < slot % 5; k++) await null;
      const tx = rvm.begin();
      tx.setRange(seg, slot * 8, 8);
      seg.bytes.writeDoubleLE(i, slot * 8);
      await tx.commitAsync();
    };
    const rounds = 10;
    await Promise.all(Array.from({ length: 64 }, async (_, slot) => {
      for (let i = 1; i <= rounds; i++) await put(slot, i);
    }));
    const q = rvm.query();
    expect(q.counters.asyncCommits).toBe(64 * rounds);
    expect(q.counters.groupSyncs).toBe(rounds);
    rvm.close();
  });

  it('resolves in commit order and waits for earlier no-flush commits (prefix)', async () => {
    const storage = new SimStorage();
    const rvm = Rvm.open('/store', { storage });
    const seg = rvm.map('s', 64);
    const order: string[] = [];
    const a = rvm.begin();
    a.setRange(seg, 0, 1);
    seg.bytes[0] = 1;
    a.commit({ flush: false });
    const b = rvm.begin();
    b.setRange(seg, 1, 1);
    seg.bytes[1] = 2;
    const pb = b.commitAsync().then(() => order.push('b'));
    const c = rvm.begin(); // no ranges: still waits for everything before it
    const pc = c.commitAsync().then(() => order.push('c'));
    expect(rvm.query().pendingCount).toBe(2);
    await Promise.all([pb, pc]);
    expect(order).toEqual(['b', 'c']);
    expect(rvm.query().durableSequence).toBeGreaterThan(0);
    storage.crash(1, 'dropAll');
    const again = Rvm.open('/store', { storage });
    const s = again.map('s');
    expect([s.bytes[0], s.bytes[1]]).toEqual([1, 2]);
    again.close();
  });

  it('a failed sync rejects every commit of its batch with a typed error and poisons the store', async () => {
    const storage = new SimStorage();
    const rvm = Rvm.open('/store', { storage });
    const seg = rvm.map('s', 64);
    const committed = rvm.begin();
    committed.setRange(seg, 0, 1);
    seg.bytes[0] = 9;
    committed.commit();
    storage.injectFault({ op: 'sync', kind: 'EIO', persistent: false });
    const promises = [0, 1, 2].map((i) => {
      const tx = rvm.begin();
      tx.setRange(seg, 10 + i, 1);
      seg.bytes[10 + i] = 1;
      return tx.commitAsync();
    });
    const results = await Promise.allSettled(promises);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(RvmError);
      expect(((r as PromiseRejectedResult).reason as RvmError).code).toBe('IO_ERROR');
    }
    expect(rvm.query().poisoned).toBe(true);
    const late = rvm.begin();
    late.setRange(seg, 20, 1);
    expect(() => late.commitAsync()).toThrowError(expect.objectContaining({ code: 'POISONED' }));
    late.abort();
    rvm.close();
    const again = Rvm.open('/store', { storage });
    expect(again.map('s').bytes[0]).toBe(9);
    again.close();
  });

  it('close() makes pending async commits durable and leaves no promise pending', async () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('s', 64);
    const tx = rvm.begin();
    tx.setRange(seg, 0, 1);
    seg.bytes[0] = 5;
    const p = tx.commitAsync();
    rvm.close();
    await expect(p).resolves.toBeUndefined();
    const again = Rvm.open(dir);
    expect(again.map('s').bytes[0]).toBe(5);
    again.close();
  });

  it('every acknowledged async commit survives a crash at any later storage operation', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const storage = new SimStorage();
      const rvm = Rvm.open('/store', { storage });
      const seg = rvm.map('s', 256);
      const acknowledged: number[] = new Array(8).fill(0);
      storage.crashAt(storage.opCount + 3 + (seed % 17), seed);
      await Promise.allSettled(Array.from({ length: 8 }, (_, slot) => committer(rvm, seg, slot, 10, acknowledged)));
      storage.recoverFromCrash();
      const again = Rvm.open('/store', { storage });
      const s = again.map('s');
      for (let slot = 0; slot < 8; slot++) expect(s.bytes.readDoubleLE(slot * 8)).toBeGreaterThanOrEqual(acknowledged[slot]!);
      again.close();
    }
  });
});
