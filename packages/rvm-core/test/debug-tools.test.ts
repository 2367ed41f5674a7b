import { describe, expect, it } from 'vitest';
import { Rvm, RvmError } from '../src/index.js';
import type { CommitEvent } from '../src/index.js';
import { tempDir } from './helpers/temp-dir.js';

function undeclared(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (e instanceof RvmError && e.code === 'UNDECLARED_WRITE') return e.details.writes;
    throw e;
  }
  return null;
}

describe('checkWrites', () => {
  it('reports bytes changed without setRange, at commit and at begin, once each', () => {
    const rvm = Rvm.open(tempDir(), { checkWrites: true });
    const seg = rvm.map('s', 10_000);
    const tx = rvm.begin();
    tx.setRange(seg, 0, 4);
    seg.bytes.writeUInt32LE(1, 0);
    seg.bytes.fill(7, 5000, 5010); // forgot setRange
    expect(undeclared(() => tx.commit())).toEqual([{ segment: 's', offset: 5000, length: 10 }]);
    expect(tx.open).toBe(true); // the commit did not happen; the transaction can still commit or abort
    tx.commit();
    seg.bytes[9999] = 1; // a write outside any transaction
    expect(undeclared(() => rvm.begin())).toEqual([{ segment: 's', offset: 9999, length: 1 }]);
    rvm.begin().abort();
    rvm.close();
  });

  it('raises nothing for correct use: several transactions, abort, no-restore, grow', () => {
    const rvm = Rvm.open(tempDir(), { checkWrites: true });
    const seg = rvm.map('s', 4096);
    const a = rvm.begin();
    const b = rvm.begin({ restore: false });
    a.setRange(seg, 0, 100);
    seg.bytes.fill(1, 0, 100);
    b.setRange(seg, 200, 100);
    seg.bytes.fill(2, 200, 300);
    a.commit();
    const c = rvm.begin();
    c.setRange(seg, 50, 10);
    seg.bytes.fill(3, 50, 60);
    c.abort();
    b.commit({ flush: false });
    rvm.grow(seg, 8192);
    const d = rvm.begin();
    d.setRange(seg, 8000, 8);
    seg.bytes.fill(4, 8000, 8008);
    d.commit();
    rvm.close();
  });
});

describe('onCommit', () => {
  it('delivers commits in order, only once durable, with copies of the new bytes', async () => {
    const rvm = Rvm.open(tempDir());
    const seg = rvm.map('s', 64);
    const events: CommitEvent[] = [];
    const unsubscribe = rvm.onCommit((e) => events.push(e));
    let failures = 0;
    rvm.onCommit(() => {
      failures++;
      throw new Error('a listener that throws');
    });
    for (let i = 0; i < 3; i++) {
      const tx = rvm.begin();
      tx.setRange(seg, i, 1);
      seg.bytes[i] = 10 + i;
      tx.commit({ flush: false });
    }
    expect(events).toHaveLength(0);
    rvm.flush();
    expect(events.map((e) => e.ranges[0]!.data[0])).toEqual([10, 11, 12]);
    expect(events.map((e) => e.commitIndex)).toEqual([1, 2, 3]);
    expect(failures).toBe(3);
    const tx = rvm.begin();
    tx.setRange(seg, 5, 2);
    seg.bytes.fill(9, 5, 7);
    const done = tx.commitAsync();
    expect(events).toHaveLength(3);
    await done;
    expect(events[3]!.ranges).toEqual([{ segment: 's', offset: 5, data: Buffer.from([9, 9]) }]);
    unsubscribe();
    const last = rvm.begin();
    last.setRange(seg, 0, 1);
    last.commit();
    expect(events).toHaveLength(4);
    rvm.close();
  });
});
