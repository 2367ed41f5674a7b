import { describe, expect, it } from 'vitest';
import { Rvm, RvmError } from '../src/index.js';
import { SimStorage } from '../src/testing.js';
import { tempDir } from './helpers/temp-dir.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RvmError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('map, commit, reopen', () => {
  it('creates a zero-filled segment and keeps flush commits across reopen', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('accounts', 4096);
    expect(seg.size).toBe(4096);
    expect(seg.bytes.every((b) => b === 0)).toBe(true);
    const tx = rvm.begin();
    tx.setRange(seg, 100, 4);
    seg.bytes.writeUInt32LE(42, 100);
    tx.commit();
    expect(rvm.query().logSize).toBeGreaterThan(0);
    rvm.close();

    const again = Rvm.open(dir);
    expect(again.query().recovery.recordCount).toBe(1);
    const seg2 = again.map('accounts');
    expect(seg2.size).toBe(4096);
    expect(seg2.bytes.readUInt32LE(100)).toBe(42);
    again.close();
  });

  it('recovers records whose segment table does not fit in front of the ranges (copied, and detached past 64 KiB)', () => {
    // Twelve segments with 100-character names: the record head is written
    // apart from the ranges (see CommitBatch.encode), which every other test
    // with few or short names never reaches.
    for (const commitsPerSegment of [1, 60]) {
      const dir = tempDir();
      const rvm = Rvm.open(dir);
      const segments = Array.from({ length: 12 }, (_, k) => rvm.map(`${k}`.padStart(100, 's'), 64 * 1024));
      for (let i = 0; i < commitsPerSegment; i++) {
        for (const [k, seg] of segments.entries()) {
          const tx = rvm.begin();
          tx.setRange(seg, i * 1024, 100);
          seg.bytes.fill((i + k) & 0xff, i * 1024, i * 1024 + 100);
          tx.commit({ flush: false });
        }
      }
      rvm.flush();
      expect(rvm.query().counters.recordsWritten).toBe(1);
      rvm.close();
      const again = Rvm.open(dir);
      expect(again.query().recovery.recordCount).toBe(1);
      for (let k = 0; k < 12; k++) {
        const seg = again.map(`${k}`.padStart(100, 's'));
        for (let i = 0; i < commitsPerSegment; i++) expect(seg.bytes.subarray(i * 1024, i * 1024 + 100).every((b) => b === ((i + k) & 0xff))).toBe(true);
      }
      again.close();
    }
  });

  it('no-flush commits are pending until flush, and close flushes them', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('s', 1024);
    for (let i = 0; i < 10; i++) {
      const tx = rvm.begin({ restore: false });
      tx.setRange(seg, i * 8, 8);
      seg.bytes.writeDoubleLE(i, i * 8);
      tx.commit({ flush: false });
    }
    expect(rvm.query().pendingCount).toBe(10);
    rvm.flush();
    expect(rvm.query().pendingCount).toBe(0);
    // Ten commits of adjacent ranges were merged into one record with one range.
    expect(rvm.query().counters.recordsWritten).toBe(1);
    const tx = rvm.begin();
    tx.setRange(seg, 200, 1);
    seg.bytes[200] = 7;
    tx.commit({ flush: false });
    rvm.close();
    const again = Rvm.open(dir);
    const s = again.map('s');
    for (let i = 0; i < 10; i++) expect(s.bytes.readDoubleLE(i * 8)).toBe(i);
    expect(s.bytes[200]).toBe(7);
    again.close();
  });

  it('abort restores the oldest bytes of overlapping ranges', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('s', 64);
    seg.bytes.fill(1);
    const setup = rvm.begin();
    setup.setRange(seg, 0, 64);
    setup.commit();
    const tx = rvm.begin();
    tx.setRange(seg, 10, 10);
    seg.bytes.fill(2, 10, 20);
    tx.setRange(seg, 5, 10); // overlaps [10, 15): those bytes keep their first saved value (1)
    seg.bytes.fill(3, 5, 15);
    tx.setRange(seg, 20, 4); // adjacent
    seg.bytes.fill(4, 20, 24);
    expect(tx.verify()).toBeNull();
    tx.abort();
    expect([...seg.bytes]).toEqual(new Array(64).fill(1));
    expect(rvm.query().counters.aborts).toBe(1);
    rvm.close();
  });

  it('uncommitted changes never reach the segment file', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('s', 64);
    const tx = rvm.begin();
    tx.setRange(seg, 0, 8);
    seg.bytes.fill(9, 0, 8);
    rvm.truncate();
    rvm.close();
    const again = Rvm.open(dir);
    expect(again.map('s').bytes.subarray(0, 8).every((b) => b === 0)).toBe(true);
    again.close();
  });

  it('truncate applies the log to the segment files and empties it', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('s', 8192);
    for (let i = 0; i < 100; i++) {
      const tx = rvm.begin();
      tx.setRange(seg, i * 16, 16);
      seg.bytes.fill(i, i * 16, i * 16 + 16);
      tx.commit({ flush: i % 3 === 0 });
    }
    const before = rvm.query();
    expect(before.logSize).toBeGreaterThan(0);
    rvm.truncate();
    const after = rvm.query();
    expect(after.logSize).toBe(0);
    expect(after.pendingCount).toBe(0);
    expect(after.generation).toBe(before.generation + 1);
    rvm.close();
    const again = Rvm.open(dir);
    expect(again.query().recovery.recordCount).toBe(0);
    const s = again.map('s');
    for (let i = 0; i < 100; i++) expect(s.bytes[i * 16 + 15]).toBe(i);
    again.close();
  });

  it('truncates automatically past logSizeMax (truncation: sync)', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir, { logSizeMax: 64 * 1024, truncation: 'sync' });
    const seg = rvm.map('s', 1 << 20);
    for (let i = 0; i < 200; i++) {
      const tx = rvm.begin();
      tx.setRange(seg, i * 1024, 1024);
      seg.bytes.fill(i & 0xff, i * 1024, i * 1024 + 1024);
      tx.commit();
    }
    const q = rvm.query();
    expect(q.counters.truncations).toBeGreaterThan(0);
    expect(q.logSize).toBeLessThan(64 * 1024 + 2048);
    rvm.close();
    const again = Rvm.open(dir);
    const s = again.map('s');
    for (let i = 0; i < 200; i++) expect(s.bytes[i * 1024 + 5]).toBe(i & 0xff);
    again.close();
  });

  it('a program that never yields still gets truncated synchronously at twice logSizeMax (truncation: background)', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir, { logSizeMax: 64 * 1024 });
    const seg = rvm.map('s', 1 << 20);
    for (let i = 0; i < 300; i++) {
      const tx = rvm.begin();
      tx.setRange(seg, i * 1024, 1024);
      seg.bytes.fill(i & 0xff, i * 1024, i * 1024 + 1024);
      tx.commit();
    }
    expect(rvm.query().counters.truncations).toBeGreaterThan(0);
    expect(rvm.query().logSize).toBeLessThan(2 * 64 * 1024 + 2048);
    rvm.close();
  });

  it('truncates in the background while commits go on', async () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir, { logSizeMax: 256 * 1024 });
    const seg = rvm.map('s', 4 << 20);
    let truncationsSeen = 0;
    for (let i = 0; i < 3000; i++) {
      const tx = rvm.begin();
      const offset = ((i * 7919) % 4096) * 1024;
      tx.setRange(seg, offset, 512);
      seg.bytes.fill(i & 0xff, offset, offset + 512);
      tx.commit({ flush: i % 10 === 0 });
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      truncationsSeen = rvm.query().counters.truncations;
    }
    expect(truncationsSeen).toBeGreaterThan(0);
    await rvm.truncateAsync();
    expect(rvm.query().logSize).toBe(0);
    const expected = Buffer.from(seg.bytes);
    rvm.close();
    const again = Rvm.open(dir);
    expect(again.query().recovery.recordCount).toBe(0);
    expect(again.map('s').bytes.equals(expected)).toBe(true);
    again.close();
  });

  it('remapping a segment changed since the last truncation sees its committed state', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    let seg = rvm.map('s', 64);
    const tx = rvm.begin();
    tx.setRange(seg, 0, 1);
    seg.bytes[0] = 5;
    tx.commit({ flush: false });
    rvm.unmap(seg);
    seg = rvm.map('s');
    expect(seg.bytes[0]).toBe(5);
    rvm.close();
  });

  it('grows a segment durably; the old Buffer is replaced', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('s', 16);
    const old = seg.bytes;
    const tx = rvm.begin();
    tx.setRange(seg, 0, 1);
    seg.bytes[0] = 1;
    tx.commit();
    rvm.grow(seg, 1 << 16);
    expect(seg.size).toBe(1 << 16);
    expect(seg.bytes).not.toBe(old);
    expect(seg.bytes[0]).toBe(1);
    const tx2 = rvm.begin();
    tx2.setRange(seg, 60000, 1);
    seg.bytes[60000] = 2;
    tx2.commit();
    rvm.close();
    const again = Rvm.open(dir);
    const s = again.map('s');
    expect(s.size).toBe(1 << 16);
    expect(s.bytes[0]).toBe(1);
    expect(s.bytes[60000]).toBe(2);
    again.close();
  });
});

