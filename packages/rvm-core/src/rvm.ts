/**
 * The facade: an open store directory with its mapped segments, open
 * transactions and redo log.
 *
 * Store directory:
 *   lock          process lock (storage.lock)
 *   store         store identity and format version (format/store-meta.ts)
 *   log           redo log (format/log-header.ts, format/log-record.ts)
 *   <name>.seg    one file per segment: its committed bytes as of the last truncation
 *
 * Invariants:
 * - The committed state of a segment = its file + the records of the log +
 *   the commits in the batch, applied in that order.
 * - A segment whose committed state is not in its file alone is in `touched`
 *   (its changes are in the log or the batch); mapping it again truncates first.
 * - Once `poison` is set, nothing more is written: commits, flush and truncate
 *   throw POISONED until the store is closed and opened again.
 */
import { randomBytes } from 'node:crypto';
import {
  BATCH_RANGE_COUNT_MAX, BATCH_SIZE_MAX_DEFAULT, FORMAT_VERSION, LOCK_FILE_NAME, LOG_FILE_NAME, LOG_SIZE_MAX_DEFAULT,
  SEGMENT_FILE_SUFFIX, SEGMENT_NAME_PATTERN, SEGMENT_SIZE_MAX, STORE_FILE_NAME, TEMP_FILE_SUFFIX,
} from './constants.js';
import { RvmError, assert, ioError } from './errors.js';
import { RECORD_SIZE_MAX } from './format/log-record.js';
import { decodeStoreMeta, encodeStoreMeta, STORE_META_SIZE } from './format/store-meta.js';
import type { CommitListener } from './log/commit-feed.js';
import { CommitFeed } from './log/commit-feed.js';
import { DurabilityWaiters } from './log/durability-waiters.js';
import { RedoLog } from './log/redo-log.js';
import { applyLog } from './recovery/recover.js';
import { PAGE_SIZE } from './segment/dirty-pages.js';
import { PageWriter } from './segment/page-writer.js';
import { Segment } from './segment/segment.js';
import { WriteChecker } from './segment/write-checker.js';
import { readFully, writeFully } from './storage/file-io.js';
import { NodeStorage } from './storage/node-storage.js';
import type { FileHandle, Storage } from './storage/storage.js';
import { joinPath } from './storage/storage.js';
import type { TransactionHost } from './transaction/transaction.js';
import { Transaction, TransactionResources } from './transaction/transaction.js';

export type RvmLogger = (event: string, fields: Readonly<Record<string, unknown>>) => void;

export interface RvmOptions {
  /** File system to use; the real one by default. Tests pass a SimStorage. */
  readonly storage?: Storage;
  /** A commit that leaves more log bytes than this truncates the log. Default 64 MiB. */
  readonly logSizeMax?: number;
  /**
   * Bytes of no-flush commits held in memory before they are written (unsynced) to the log. Default
   * 4 MiB. A batch is also written once it holds BATCH_RANGE_COUNT_MAX ranges.
   */
  readonly batchSizeMax?: number;
  /**
   * How a commit that fills the log truncates it: 'background' (default)
   * starts truncateAsync(); 'sync' truncates before the commit returns.
   */
  readonly truncation?: 'background' | 'sync';
  /**
   * Bytes of pages a background truncation writes per turn of the event loop,
   * and syncs before writing more (4 times as many while no commit has waited
   * for the log since the previous slice). Smaller slices shorten the wait of
   * a flush commit whose fdatasync meets a slice's writeback; larger ones
   * truncate faster. Default 256 KiB.
   */
  readonly truncationSliceSize?: number;
  /**
   * Debug: keep a shadow copy of every mapped segment and report bytes changed
   * without setRange as UNDECLARED_WRITE at begin() and commit. Costly.
   */
  readonly checkWrites?: boolean;
  /** Reports what the store does (recovery, truncation, sizes). */
  readonly logger?: RvmLogger;
  /** Shorthand for a logger that prints to stderr. */
  readonly verbose?: boolean;
}

export interface BeginOptions {
  /** false: keep no old values (cheaper); the transaction cannot abort. Default true. */
  readonly restore?: boolean;
}

export interface RvmCounters {
  commits: number;
  flushCommits: number;
  asyncCommits: number;
  groupSyncs: number;
  noFlushCommits: number;
  aborts: number;
  flushes: number;
  truncations: number;
  recordsWritten: number;
  logBytesWritten: number;
  syncs: number;
}

export interface RvmQuery {
  /** Bytes of log records since the last truncation. */
  readonly logSize: number;
  /** No-flush commits not yet durable. */
  readonly pendingCount: number;
  /** Bytes of new values held for pending commits. */
  readonly pendingSize: number;
  readonly logSizeMax: number;
  readonly generation: number;
  /** Sequence number the next log record will carry. */
  readonly nextSequence: number;
  /** Highest record sequence known to be on disk. */
  readonly durableSequence: number;
  readonly segments: ReadonlyArray<{ readonly name: string; readonly size: number }>;
  readonly openTransactionCount: number;
  readonly poisoned: boolean;
  readonly counters: Readonly<RvmCounters>;
  readonly recovery: Readonly<RecoveryReport>;
}

export interface RecoveryReport {
  readonly recordCount: number;
  readonly logBytes: number;
  readonly tornTail: boolean;
  readonly durationMs: number;
}

