/**
 * How close to the raw group-commit loop can group commit in JavaScript get
 * on this machine? run.ts compares commitAsync with a raw loop that writes
 * the same bytes per fdatasync and runs no JavaScript per record. This adds
 * a third contender between them, measured in the same alternating blocks:
 * a minimal JavaScript group commit with the same shape as the benchmark's
 * committers and nothing RVM does beyond the physical work. Per commit: an
 * undo copy and a copy of the 128 bytes behind a 16-byte range header into
 * one batch buffer, and an await of one promise shared by the batch; per
 * batch: setImmediate, XXH32 of the record (the log's checksum), one write, one fdatasync on the
 * thread pool. No transactions, ranges, conflicts, dirty pages or errors.
 * Its ratio to raw is a ceiling for any implementation of commitAsync called
 * this way; RVM's distance to it is what RVM itself costs.
 *
 * Run: `npx tsx --conditions=source packages/rvm-core/bench/group-ceiling.ts`
 * (BENCH_QUICK=1 for 15 rounds instead of 40). Not part of `pnpm bench`.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { xxh32 } from '../src/format/xxh32.js';
import { NodeStorage, Rvm, type FileHandle, type Segment } from '../src/index.js';
import { median, percentile, QUICK, withTempDirAsync } from './measure.js';

const COMMITTERS = 64;
const RECORD_SIZE = 128;
const SYNCS_PER_BLOCK = 100;
const ROUNDS = QUICK ? 15 : 40;
/** What RVM writes per group sync of 64 one-range commits: 48-byte header, 8-byte segment table, 64 x (16 + 128). */
const BATCH_SIZE = 48 + 8 + COMMITTERS * (16 + RECORD_SIZE);

/** Gaps (us) between one fdatasync's callback and the next fdatasync call, per contender. */
const gaps = { raw: [] as number[], minimal: [] as number[], rvm: [] as number[] };

/** The raw loop of run.ts: one write of BATCH_SIZE bytes over written file space, one fdatasync on the thread pool. */
function rawBlock(fd: number, batch: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let syncs = 0;
    let doneAt = 0;
    const started = performance.now();
    const step = (error: Error | null): void => {
      if (error !== null) return reject(error);
      if (syncs > 0) doneAt = performance.now();
      if (syncs === SYNCS_PER_BLOCK) return resolve((syncs * COMMITTERS) / ((doneAt - started) / 1e3));
      writeSync(fd, batch, 0, batch.length, syncs * batch.length);
      if (doneAt !== 0) gaps.raw.push((performance.now() - doneAt) * 1e3);
      syncs++;
      fdatasync(fd, step);
    };
    step(null);
  });
}

/** The minimal group commit (see the file comment). */
class MinimalGroupCommit {
  private readonly segment = Buffer.alloc(COMMITTERS * RECORD_SIZE);
  private readonly undo = Buffer.alloc(COMMITTERS * RECORD_SIZE);
  private readonly batch = Buffer.alloc(BATCH_SIZE);
  private readonly segmentWords = words(this.segment);
  private readonly undoWords = words(this.undo);
  private readonly batchWords = words(this.batch);
  private batchEnd = 56;
  private promise: Promise<void> | null = null;
  private resolve: (() => void) | null = null;
  private scheduled = false;
  private syncing = false;
  private filePosition = 0;
  private doneAt = 0;
  private readonly startCallback = (): void => this.startSync();

  constructor(private readonly fd: number) {}

  commit(slot: number, value: number): Promise<void> {
    const first = (slot * RECORD_SIZE) >>> 2;
    for (let k = 0; k < RECORD_SIZE >>> 2; k++) this.undoWords[first + k] = this.segmentWords[first + k]!;
    this.segment.writeUInt32LE(value, slot * RECORD_SIZE);
    const to = (this.batchEnd + 16) >>> 2;
    for (let k = 0; k < RECORD_SIZE >>> 2; k++) this.batchWords[to + k] = this.segmentWords[first + k]!;
    this.batchEnd += 16 + RECORD_SIZE;
    this.promise ??= new Promise((resolve) => (this.resolve = resolve));
    if (!this.scheduled && !this.syncing) {
      this.scheduled = true;
      setImmediate(this.startCallback);
    }
    return this.promise;
  }

  startBlock(): void {
    this.filePosition = 0;
    this.doneAt = 0;
  }