describe('errors', () => {
  it('refuses bad arguments with typed errors', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    expect(code(() => rvm.map('bad/name', 10))).toBe('INVALID_NAME');
    expect(code(() => rvm.map('', 10))).toBe('INVALID_NAME');
    expect(code(() => rvm.map('x.tmp', 10))).toBe('INVALID_NAME');
    expect(code(() => rvm.map('missing'))).toBe('SEGMENT_NOT_FOUND');
    expect(code(() => rvm.map('s', 0))).toBe('INVALID_ARGUMENT');
    expect(code(() => rvm.map('s', 1.5))).toBe('INVALID_ARGUMENT');
    const seg = rvm.map('s', 100);
    expect(code(() => rvm.map('s'))).toBe('SEGMENT_MAPPED');
    const tx = rvm.begin();
    expect(code(() => tx.setRange(seg, 99, 2))).toBe('OUT_OF_RANGE');
    expect(code(() => tx.setRange(seg, -1, 2))).toBe('INVALID_ARGUMENT');
    expect(code(() => tx.setRange(seg, 0.5, 2))).toBe('INVALID_ARGUMENT');
    expect(code(() => tx.setRange(seg, 0, Number.NaN))).toBe('INVALID_ARGUMENT');
    tx.setRange(seg, 0, 10);
    expect(code(() => rvm.unmap(seg))).toBe('SEGMENT_BUSY');
    expect(code(() => rvm.destroy('s'))).toBe('SEGMENT_MAPPED');
    const other = rvm.begin();
    expect(code(() => other.setRange(seg, 5, 10))).toBe('CONFLICT');
    other.setRange(seg, 10, 5); // adjacent is fine
    tx.commit();
    expect(code(() => tx.commit())).toBe('TX_CLOSED');
    expect(code(() => tx.abort())).toBe('TX_CLOSED');
    other.abort();
    const nr = rvm.begin({ restore: false });
    nr.setRange(seg, 0, 1);
    expect(code(() => nr.abort())).toBe('NO_RESTORE');
    nr.commit();
    rvm.close();
    expect(code(() => rvm.begin())).toBe('CLOSED');
    expect(code(() => rvm.map('s'))).toBe('CLOSED');
    expect(code(() => rvm.query())).toBe('CLOSED');
    const again = Rvm.open(dir);
    expect(code(() => again.map('s', 50))).toBe('SIZE_MISMATCH');
    expect(code(() => again.map('s', 100))).toBe('no error');
    again.close();
  });

  it('refuses a second open of the same directory in one process', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    expect(code(() => Rvm.open(dir))).toBe('LOCKED');
    expect(code(() => Rvm.open(`${dir}/.`))).toBe('LOCKED');
    rvm.close();
    Rvm.open(dir).close();
  });

  it('close() reports a lock it could not release, after closing and making every commit durable', () => {
    const storage = new SimStorage();
    const rvm = Rvm.open('/store', { storage });
    const seg = rvm.map('s', 64);
    const tx = rvm.begin();
    tx.setRange(seg, 0, 1);
    seg.bytes[0] = 7;
    tx.commit({ flush: false });
    storage.injectFault({ op: 'unlock', kind: 'EIO', persistent: false });
    let error: unknown;
    try {
      rvm.close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RvmError);
    expect((error as RvmError).code).toBe('IO_ERROR');
    expect((error as RvmError).message).toMatch(/committed data is safe.*remove \/store\/lock/);
    expect((error as RvmError).details).toMatchObject({ path: '/store/lock', errno: 'EIO' });
    expect(code(() => rvm.begin())).toBe('CLOSED');
    rvm.close(); // closed already: nothing more to report
    storage.crash(1, 'dropAll');
    const again = Rvm.open('/store', { storage });
    expect(again.map('s').bytes[0]).toBe(7);
    again.close();
  });

  it('destroy removes an unmapped segment, after applying its logged changes', () => {
    const dir = tempDir();
    const rvm = Rvm.open(dir);
    const seg = rvm.map('s', 64);
    const tx = rvm.begin();
    tx.setRange(seg, 0, 1);
    tx.commit();
    rvm.unmap(seg);
    expect(rvm.listSegments().map((s) => s.name)).toEqual(['s']);
    rvm.destroy('s');
    expect(rvm.listSegments()).toEqual([]);
    rvm.close();
    const again = Rvm.open(dir);
    expect(code(() => again.map('s'))).toBe('SEGMENT_NOT_FOUND');
    again.close();
  });
});