export class Rvm implements TransactionHost {
  private closed = false;
  private poison: RvmError | null = null;
  private readonly segmentsByName = new Map<string, Segment>();
  /** Mapped segments by id; ids are never reused, an unmapped one leaves a hole. */
  private readonly segmentsById: Array<Segment | undefined> = [];
  private readonly segmentFds = new Map<string, FileHandle>();
  private readonly touched = new Set<string>();
  private readonly openTransactions: Transaction[] = [];
  private readonly resourcePool: TransactionResources[] = [];
  private readonly pageWriter: PageWriter;
  /** The truncation running in the background, if any (see truncateAsync). */
  private background: Promise<void> | null = null;
  /**
   * The segment whose slice of pages the background truncation wrote and is
   * syncing now, or null. Until that sync is known to have succeeded, a
   * synchronous truncate() must not count on those pages being on disk (see
   * truncate).
   */
  private sliceSegment: Segment | null = null;
  private readonly waiters = new DurabilityWaiters();
  private readonly feed = new CommitFeed();
  private writeChecker: WriteChecker | null = null;
  private groupSyncScheduled = false;
  /** Resolved when the group sync in flight calls back (syncLogAsync waits there: one asynchronous log sync at a time). */
  private readonly groupSyncWaiters: Array<() => void> = [];
  private nextTransactionId = 1;
  // Callbacks made once, so that a group sync allocates no closures.
  private readonly startGroupSyncCallback = (): void => this.startGroupSync();
  private readonly deferGroupSyncCallback = (): void => void process.nextTick(this.startGroupSyncCallback);
  private readonly groupSyncDoneCallback = (error: Error | null): void => this.groupSyncDone(error);
  private readonly listenerFailed = (error: unknown): void => this.logger?.('commit-listener-failed', { error: String(error) });
  private readonly counters: RvmCounters = {
    commits: 0, flushCommits: 0, asyncCommits: 0, groupSyncs: 0, noFlushCommits: 0, aborts: 0, flushes: 0, truncations: 0, recordsWritten: 0, logBytesWritten: 0, syncs: 0,
  };

  private constructor(
    readonly dir: string,
    private readonly storage: Storage,
    private readonly log: RedoLog,
    private readonly logSizeMax: number,
    private readonly batchSizeMax: number,
    private readonly truncation: 'background' | 'sync',
    private readonly sliceSize: number,
    private readonly logger: RvmLogger | null,
    private readonly recovery: RecoveryReport,
  ) {
    this.pageWriter = new PageWriter(storage);
    log.batch.dataSizeKeepMax = 2 * batchSizeMax;
  }

  /**
   * Opens (creating if missing) the store in `dir`, recovering it after a crash:
   * committed changes still in the log are applied to the segment files.
   */
  static open(dir: string, options: RvmOptions = {}): Rvm {
    if (typeof dir !== 'string' || dir.length === 0) throw new RvmError('INVALID_ARGUMENT', 'Rvm.open needs a directory path.', { dir });
    const storage = options.storage ?? new NodeStorage();
    const logSizeMax = positiveIntegerOption(options.logSizeMax, LOG_SIZE_MAX_DEFAULT, 'logSizeMax');
    const batchSizeMax = positiveIntegerOption(options.batchSizeMax, BATCH_SIZE_MAX_DEFAULT, 'batchSizeMax');
    const logger = options.logger ?? (options.verbose === true ? stderrLogger : null);
    const truncation = options.truncation ?? 'background';
    const sliceSize = positiveIntegerOption(options.truncationSliceSize, BACKGROUND_SLICE_SIZE, 'truncationSliceSize');
    if (truncation !== 'background' && truncation !== 'sync') throw new RvmError('INVALID_ARGUMENT', `Option truncation must be 'background' or 'sync'; got ${String(truncation)}.`, { option: 'truncation' });
    try {
      storage.mkdir(dir);
    } catch (e) {
      throw ioError(e, `creating the store directory ${dir}`, { dir });
    }
    // The storage's lock also refuses a second open of the same directory in this process.
    const lockPath = joinPath(dir, LOCK_FILE_NAME);
    lock(storage, lockPath);
    let log: RedoLog | null = null;
    try {
      const started = performance.now();
      const storeId = openStoreMeta(storage, dir);
      const logPath = joinPath(dir, LOG_FILE_NAME);
      log = storage.exists(logPath) ? RedoLog.open(storage, logPath, storeId) : null;
      if (log === null) {
        log = RedoLog.create(storage, logPath, storeId);
        storage.syncDir(dir);
        logger?.('log-created', { path: logPath });
      }
      const fileSize = storage.size(log.fd);
      const applied = applyLog(storage, dir, log, fileSize, -1, new Map());
      removeTempFiles(storage, dir);
      const recovery: RecoveryReport = { recordCount: applied.recordCount, logBytes: applied.logBytes, tornTail: applied.tornTail, durationMs: performance.now() - started };
      logger?.('recovered', { dir, ...recovery, bytesApplied: applied.bytesApplied, segmentsWritten: applied.segmentsWritten, generation: log.header.generation });
      const rvm = new Rvm(dir, storage, log, logSizeMax, batchSizeMax, truncation, sliceSize, logger, recovery);
      if (options.checkWrites === true) rvm.writeChecker = new WriteChecker();
      return rvm;
    } catch (e) {
      try {
        log?.close();
      } catch {
        // The open failed already; that error is the one to report.
      }
      // A failing unlock (the disk is going) must not hide the error that matters.
      safely(() => storage.unlock(lockPath));
      throw ioError(e, `opening the store ${dir}`, { dir });
    }
  }

  // ---------------------------------------------------------------- segments

