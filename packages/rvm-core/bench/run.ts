/**
 * rvm-core benchmark. Every figure is measured beside its physical reference in
 * the same process: flush commits against a raw write + fdatasync loop of the
 * same record size, no-flush commits against a bare loop doing the same
 * copies. Run: `pnpm --filter @rvm/core bench` (BENCH_QUICK=1 for a short run).
 */
import { closeSync, fdatasync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Rvm } from '../src/index.js';
import { medianRate, medianRateAsync, printRows, QUICK, type Row, withTempDir, withTempDirAsync } from './measure.js';

const RECORD_SIZE = 128;
const SYNC_OPS = QUICK ? 500 : 3000;
const NO_FLUSH_OPS = QUICK ? 200_000 : 1_000_000;
const SEGMENT_SIZE = 64 * 1024 * 1024;

/** `preallocated`: overwrite a file already written once (no size or block-allocation change to sync). */
function rawFdatasyncLoop(dir: string, preallocated: boolean): number {
  // A record of the same size our flush commit writes for one 128-byte range
  // (48-byte header + 8-byte segment table + 16-byte range header + data).
  const record = Buffer.alloc(RECORD_SIZE + 72, 7);
  return medianRate(() => {
    const fd = openSync(join(dir, `raw-${Math.random()}`), 'w');
    if (preallocated) {
      writeSync(fd, Buffer.alloc(SYNC_OPS * record.length), 0, SYNC_OPS * record.length, 0);
      fdatasyncSync(fd);
    }
    let pos = 0;
    for (let i = 0; i < SYNC_OPS; i++) {
      writeSync(fd, record, 0, record.length, pos);
      pos += record.length;
      fdatasyncSync(fd);
    }
    closeSync(fd);
    return SYNC_OPS;
  });
}

/** Commits of `rangeCount` ranges of 128 bytes at scattered slots of a working set of `workingSetSize` bytes. */
function commitLoop(rvm: Rvm, ops: number, rangeCount: number, flush: boolean, restore: boolean, workingSetSize = SEGMENT_SIZE): number {
  const seg = rvm.map(`seg-${rangeCount}-${flush}-${restore}-${workingSetSize}`, SEGMENT_SIZE);
  const slots = workingSetSize / RECORD_SIZE;
  let slot = 0;
  const options = { flush };
  const beginOptions = { restore };
  const rate = medianRate(() => {
    for (let i = 0; i < ops; i++) {
      const tx = rvm.begin(beginOptions);
      for (let r = 0; r < rangeCount; r++) {
        const offset = ((slot * 7919) % slots) * RECORD_SIZE;
        slot++;
        tx.setRange(seg, offset, RECORD_SIZE);
        seg.bytes.writeUInt32LE(i, offset);
      }
      tx.commit(options);
    }
    rvm.flush();
    return ops;
  });
  rvm.unmap(seg);
  return rate;
}

function bareCopyLoop(ops: number): number {
  const seg = Buffer.alloc(SEGMENT_SIZE);
  const log = Buffer.alloc(8 * 1024 * 1024);
  const slots = SEGMENT_SIZE / RECORD_SIZE;
  let slot = 0;
  let pos = 0;
  return medianRate(() => {
    for (let i = 0; i < ops; i++) {
      const offset = ((slot * 7919) % slots) * RECORD_SIZE;
      slot++;
      seg.writeUInt32LE(i, offset);
      if (pos + RECORD_SIZE > log.length) pos = 0;
      seg.copy(log, pos, offset, offset + RECORD_SIZE);
      pos += RECORD_SIZE;
    }
    return ops;
  });
}

function recoveryAndTruncation(dir: string): { recoveryMBs: number; truncationMBs: number; logMB: number } {
  const logSizeMax = 1 << 30;
  const rangeSize = 4096;
  const commits = QUICK ? 4000 : 32_000;
  const fill = () => {
    const rvm = Rvm.open(dir, { logSizeMax });
    const seg = rvm.map('data', SEGMENT_SIZE * 2);
    const slots = seg.size / rangeSize;
    for (let i = 0; i < commits; i++) {
      const tx = rvm.begin({ restore: false });
      const offset = ((i * 7919) % slots) * rangeSize;
      tx.setRange(seg, offset, rangeSize);
      seg.bytes.fill(i & 0xff, offset, offset + rangeSize);
      tx.commit({ flush: i % 256 === 255 });
    }
    return rvm;
  };
  const recoveryRates: number[] = [];
  const truncationRates: number[] = [];
  let logBytes = 0;
  for (let round = 0; round < 3; round++) {
    let rvm = fill();
    logBytes = rvm.query().logSize;
    rvm.close(); // close does not truncate: the next open recovers from the log
    const start = process.hrtime.bigint();
    rvm = Rvm.open(dir, { logSizeMax });
    recoveryRates.push(logBytes / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9));
    rvm.close();
    rvm = fill();
    const bytes = rvm.query().logSize;
    const t0 = process.hrtime.bigint();
    rvm.truncate();
    truncationRates.push(bytes / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9));
    rvm.close();
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { recoveryMBs: median(recoveryRates), truncationMBs: median(truncationRates), logMB: logBytes / 1e6 };
}

