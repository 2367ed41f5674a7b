/**
 * The floor of group commit in JavaScript, for run.ts's group-commit section:
 * the committers and the physical work of commitAsync with nothing else. Per
 * commit: an undo copy of the 128-byte record, the change, a copy of the
 * record behind a 16-byte range header into one batch buffer, and the return
 * of one promise shared by the batch. Per batch: XXH32 of the record (the
 * log's checksum), one write, one fdatasync on the thread pool, started where
 * RVM starts its own (once the microtask queue is empty). No transactions,
 * range sets, conflicts, dirty pages or errors.
 *
 * Its ratio to the raw loop is the cost of 64 JavaScript committers as such;
 * RVM's ratio to it is what RVM itself costs in the cycle.
 */
import { fdatasync, writeSync } from 'node:fs';
import { xxh32 } from '../src/format/xxh32.js';

export class GroupFloor {
  private readonly segment: Buffer;
  private readonly undo: Buffer;
  private readonly batch: Buffer;
  private readonly segmentWords: Int32Array;
  private readonly undoWords: Int32Array;
  private readonly batchWords: Int32Array;
  /** The record header and segment table RVM writes in front of the ranges. */
  private static readonly HEAD_SIZE = 56;
  private batchEnd = GroupFloor.HEAD_SIZE;
  private promise: Promise<void> | null = null;
  private resolve: (() => void) | null = null;
  private scheduled = false;
  private syncing = false;
  private filePosition = 0;
  private doneAt = 0;
  private readonly startCallback = (): void => this.startSync();
  private readonly deferCallback = (): void => void process.nextTick(this.startCallback);

  /** Gaps between one fdatasync's callback and the next fdatasync call, and fdatasync times (us). */
  readonly gaps: number[] = [];
  readonly syncTimes: number[] = [];

  constructor(private readonly fd: number, committers: number, private readonly recordSize: number) {
    this.segment = Buffer.alloc(committers * recordSize);
    this.undo = Buffer.alloc(committers * recordSize);
    this.batch = Buffer.alloc(GroupFloor.HEAD_SIZE + committers * (16 + recordSize));
    this.segmentWords = words(this.segment);
    this.undoWords = words(this.undo);
    this.batchWords = words(this.batch);
  }

  /** Bytes written per sync when every committer committed once. */
  get batchSize(): number {
    return this.batch.length;
  }

  commit(slot: number, value: number): Promise<void> {
    const size = this.recordSize;
    const first = (slot * size) >>> 2;
    for (let k = 0; k < size >>> 2; k++) this.undoWords[first + k] = this.segmentWords[first + k]!;
    this.segment.writeUInt32LE(value, slot * size);
    const to = (this.batchEnd + 16) >>> 2;
    for (let k = 0; k < size >>> 2; k++) this.batchWords[to + k] = this.segmentWords[first + k]!;
    this.batchEnd += 16 + size;
    this.promise ??= new Promise((resolve) => (this.resolve = resolve));
    this.schedule();
    return this.promise;
  }

  /** Starts a block of syncs at the file's start. */
  startBlock(): void {
    this.filePosition = 0;
    this.doneAt = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.syncing) return;
    this.scheduled = true;
    queueMicrotask(this.deferCallback);
  }

  private startSync(): void {
    this.scheduled = false;
    const resolve = this.resolve!;
    this.promise = null;
    this.resolve = null;
    this.batch.writeUInt32LE(xxh32(this.batch, 8, this.batchEnd), 4);
    writeSync(this.fd, this.batch, 0, this.batchEnd, this.filePosition);
    this.filePosition += this.batchEnd;
    this.batchEnd = GroupFloor.HEAD_SIZE;
    const syncAt = performance.now();
    if (this.doneAt !== 0) this.gaps.push((syncAt - this.doneAt) * 1e3);
    this.syncing = true;
    fdatasync(this.fd, (error) => {
      if (error !== null) throw error;
      this.syncing = false;
      this.doneAt = performance.now();
      this.syncTimes.push((this.doneAt - syncAt) * 1e3);
      resolve();
      if (this.promise !== null) this.schedule();
    });
  }
}

function words(bytes: Buffer): Int32Array {
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
}