  /**
   * Maps the segment `name`: creates it zero-filled (durably) when it does not
   * exist, which needs `size`; otherwise maps it at its stored size, and
   * `size`, when given, must equal it.
   */
  map(name: string, size?: number): Segment {
    this.checkOpen();
    checkName(name);
    if (this.segmentsByName.has(name)) throw new RvmError('SEGMENT_MAPPED', `Segment "${name}" is already mapped by this Rvm. Use the Segment returned by the first map(), or unmap it first.`, { segment: name });
    if (size !== undefined) checkSize(size, 'map');
    if (this.touched.has(name)) this.truncate();
    const path = joinPath(this.dir, name + SEGMENT_FILE_SUFFIX);
    if (!this.segmentFileExists(name, path)) {
      if (size === undefined) throw new RvmError('SEGMENT_NOT_FOUND', `Segment "${name}" does not exist. Pass a size to map() to create it.`, { segment: name });
      this.createSegmentFile(name, path, size);
    }
    // Two descriptors of the file: see Segment.syncFd.
    let fd: FileHandle | null = null;
    let syncFd: FileHandle;
    try {
      fd = this.storage.open(path, false);
      syncFd = this.storage.open(path, false);
    } catch (e) {
      if (fd !== null) safely(() => this.storage.close(fd!));
      throw ioError(e, `opening segment file ${path}`, { segment: name, path });
    }
    try {
      const stored = this.storage.size(fd);
      if (size !== undefined && stored !== size) {
        throw new RvmError('SIZE_MISMATCH', `Segment "${name}" exists with ${stored} bytes, not ${size}. Map it without a size (or with ${stored}), or grow it with rvm.grow().`, { segment: name, size, stored });
      }
      const bytes = Buffer.alloc(stored);
      for (let pos = 0; pos < stored; pos += READ_CHUNK_SIZE) {
        const length = Math.min(READ_CHUNK_SIZE, stored - pos);
        if (readFully(this.storage, fd, bytes, pos, length, pos) !== length) throw Object.assign(new Error('segment file shorter than its size'), { code: 'EIO' });
      }
      const segment = new Segment(name, bytes, this.segmentsById.length, fd, syncFd, this);
      this.segmentsById.push(segment);
      this.segmentsByName.set(name, segment);
      this.writeChecker?.track(segment);
      // Truncation replaying the log writes and syncs through syncFd.
      this.segmentFds.set(name, syncFd);
      this.logger?.('mapped', { segment: name, size: stored });
      return segment;
    } catch (e) {
      this.closeFiles(fd, syncFd);
      throw ioError(e, `reading segment file ${path}`, { segment: name, path });
    }
  }

  /**
   * Unmaps a segment. Its committed changes stay recoverable; its Buffer stays
   * readable but is no longer recoverable memory.
   */
  unmap(segment: Segment): void {
    this.checkOpen();
    this.checkMapped(segment, 'unmap');
    for (const tx of this.openTransactions) {
      if (tx._resources!.ranges.hasSegment(segment.id)) {
        throw new RvmError('SEGMENT_BUSY', `Segment "${segment.name}" has declared ranges in open transaction ${tx.id}. Commit or abort it before unmapping.`, { segment: segment.name, transaction: tx.id });
      }
    }
    segment._mapped = false;
    this.writeChecker?.forget(segment);
    this.segmentsById[segment.id] = undefined;
    this.segmentsByName.delete(segment.name);
    this.segmentFds.delete(segment.name);
    // A background slice of this segment whose sync is in flight: learn its
    // outcome through syncFd before closing it, or a close() of the store
    // before that sync's callback would leave a failure unreported. Nothing
    // is lost either way (the log holds the slice's changes); a failure
    // poisons the instance, and the next call reports it.
    if (segment === this.sliceSegment) safely(() => this.syncSegment(segment));
    this.closeFiles(segment.fd, segment.syncFd);
    this.logger?.('unmapped', { segment: segment.name });
  }

  /** Releases a segment's two descriptors, even when closing one reports an error (nothing is left unsynced in them). */
  private closeFiles(fd: FileHandle, syncFd: FileHandle): void {
    safely(() => this.storage.close(syncFd));
    safely(() => this.storage.close(fd));
  }

  /**
   * Grows a mapped segment to `size` bytes (zero-filled), durably and
   * atomically: after a crash it has either its old or its new size, and when
   * grow returns the new size is durable. Growth is not part of any
   * transaction (abort does not shrink). `segment.bytes` becomes a new Buffer;
   * views of the old one must be taken again.
   */
  grow(segment: Segment, size: number): void {
    this.checkWritable();
    this.checkMapped(segment, 'grow');
    checkSize(size, 'grow');
    const old = segment._bytes;
    if (size < old.length) throw new RvmError('INVALID_ARGUMENT', `grow(${size}) is smaller than segment "${segment.name}" (${old.length} bytes); segments cannot shrink.`, { segment: segment.name, size, current: old.length });
    if (size === old.length) return;
    const bytes = Buffer.alloc(size);
    old.copy(bytes, 0);
    try {
      this.storage.resize(segment.fd, size);
      this.storage.sync(segment.syncFd);
    } catch (e) {
      throw this.poisonWith(e, `growing segment "${segment.name}"`);
    }
    segment._replaceBytes(bytes);
    this.writeChecker?.grown(segment);
    this.logger?.('grown', { segment: segment.name, from: old.length, to: size });
  }

  /** Deletes an unmapped segment and its file. Its pending log records are applied (truncated) first. */
  destroy(name: string): void {
    this.checkWritable();
    checkName(name);
    if (this.segmentsByName.has(name)) throw new RvmError('SEGMENT_MAPPED', `Segment "${name}" is mapped; unmap it before destroying it.`, { segment: name });
    const path = joinPath(this.dir, name + SEGMENT_FILE_SUFFIX);
    if (!this.segmentFileExists(name, path)) throw new RvmError('SEGMENT_NOT_FOUND', `Segment "${name}" does not exist.`, { segment: name });
    // The log must not refer to a segment file that is gone.
    if (this.touched.has(name)) this.truncate();
    try {
      this.storage.remove(path);
      this.storage.syncDir(this.dir);
    } catch (e) {
      throw this.poisonWith(e, `destroying segment "${name}"`);
    }
    this.logger?.('destroyed', { segment: name });
  }

  /** Names and sizes of every segment in the store, mapped or not. */
  listSegments(): Array<{ name: string; size: number; mapped: boolean }> {
    this.checkOpen();
    const result: Array<{ name: string; size: number; mapped: boolean }> = [];
    try {
      for (const entry of this.storage.list(this.dir).sort()) {
        if (!entry.endsWith(SEGMENT_FILE_SUFFIX)) continue;
        const name = entry.slice(0, -SEGMENT_FILE_SUFFIX.length);
        const mapped = this.segmentsByName.get(name);
        let size = mapped?.size;
        if (size === undefined) {
          const fd = this.storage.open(joinPath(this.dir, entry), false);
          try {
            size = this.storage.size(fd);
          } finally {
            safely(() => this.storage.close(fd));
          }
        }
        result.push({ name, size, mapped: mapped !== undefined });
      }
    } catch (e) {
      throw ioError(e, `listing the segments of ${this.dir}`, { dir: this.dir });
    }
    return result;
  }