const COMMITTERS = 64;
const GROUP_OPS = QUICK ? 4000 : 20_000;

/** Raw group commit: COMMITTERS records coalesced into one write, then one fdatasync on the thread pool. */
async function rawGroupLoop(dir: string): Promise<number> {
  const record = Buffer.alloc(RECORD_SIZE + 72, 7);
  const batch = Buffer.alloc(record.length * COMMITTERS, 7);
  const sync = promisify(fdatasync);
  return medianRateAsync(async () => {
    const fd = openSync(join(dir, `group-${Math.random()}`), 'w');
    writeSync(fd, Buffer.alloc(GROUP_OPS * record.length), 0, GROUP_OPS * record.length, 0);
    fdatasyncSync(fd);
    let pos = 0;
    for (let done = 0; done < GROUP_OPS; done += COMMITTERS) {
      writeSync(fd, batch, 0, batch.length, pos);
      pos += batch.length;
      await sync(fd);
    }
    closeSync(fd);
    return GROUP_OPS;
  });
}

/** COMMITTERS concurrent async committers of one 128-byte range; returns commits/s and latency percentiles in ms. */
async function groupCommitLoop(rvm: Rvm): Promise<{ rate: number; p50: number; p99: number }> {
  const seg = rvm.map('group', COMMITTERS * RECORD_SIZE);
  const latencies = new Float64Array(GROUP_OPS);
  let next = 0;
  const rate = await medianRateAsync(async () => {
    next = 0;
    const worker = async (slot: number) => {
      while (next < GROUP_OPS) {
        const i = next++;
        const start = process.hrtime.bigint();
        const tx = rvm.begin();
        tx.setRange(seg, slot * RECORD_SIZE, RECORD_SIZE);
        seg.bytes.writeUInt32LE(i, slot * RECORD_SIZE);
        await tx.commitAsync();
        latencies[i] = Number(process.hrtime.bigint() - start) / 1e6;
      }
    };
    await Promise.all(Array.from({ length: COMMITTERS }, (_, slot) => worker(slot)));
    return GROUP_OPS;
  });
  rvm.unmap(seg);
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return { rate, p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]! };
}

await withTempDirAsync(async (dir) => {
  const rawGroup = await rawGroupLoop(dir);
  const rvm = Rvm.open(join(dir, 'group-store'));
  const group = await groupCommitLoop(rvm);
  rvm.close();
  printRows(`group commit, ${COMMITTERS} concurrent committers (${dir})`, [
    { workload: `raw ${COMMITTERS} records per write + fdatasync`, value: rawGroup, unit: 'records/s' },
    { workload: `commitAsync x ${COMMITTERS}, 1 x 128 B`, value: group.rate, unit: 'commits/s', reference: 'raw group', referenceValue: rawGroup, target: '>= 0.8x', met: group.rate / rawGroup >= 0.8 },
    { workload: 'commitAsync latency p50', value: group.p50, unit: 'ms' },
    { workload: 'commitAsync latency p99', value: group.p99, unit: 'ms' },
  ]);
});

/**
 * Commit latency while a truncation of a large log runs in the background.
 * Latency = event-loop delay before the commit could run + the commit call,
 * i.e. what a server handling a request would see.
 */
async function backgroundTruncationLatency(dir: string): Promise<Row[]> {
  const logBytes = QUICK ? 32 << 20 : 256 << 20;
  const rvm = Rvm.open(dir, { logSizeMax: 4 * logBytes });
  const seg = rvm.map('big', logBytes);
  const rangeSize = 4096;
  const slots = logBytes / rangeSize;
  const hot = rvm.map('hot', 1 << 20);
  const measure = async (count: number, flush: boolean, during: () => boolean): Promise<number[]> => {
    const latencies: number[] = [];
    for (let i = 0; i < count && during(); i++) {
      const scheduled = process.hrtime.bigint();
      await new Promise((resolve) => setImmediate(resolve));
      const tx = rvm.begin();
      const offset = (i % 8192) * 128;
      tx.setRange(hot, offset, 128);
      hot.bytes.writeUInt32LE(i, offset);
      tx.commit({ flush });
      latencies.push(Number(process.hrtime.bigint() - scheduled) / 1e6);
    }
    return latencies.sort((a, b) => a - b);
  };
  const p99 = (xs: number[]) => xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? Number.NaN;
  const idleNoFlush = p99(await measure(2000, false, () => true));
  const idleFlush = p99(await measure(500, true, () => true));
  for (let i = 0; i < slots; i++) {
    const tx = rvm.begin({ restore: false });
    const offset = ((i * 7919) % slots) * rangeSize;
    tx.setRange(seg, offset, rangeSize);
    seg.bytes[offset] = i & 0xff;
    tx.commit({ flush: false });
  }
  rvm.flush();
  const logSize = rvm.query().logSize;
  let running = true;
  const started = process.hrtime.bigint();
  const truncation = rvm.truncateAsync().finally(() => {
    running = false;
  });
  const busyNoFlush = await measure(1_000_000, false, () => running);
  const noFlushCount = busyNoFlush.length;
  await truncation;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // A second truncation of the same size, measuring flush commits during it.
  for (let i = 0; i < slots; i++) {
    const tx = rvm.begin({ restore: false });
    const offset = ((i * 7919) % slots) * rangeSize;
    tx.setRange(seg, offset, rangeSize);
    seg.bytes[offset] = (i + 1) & 0xff;
    tx.commit({ flush: false });
  }
  rvm.flush();
  running = true;
  const truncation2 = rvm.truncateAsync().finally(() => {
    running = false;
  });
  const busyFlush = await measure(1_000_000, true, () => running);
  await truncation2;
  rvm.close();
  const mb = logSize / 1e6;
  return [
    { workload: `background truncation of a ${mb.toFixed(0)} MB log`, value: mb / seconds, unit: 'MB/s' },
    { workload: `no-flush commit p99, idle`, value: idleNoFlush, unit: 'ms' },
    { workload: `no-flush commit p99, during truncation (${noFlushCount} commits)`, value: p99(busyNoFlush), unit: 'ms', target: '< 2 ms', met: p99(busyNoFlush) < 2 },
    { workload: `flush commit p99, idle`, value: idleFlush, unit: 'ms' },
    { workload: `flush commit p99, during truncation (${busyFlush.length} commits)`, value: p99(busyFlush), unit: 'ms', reference: 'idle p99', referenceValue: idleFlush, target: '< 3x idle', met: p99(busyFlush) < 3 * idleFlush },
  ];
}