  private startSync(): void {
    this.scheduled = false;
    const resolve = this.resolve!;
    this.promise = null;
    this.resolve = null;
    this.batch.writeUInt32LE(xxh32(this.batch, 8, this.batchEnd), 4);
    writeSync(this.fd, this.batch, 0, this.batchEnd, this.filePosition);
    this.filePosition += this.batchEnd;
    this.batchEnd = 56;
    if (this.doneAt !== 0) gaps.minimal.push((performance.now() - this.doneAt) * 1e3);
    this.syncing = true;
    fdatasync(this.fd, (error) => {
      if (error !== null) throw error;
      this.syncing = false;
      this.doneAt = performance.now();
      resolve();
      if (this.promise !== null && !this.scheduled) {
        this.scheduled = true;
        setImmediate(this.startCallback);
      }
    });
  }
}

function words(bytes: Buffer): Int32Array {
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
}

/** Records RVM's gaps like run.ts's SyncTimingStorage. */
class GapStorage extends NodeStorage {
  doneAt = 0;
  override syncAsync(fd: FileHandle, callback: (error: Error | null) => void): void {
    if (this.doneAt !== 0) gaps.rvm.push((performance.now() - this.doneAt) * 1e3);
    super.syncAsync(fd, (error) => {
      this.doneAt = performance.now();
      callback(error);
    });
  }
}

/** COMMITTERS committers, SYNCS_PER_BLOCK x COMMITTERS commits of `commit`; returns commits/s. */
async function committersBlock(commit: (slot: number, value: number) => Promise<void>): Promise<number> {
  const ops = SYNCS_PER_BLOCK * COMMITTERS;
  let next = 0;
  const worker = async (slot: number): Promise<void> => {
    while (next < ops) await commit(slot, next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: COMMITTERS }, (_, slot) => worker(slot)));
  return ops / ((performance.now() - started) / 1e3);
}

await withTempDirAsync(async (dir) => {
  const prepared = (name: string): number => {
    const fd = openSync(join(dir, name), 'w');
    writeSync(fd, Buffer.alloc(SYNCS_PER_BLOCK * BATCH_SIZE + 4096), 0, SYNCS_PER_BLOCK * BATCH_SIZE + 4096, 0);
    fdatasyncSync(fd);
    return fd;
  };
  const rawFd = prepared('raw');
  const minimalFd = prepared('minimal');
  const minimal = new MinimalGroupCommit(minimalFd);
  const storage = new GapStorage();
  const rvm = Rvm.open(join(dir, 'store'), { storage });
  const segment: Segment = rvm.map('group', COMMITTERS * RECORD_SIZE);
  const rvmCommit = (slot: number, value: number): Promise<void> => {
    const tx = rvm.begin();
    tx.setRange(segment, slot * RECORD_SIZE, RECORD_SIZE);
    segment.bytes.writeUInt32LE(value, slot * RECORD_SIZE);
    return tx.commitAsync();
  };
  const minimalCommit = (slot: number, value: number): Promise<void> => minimal.commit(slot, value);
  // Warm-up: allocates RVM's log file and optimises every path.
  await committersBlock(rvmCommit);
  rvm.truncate();
  await committersBlock(minimalCommit);
  await rawBlock(rawFd, Buffer.alloc(BATCH_SIZE, 7));
  for (const g of Object.values(gaps)) g.length = 0;
  const batch = Buffer.alloc(BATCH_SIZE, 7);
  const minimalRatios: number[] = [];
  const rvmRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const raw = await rawBlock(rawFd, batch);
    minimal.startBlock();
    minimalRatios.push((await committersBlock(minimalCommit)) / raw);
    storage.doneAt = 0;
    rvmRatios.push((await committersBlock(rvmCommit)) / raw);
    rvm.truncate();
  }
  closeSync(rawFd);
  closeSync(minimalFd);
  rvm.close();
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const gapText = (xs: number[]): string => `p50 ${percentile(xs, 0.5).toFixed(1)}  p90 ${percentile(xs, 0.9).toFixed(1)}  p99 ${percentile(xs, 0.99).toFixed(1)}  mean ${mean(xs).toFixed(1)} us`;
  console.log(`group commit ceiling, ${COMMITTERS} committers, ${BATCH_SIZE} B per sync, median of ${ROUNDS} alternating rounds`);
  console.log(`  minimal JS / raw  ${median(minimalRatios).toFixed(2)}`);
  console.log(`  RVM / raw         ${median(rvmRatios).toFixed(2)}`);
  console.log(`  gap (sync end to next sync start), raw      ${gapText(gaps.raw)}`);
  console.log(`  gap (sync end to next sync start), minimal  ${gapText(gaps.minimal)}`);
  console.log(`  gap (sync end to next sync start), RVM      ${gapText(gaps.rvm)}`);
});