  // ------------------------------------------------------------ transactions

  begin(options?: BeginOptions): Transaction {
    this.checkOpen();
    this.writeChecker?.check(this.openTransactions, 'begin');
    const restore = options === undefined || options.restore !== false;
    const resources = this.resourcePool.pop() ?? new TransactionResources();
    const tx = new Transaction(this, resources, restore, this.nextTransactionId++);
    this.openTransactions.push(tx);
    return tx;
  }

  /** @internal */
  checkOpen(): void {
    if (this.closed) throw new RvmError('CLOSED', `The Rvm for ${this.dir} is closed. Open it again with Rvm.open().`, { dir: this.dir });
  }

  /** @internal */
  checkConflict(tx: Transaction, segmentId: number, start: number, end: number): void {
    const open = this.openTransactions;
    if (open.length < 2) return;
    for (let k = 0; k < open.length; k++) {
      const other = open[k]!;
      if (other === tx) continue;
      if (other._resources!.ranges.overlaps(segmentId, start, end)) {
        const name = this.segmentsById[segmentId]?.name;
        throw new RvmError('CONFLICT', `Transaction ${tx.id} declared bytes ${start}..${end} of segment "${name}", which open transaction ${other.id} has declared too. RVM has no isolation: serialise these transactions.`, { segment: name, offset: start, length: end - start, transaction: tx.id, other: other.id });
      }
    }
  }

  /** @internal */
  commitTransaction(tx: Transaction, flush: boolean): void {
    this.applyCommit(tx);
    if (flush) {
      this.counters.flushCommits++;
      this.flushLog();
    } else {
      this.counters.noFlushCommits++;
      if (this.batchFull()) this.writeBatch();
    }
    this.truncateIfFull();
  }

  /** @internal */
  commitTransactionAsync(tx: Transaction): Promise<void> {
    this.applyCommit(tx);
    this.counters.asyncCommits++;
    let promise: Promise<void>;
    if (!this.log.batch.isEmpty()) promise = this.waiters.forBatch();
    else if (this.log.syncedSequence < this.log.writtenSequence) promise = this.waiters.forRecord(this.log.writtenSequence);
    else return Promise.resolve();
    if (this.batchFull()) {
      try {
        this.writeBatch();
      } catch (e) {
        // The commit has taken effect and writeBatch poisoned the instance,
        // rejecting `promise`: that is how commitAsync reports the failure.
        // Throwing instead would leave the rejection unhandled.
        if (this.poison === null) throw e;
        return promise;
      }
    }
    this.scheduleGroupSync();
    this.truncateIfFull();
    return promise;
  }

  /** Whether the batch holds enough no-flush commits to be written (batchSizeMax, BATCH_RANGE_COUNT_MAX). */
  private batchFull(): boolean {
    const batch = this.log.batch;
    return batch.dataSize >= this.batchSizeMax || batch.rangeCount >= BATCH_RANGE_COUNT_MAX;
  }

  /** Snapshots the transaction's ranges into the batch and ends it. */
  private applyCommit(tx: Transaction): void {
    this.checkWritable();
    this.writeChecker?.check(this.openTransactions, `commit of transaction ${tx.id}`);
    const r = tx._resources!;
    const ranges = r.ranges.flatten();
    const batch = this.log.batch;
    let size = 0;
    for (let i = 0; i < ranges.count; i++) size += ranges.ends[i]! - ranges.starts[i]!;
    if (size > RECORD_SIZE_MAX / 2) {
      throw new RvmError('LIMIT_EXCEEDED', `Transaction ${tx.id} declared ${size} bytes; one transaction may change at most ${RECORD_SIZE_MAX / 2}. Split it, or abort it.`, { transaction: tx.id, size });
    }
    batch.reserve(ranges.count, size);
    for (let i = 0; i < ranges.count; i++) {
      const id = ranges.segments[i]!;
      const segment = this.segmentsById[id];
      assert(segment !== undefined && segment._mapped, 'a declared segment stays mapped while its transaction is open');
      const start = ranges.starts[i]!;
      batch.addRange(id, segment.name, segment._view, start, ranges.ends[i]! - start, segment._dirty.stamps);
      // touched holds every mapped segment with dirty pages (and unmapped ones whose changes are only in the log).
      if (!segment._dirty.any) this.touched.add(segment.name);
      segment._dirty.mark(start, ranges.ends[i]!);
    }
    if (ranges.count > 0) {
      batch.endCommit();
      if (this.feed.active || this.writeChecker !== null) this.observeCommit(ranges.segments, ranges.starts, ranges.ends, ranges.count);
    }
    this.endTransaction(tx);
    this.counters.commits++;
  }

  /**
   * Past logSizeMax a commit starts a truncation in the background; past
   * twice that (a program that never yields to the event loop, or a disk
   * slower than the commits) it truncates synchronously.
   */
  private observeCommit(ids: Int32Array, starts: Float64Array, ends: Float64Array, count: number): void {
    const segments: Segment[] = [];
    for (let i = 0; i < count; i++) {
      const segment = this.segmentsById[ids[i]!]!;
      segments.push(segment);
      this.writeChecker?.committed(segment, starts[i]!, ends[i]!);
    }
    if (this.feed.active) this.feed.capture(segments, starts, ends, count);
  }

  /**
   * Subscribes to the commit feed: `listener` receives each commit's ranges
   * (copies of the new bytes) in commit order, once the commit is durable.
   * Returns a function that unsubscribes. See log/commit-feed.ts for ordering
   * and error handling: a listener that throws is reported to the logger and
   * stays subscribed.
   */
  onCommit(listener: CommitListener): () => void {
    this.checkOpen();
    if (typeof listener !== 'function') throw new RvmError('INVALID_ARGUMENT', 'onCommit needs a function.', {});
    return this.feed.subscribe(listener);
  }