await withTempDirAsync(async (dir) => {
  printRows(`background truncation (${dir})`, await backgroundTruncationLatency(dir));
});

withTempDir((dir) => {
  const rows: Row[] = [];
  const raw = rawFdatasyncLoop(dir, false);
  const rawOverwrite = rawFdatasyncLoop(dir, true);
  const rvm = Rvm.open(join(dir, 'store'), { logSizeMax: 256 * 1024 * 1024 });
  const flush1 = commitLoop(rvm, SYNC_OPS, 1, true, true);
  rows.push({ workload: 'raw append+fdatasync, 200 B', value: raw, unit: 'ops/s' });
  rows.push({ workload: 'raw overwrite+fdatasync, 200 B', value: rawOverwrite, unit: 'ops/s' });
  rows.push({ workload: 'flush commit, 1 x 128 B', value: flush1, unit: 'commits/s', reference: 'raw append', referenceValue: raw, target: '>= 0.9x', met: flush1 / raw >= 0.9 });
  rows.push({ workload: 'flush commit, 1 x 128 B', value: flush1, unit: 'commits/s', reference: 'raw overwrite', referenceValue: rawOverwrite, target: '>= 0.9x', met: flush1 / rawOverwrite >= 0.9 });
  const bare = bareCopyLoop(NO_FLUSH_OPS);
  const noFlush1 = commitLoop(rvm, NO_FLUSH_OPS, 1, false, true);
  const noFlush1nr = commitLoop(rvm, NO_FLUSH_OPS, 1, false, false);
  const noFlushHot = commitLoop(rvm, NO_FLUSH_OPS, 1, false, true, 1 << 20);
  rows.push({ workload: 'bare copy loop, 128 B', value: bare, unit: 'ops/s' });
  rows.push({ workload: 'no-flush commit, 1 x 128 B, 64 MiB set', value: noFlush1, unit: 'commits/s', reference: 'bare copy', referenceValue: bare, target: '>= 1,000,000/s', met: noFlush1 >= 1_000_000 });
  rows.push({ workload: 'no-flush commit, 1 x 128 B, 1 MiB set', value: noFlushHot, unit: 'commits/s', reference: 'bare copy', referenceValue: bare, target: '>= 1,000,000/s', met: noFlushHot >= 1_000_000 });
  rows.push({ workload: 'no-flush no-restore, 1 x 128 B, 64 MiB', value: noFlush1nr, unit: 'commits/s', reference: 'bare copy', referenceValue: bare, target: '>= 1,000,000/s', met: noFlush1nr >= 1_000_000 });
  for (const ranges of [10, 100]) {
    const f = commitLoop(rvm, Math.max(100, SYNC_OPS / (ranges / 10) / 2), ranges, true, true);
    rows.push({ workload: `flush commit, ${ranges} x 128 B`, value: f, unit: 'commits/s', reference: 'raw overwrite', referenceValue: rawOverwrite });
    const n = commitLoop(rvm, NO_FLUSH_OPS / ranges, ranges, false, true);
    rows.push({ workload: `no-flush commit, ${ranges} x 128 B`, value: n, unit: 'commits/s' });
  }
  rvm.close();
  const rt = recoveryAndTruncation(join(dir, 'recovery'));
  rows.push({ workload: `recovery (${rt.logMB.toFixed(0)} MB log)`, value: rt.recoveryMBs, unit: 'MB/s' });
  rows.push({ workload: `truncation (${rt.logMB.toFixed(0)} MB log)`, value: rt.truncationMBs, unit: 'MB/s' });
  printRows(`@rvm/core (${dir}, median of rounds)`, rows);
});