  /** Everything up to the log's durable sequence is on disk: settle async commits, feed listeners. */
  private becameDurable(): void {
    const durable = this.log.syncedSequence;
    this.waiters.durable(durable);
    this.feed.durable(durable, this.listenerFailed);
  }

  private truncateIfFull(): void {
    const size = this.log.recordsSize;
    if (size < this.logSizeMax) return;
    if (size < 2 * this.logSizeMax && this.truncation === 'background') {
      if (this.background === null) {
        // Failures poison the instance and are reported by the next call.
        this.truncateAsync().catch((e: unknown) => this.logger?.('truncation-failed', { error: (e as Error).message }));
      }
      return;
    }
    // The commit has taken effect (and is durable if flushed): a failing
    // automatic truncation must not make it look failed. It poisons the
    // instance, so the next call reports it.
    try {
      this.truncate();
    } catch (e) {
      this.logger?.('truncation-failed', { error: (e as Error).message });
    }
  }

  /**
   * Truncates without stopping the world: pages changed since the last
   * truncation are written from memory in slices (truncationSliceSize), one
   * slice per turn of the event loop, while commits go on; each slice is
   * synced on the thread pool before the next is written, so the kernel
   * never holds more than one slice of segment data dirty; pages that commits
   * dirty meanwhile are caught by further passes; a last, short synchronous
   * truncate() writes what is left (at most about one slice), syncs and
   * reclaims the log. Until that last step the log holds every
   * change, so a crash at any point is recovered by replaying it. Resolves
   * when the log has been reclaimed; joins a truncation already running.
   */
  truncateAsync(): Promise<void> {
    this.checkWritable();
    return (this.background ??= this.runBackgroundTruncation().finally(() => {
      this.background = null;
    }));
  }

  private async runBackgroundTruncation(): Promise<void> {
    const started = performance.now();
    const before = this.pageWriter.bytesWritten;
    let waits = this.durabilityWaitCount();
    for (let pass = 0; pass < BACKGROUND_PASS_COUNT_MAX; pass++) {
      let dirtyPages = 0;
      for (const segment of [...this.segmentsByName.values()]) {
        if (!segment._dirty.any) continue;
        let page = 0;
        while (page >= 0) {
          await nextTurn();
          // The log is made durable on the thread pool; commits made while
          // that sync runs need another. A few tries, so that the flushLog()
          // below rarely has to block the event loop on an fdatasync.
          for (let attempt = 0; attempt < LOG_SYNC_ATTEMPT_COUNT_MAX && !this.logDurable(); attempt++) await this.syncLogAsync();
          // From here to the write nothing yields, so no commit can slip in.
          this.checkWritable();
          if (!segment._mapped) break;
          // The write-ahead rule: a page may reach its segment file only after
          // the log records of every commit it holds are durable; otherwise a
          // crash could keep part of a commit the log does not have.
          this.flushLog();
          const before = this.pageWriter.bytesWritten;
          try {
            // Small slices only matter to a commit waiting for the log on
            // disk; while none has since the last slice, slices are larger
            // (the event loop is held longer, but no fdatasync meets them).
            const waitsNow = this.durabilityWaitCount();
            const budget = waitsNow === waits ? this.sliceSize * BACKGROUND_IDLE_SLICE_FACTOR : this.sliceSize;
            waits = waitsNow;
            page = this.pageWriter.write(segment, this.openTransactions, page, budget);
          } catch (e) {
            throw this.poisonWith(e, 'truncating the log');
          }
          // Each slice is synced before the next is written, so at most one
          // slice of segment data is ever dirty in the kernel: a flush
          // commit's fdatasync of the log then waits behind at most one
          // slice of writeback, not behind the whole segment (a device cache
          // flush waits for every write in flight).
          if (this.pageWriter.bytesWritten > before) {
            this.sliceSegment = segment;
            try {
              await this.syncSegmentAsync(segment);
            } finally {
              this.sliceSegment = null;
            }
          }
        }
        dirtyPages += countDirty(segment);
      }
      // Few enough pages left for the synchronous step not to hold the event loop long.
      if (dirtyPages * PAGE_SIZE <= this.sliceSize) break;
    }
    this.checkWritable();
    this.logger?.('truncation-background', { bytesWritten: this.pageWriter.bytesWritten - before, durationMs: performance.now() - started });
    this.truncate();
  }

  /** Counts calls that waited (or wait) for the log to be on disk: flush commits, flush(), async commits. */
  private durabilityWaitCount(): number {
    return this.counters.flushCommits + this.counters.flushes + this.counters.asyncCommits;
  }

  /** Whether every commit made so far is in the log on disk. */
  private logDurable(): boolean {
    return this.log.batch.isEmpty() && this.log.syncedSequence >= this.log.writtenSequence;
  }

  /** Writes the batch and syncs the log on the thread pool, so that the flushLog() before a slice rarely has to block. */
  private async syncLogAsync(): Promise<void> {
    this.checkWritable();
    if (this.log.syncAsyncInFlight) {
      // A group sync is in flight, and the log takes one asynchronous sync
      // at a time (see RedoLog.syncAsync): wait for it; the caller looks again.
      await new Promise<void>((resolve) => this.groupSyncWaiters.push(resolve));
      return;
    }
    if (!this.log.batch.isEmpty()) this.writeBatch();
    if (this.log.syncedSequence >= this.log.writtenSequence) return;
    await new Promise<void>((resolve, reject) => {
      this.log.syncAsync((error) => {
        if (error === null) {
          this.counters.syncs++;
          this.becameDurable();
          // Async commits made meanwhile: their group sync waited for this one.
          if (this.waiters.pending) this.scheduleGroupSync();
          resolve();
        } else {
          reject(this.poisonWith(error, 'syncing the log'));
        }
      });
    });
  }

  /**
   * A failed sync poisons the instance even when the segment was unmapped
   * meanwhile: the kernel may have dropped the pages the slice wrote. (An
   * unmap under the sync does not close the fd from under it: the storage
   * closes an fd with a sync in flight when that sync calls back.) After
   * close() the log holds every commit durably, so nothing is lost, and
   * close() reported the failure already (through the segment's syncFd).
   */
  private syncSegmentAsync(segment: Segment): Promise<void> {
    return new Promise((resolve, reject) => {
      this.storage.syncAsync(segment.fd, (error) => {
        if (error === null || this.closed) resolve();
        else reject(this.poisonWith(error, `syncing segment "${segment.name}"`));
      });
    });
  }

  /**
   * Group commit: one fdatasync on the thread pool covers every async commit
   * made before it starts. It starts as soon as the JavaScript that the
   * current event set off has run: a microtask queues a nextTick, and Node
   * runs nextTicks queued by a microtask once the microtask queue is empty.
   * So every commit of the committers resumed by the previous sync (and of
   * their promise chains) joins the batch, and nothing else runs before the
   * sync starts. setImmediate, the previous boundary, waited for the event
   * loop's check phase: the batch was no larger, but from the last commit to
   * the sync's start took 2.7 us instead of 1.5 at the median, and 7.7-8.1
   * instead of 3.8-6.0 on average (64 committers; V8's tasks, scavenges
   * among them, could run in between). Commits made while the sync is in
   * flight form the next batch.
   */
  private scheduleGroupSync(): void {
    if (this.groupSyncScheduled || this.log.syncAsyncInFlight) return;
    this.groupSyncScheduled = true;
    queueMicrotask(this.deferGroupSyncCallback);
  }

  private startGroupSync(): void {
    this.groupSyncScheduled = false;
    // A sync of the background truncation in flight schedules this again when it calls back.
    if (this.closed || this.poison !== null || !this.waiters.pending || this.log.syncAsyncInFlight) return;
    try {
      if (!this.log.batch.isEmpty()) this.writeBatchUnchecked();
    } catch (e) {
      this.poisonWith(e, 'writing the log');
      return;
    }
    if (this.log.syncedSequence >= this.log.writtenSequence) {
      this.becameDurable();
      return;
    }
    this.log.syncAsync(this.groupSyncDoneCallback);
  }

  private groupSyncDone(error: Error | null): void {
    if (this.groupSyncWaiters.length > 0) {
      for (const resolve of this.groupSyncWaiters) resolve();
      this.groupSyncWaiters.length = 0;
    }
    if (this.closed) return; // close() made everything durable or failed every waiter
    if (error !== null) {
      this.poisonWith(error, 'syncing the log');
      return;
    }
    this.counters.syncs++;
    this.counters.groupSyncs++;
    this.becameDurable();
    if (this.waiters.pending) this.scheduleGroupSync();
  }

  /** @internal */
  transactionAborted(_tx: Transaction): void {
    this.counters.aborts++;
  }

  /** @internal */
  endTransaction(tx: Transaction): void {
    const r = tx._resources;
    assert(r !== null, 'ending a transaction that has ended');
    tx._resources = null;
    const open = this.openTransactions;
    // A plain loop, not lastIndexOf: the list is short (usually one) and a builtin call costs more.
    let k = open.length - 1;
    while (k >= 0 && open[k] !== tx) k--;
    assert(k >= 0, 'an open transaction is in the open list');
    open[k] = open[open.length - 1]!;
    open.pop();
    r.reset();
    this.resourcePool.push(r);
  }

  // ------------------------------------------------------------ log control

  /** Makes every no-flush commit durable (writes and syncs the log). */
  flush(): void {
    this.checkWritable();
    this.counters.flushes++;
    this.flushLog();
  }

  /**
   * Applies the log to the segment files and reclaims it: forces no-flush
   * commits to the log, writes every logged change to its segment file,
   * syncs the segment files, and only then starts a new, empty log generation.
   */
  truncate(): void {
    this.checkWritable();
    this.flushLog();
    if (this.log.recordsSize === 0) return;
    const started = performance.now();
    const fromMemory = this.canTruncateFromMemory();
    let bytesWritten = 0;
    try {
      if (fromMemory) {
        // Every logged change is in memory: write the dirty pages, sync, reset.
        // A slice the background truncation is still syncing may not be on
        // disk (its fdatasync may yet fail, and the kernel then drops the
        // pages): its segment is synced here too, even with no dirty page
        // left. Through syncFd that sync reports the slice's failure even
        // when the slice's own fdatasync reports it as well, so the log reset
        // below never counts on pages that were lost.
        const writer = this.pageWriter;
        const before = writer.bytesWritten;
        for (const segment of this.segmentsByName.values()) {
          if (!segment._dirty.any && segment !== this.sliceSegment) continue;
          writer.write(segment, this.openTransactions, 0, Infinity);
          this.storage.sync(segment.syncFd);
        }
        this.log.reset();
        bytesWritten = writer.bytesWritten - before;
      } else {
        bytesWritten = applyLog(this.storage, this.dir, this.log, this.log.tail, this.log.tail, this.segmentFds).bytesApplied;
      }
    } catch (e) {
      throw this.poisonWith(e, 'truncating the log');
    }
    for (const segment of this.segmentsByName.values()) segment._dirty.clear();
    this.touched.clear();
    this.counters.truncations++;
    this.logger?.('truncated', { fromMemory, bytesWritten, generation: this.log.header.generation, durationMs: performance.now() - started });
  }

  /**
   * Truncation can write pages from memory when memory holds every logged
   * change (each changed segment is still mapped) and the committed value of
   * every byte that open transactions declared is known (they keep undo copies).
   * Otherwise it replays the log, as recovery does.
   */
  private canTruncateFromMemory(): boolean {
    for (const name of this.touched) if (!this.segmentsByName.has(name)) return false;
    for (const tx of this.openTransactions) if (!tx.restore && !tx._resources!.ranges.isEmpty()) return false;
    return true;
  }

  query(): RvmQuery {
    this.checkOpen();
    const batch = this.log.batch;
    return {
      logSize: this.log.recordsSize,
      pendingCount: batch.commitCount,
      pendingSize: batch.dataSize,
      logSizeMax: this.logSizeMax,
      generation: this.log.header.generation,
      nextSequence: this.log.nextSequence,
      durableSequence: this.log.syncedSequence,
      segments: [...this.segmentsByName.values()].map((s) => ({ name: s.name, size: s.size })),
      openTransactionCount: this.openTransactions.length,
      poisoned: this.poison !== null,
      counters: { ...this.counters },
      recovery: this.recovery,
    };
  }

  /** Checks the instance's invariants; returns a list of violations (empty when sound). */
  verify(): string[] {
    const problems: string[] = [];
    for (const tx of this.openTransactions) {
      const p = tx.verify();
      if (p !== null) problems.push(`transaction ${tx.id}: ${p}`);
    }
    for (let a = 0; a < this.openTransactions.length; a++) {
      const ra = this.openTransactions[a]!._resources!.ranges.flatten();
      for (let b = a + 1; b < this.openTransactions.length; b++) {
        const rb = this.openTransactions[b]!._resources!.ranges;
        for (let i = 0; i < ra.count; i++) {
          if (rb.overlaps(ra.segments[i]!, ra.starts[i]!, ra.ends[i]!)) problems.push(`transactions ${this.openTransactions[a]!.id} and ${this.openTransactions[b]!.id} overlap`);
        }
      }
    }
    if (this.log.syncedSequence > this.log.writtenSequence || this.log.writtenSequence >= this.log.nextSequence) problems.push('log sequences out of order');
    for (const [name, segment] of this.segmentsByName) {
      if (!segment._mapped || segment.name !== name || this.segmentFds.get(name) !== segment.syncFd) problems.push(`segment ${name} bookkeeping`);
    }
    return problems;
  }

  /**
   * Flushes no-flush commits and releases the store. Open transactions are
   * discarded (their changes never reach the log). Calling close twice is harmless.
   * The instance is closed even when this throws: the error says what failed
   * (the final flush, a background slice's sync, or releasing the lock).
   */
  close(): void {
    if (this.closed) return;
    let failure: unknown = null;
    if (this.poison === null) {
      try {
        this.flushLog();
        // A background slice whose sync is in flight: its callback will find
        // the store closed. Nothing is lost if that sync fails (the log, now
        // durable, holds the slice's changes), but the failure must not go
        // unreported: the segment's other description reports it here.
        const slice = this.sliceSegment;
        if (slice !== null && slice._mapped) this.syncSegment(slice);
      } catch (e) {
        failure = e;
      }
    }
    this.closed = true;
    if (this.waiters.pending) {
      this.waiters.fail(this.poison ?? new RvmError('CLOSED', 'The store was closed before this commit became durable.', { dir: this.dir }));
    }
    for (const tx of [...this.openTransactions]) this.endTransaction(tx);
    for (const segment of this.segmentsByName.values()) {
      segment._mapped = false;
      this.segmentsById[segment.id] = undefined;
      this.closeFiles(segment.fd, segment.syncFd);
    }
    this.segmentsByName.clear();
    this.segmentFds.clear();
    safely(() => this.log.close());
    const lockPath = joinPath(this.dir, LOCK_FILE_NAME);
    try {
      this.storage.unlock(lockPath);
    } catch (e) {
      // The store is closed and its data safe, but the lock may still be
      // held: every open, in this process or another, would be refused
      // LOCKED with no hint of why. Say so, unless an earlier failure is
      // reported already.
      const errno = (e as { code?: unknown } | null)?.code;
      const state = this.poison === null ? 'is closed and its committed data is safe' : 'is closed';
      failure ??= new RvmError('IO_ERROR', `Store ${this.dir} ${state}, but releasing its lock failed (${String(errno ?? e)}), so opening it may be refused with LOCKED. If no process uses the store, remove ${lockPath}.`, { path: lockPath, errno }, e);
    }
    this.logger?.('closed', { dir: this.dir });
    if (failure !== null) throw failure;
  }

  // ---------------------------------------------------------------- private

  private checkWritable(): void {
    this.checkOpen();
    if (this.poison !== null) {
      throw new RvmError('POISONED', `An earlier write or sync failed (${this.poison.code}); the kernel may have dropped changes, so this Rvm refuses to write. Close it and open the store again to recover.`, { dir: this.dir, cause: this.poison.code }, this.poison);
    }
  }

  private segmentFileExists(name: string, path: string): boolean {
    try {
      return this.storage.exists(path);
    } catch (e) {
      throw ioError(e, `looking up segment file ${path}`, { segment: name, path });
    }
  }

  private checkMapped(segment: Segment, operation: string): void {
    if (!(segment instanceof Segment) || segment.owner !== this || !segment._mapped) {
      throw new RvmError('SEGMENT_NOT_MAPPED', `${operation} of a segment this Rvm does not have mapped.`, { segment: (segment as Segment | undefined)?.name, operation });
    }
  }

  /** Writes the batch (if any) and syncs the log if anything written is not yet durable. */
  private flushLog(): void {
    try {
      if (!this.log.batch.isEmpty()) this.writeBatchUnchecked();
      if (this.log.syncedSequence < this.log.writtenSequence) {
        this.log.sync();
        this.counters.syncs++;
      }
    } catch (e) {
      throw this.poisonWith(e, 'writing the log');
    }
    this.becameDurable();
  }

  /** Syncs a segment file through its second description (see Segment.syncFd). */
  private syncSegment(segment: Segment): void {
    try {
      this.storage.sync(segment.syncFd);
    } catch (e) {
      throw this.poisonWith(e, `syncing segment "${segment.name}"`);
    }
  }

  private writeBatch(): void {
    try {
      this.writeBatchUnchecked();
    } catch (e) {
      throw this.poisonWith(e, 'writing the log');
    }
  }

  private writeBatchUnchecked(): void {
    const before = this.log.tail;
    this.log.writeBatch();
    this.waiters.batchWritten(this.log.writtenSequence);
    this.feed.batchWritten(this.log.writtenSequence);
    this.counters.recordsWritten++;
    this.counters.logBytesWritten += this.log.tail - before;
  }

  private poisonWith(e: unknown, what: string): RvmError {
    const error = ioError(e, what, { dir: this.dir });
    if (this.poison === null && (error.code === 'IO_ERROR' || error.code === 'NO_SPACE')) {
      this.poison = error;
      this.logger?.('poisoned', { error: error.message });
      // Nothing more will be written, so no pending async commit can become durable.
      this.waiters.fail(error);
      this.feed.discard();
    }
    return error;
  }

  private createSegmentFile(name: string, path: string, size: number): void {
    const temp = path + TEMP_FILE_SUFFIX;
    try {
      const fd = this.storage.open(temp, true);
      try {
        this.storage.resize(fd, 0);
        this.storage.resize(fd, size);
        this.storage.sync(fd);
      } finally {
        this.storage.close(fd);
      }
      this.storage.rename(temp, path);
      this.storage.syncDir(this.dir);
    } catch (e) {
      throw this.poisonWith(e, `creating segment "${name}"`);
    }
    this.logger?.('segment-created', { segment: name, size });
  }
}

const READ_CHUNK_SIZE = 1 << 30;
/**
 * Default bytes of pages one background slice writes (and syncs) before
 * yielding to the event loop. Measured on ext4 over a VM disk: 1 MiB slices
 * put a flush commit's p50 during truncation at 5 to 10 times its idle p50
 * (its fdatasync waits for the slice's writeback); 256 KiB about 2 times.
 */
const BACKGROUND_SLICE_SIZE = 256 * 1024;
/**
 * A slice is this many times truncationSliceSize when no commit waited for
 * the log on disk since the previous slice: truncation then goes faster, and
 * no-flush commits only wait for the slice's CPU time (about 0.3 ms per MiB).
 */
const BACKGROUND_IDLE_SLICE_FACTOR = 4;
/** Syncs of the log on the thread pool before a slice, at most, before it syncs synchronously. */
const LOG_SYNC_ATTEMPT_COUNT_MAX = 3;
/** Passes over the dirty pages before the final synchronous step, at most. */
const BACKGROUND_PASS_COUNT_MAX = 4;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function countDirty(segment: Segment): number {
  let count = 0;
  for (const flag of segment._dirty.flags) count += flag;
  return count;
}

function lock(storage: Storage, lockPath: string): void {
  try {
    storage.lock(lockPath);
  } catch (e) {
    const err = e as { code?: unknown; holder?: unknown };
    if (err.code === 'ELOCKED') {
      throw new RvmError('LOCKED', `The store at ${lockPath.slice(0, -LOCK_FILE_NAME.length - 1)} is open in ${String(err.holder ?? 'another process')}. Close it there first; a process that died releases it automatically.`, { path: lockPath, holder: err.holder }, e);
    }
    throw ioError(e, `locking ${lockPath}`, { path: lockPath });
  }
}

/** Reads the store file, creating the store when the directory holds none. Returns the store id. */
function openStoreMeta(storage: Storage, dir: string): Buffer {
  const path = joinPath(dir, STORE_FILE_NAME);
  if (storage.exists(path)) {
    const fd = storage.open(path, false);
    try {
      const buf = Buffer.alloc(STORE_META_SIZE + 1);
      const n = readFully(storage, fd, buf, 0, buf.length, 0);
      return decodeStoreMeta(buf.subarray(0, n), path).storeId;
    } finally {
      storage.close(fd);
    }
  }
  if (storage.exists(joinPath(dir, LOG_FILE_NAME))) {
    throw new RvmError('STORE_CORRUPT', `${dir} has a log but no store file. Restore the store file from a backup; without it the log cannot be trusted.`, { dir });
  }
  const storeId = randomBytes(16);
  const temp = path + TEMP_FILE_SUFFIX;
  const fd = storage.open(temp, true);
  try {
    storage.resize(fd, 0);
    const buf = encodeStoreMeta({ version: FORMAT_VERSION, storeId, createdAt: Date.now() });
    writeFully(storage, fd, buf, 0, buf.length, 0);
    storage.sync(fd);
  } finally {
    storage.close(fd);
  }
  storage.rename(temp, path);
  storage.syncDir(dir);
  return storeId;
}

function removeTempFiles(storage: Storage, dir: string): void {
  for (const entry of storage.list(dir)) {
    if (entry.endsWith(TEMP_FILE_SUFFIX)) storage.remove(joinPath(dir, entry));
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !SEGMENT_NAME_PATTERN.test(name) || name.endsWith(TEMP_FILE_SUFFIX)) {
    throw new RvmError('INVALID_NAME', `Segment name ${JSON.stringify(name)} is not valid: use 1 to 100 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-' and not ending in ".tmp".`, { segment: name });
  }
}

function checkSize(size: number, operation: string): void {
  if (!Number.isInteger(size) || size <= 0 || size > SEGMENT_SIZE_MAX) {
    throw new RvmError('INVALID_ARGUMENT', `${operation}: segment size must be an integer from 1 to ${SEGMENT_SIZE_MAX}; got ${size}.`, { size });
  }
}

function positiveIntegerOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new RvmError('INVALID_ARGUMENT', `Option ${name} must be a positive integer; got ${value}.`, { option: name, value });
  return value;
}

function stderrLogger(event: string, fields: Readonly<Record<string, unknown>>): void {
  process.stderr.write(`[rvm] ${event} ${JSON.stringify(fields)}\n`);
}

function safely(action: () => void): void {
  try {
    action();
  } catch {
    // Releasing resources while closing: nothing useful to do with a failure.
  }
}
