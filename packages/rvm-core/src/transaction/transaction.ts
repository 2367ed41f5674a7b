/**
 * A transaction: the bytes it declared with setRange, and (unless begun with
 * restore: false) their values from before the transaction, for abort.
 *
 * RVM transactions give atomicity and (for flush commits) permanence. They do
 * not give isolation or nesting: concurrent transactions must touch disjoint
 * bytes, which setRange enforces by refusing an overlap with CONFLICT.
 *
 * Invariants:
 * - ranges is disjoint, non-adjacent, sorted (RangeSet.verify()).
 * - undo pieces are pairwise disjoint and lie inside ranges; together they
 *   cover every declared byte when restore is on. Each holds the bytes as they
 *   were when first declared (the oldest values), so abort restores them in
 *   any order.
 * - A Transaction whose `resources` is null has ended; its resources went back
 *   to the pool and must not be touched through it again.
 */
import { RvmError, assert } from '../errors.js';
import { copyBytes, WordView } from '../copy-bytes.js';
import { Segment } from '../segment/segment.js';
import { RangeSet } from './range-set.js';

/** What a transaction needs from the Rvm that began it. */
export interface TransactionHost {
  /** Throws CLOSED after close(). */
  checkOpen(): void;
  /** Throws CONFLICT if another open transaction declared any of these bytes. */
  checkConflict(tx: Transaction, segmentId: number, start: number, end: number): void;
  /** Writes the transaction's new values to the log (and syncs it when flush), then ends it. */
  commitTransaction(tx: Transaction, flush: boolean): void;
  /** Like a no-flush commit; the promise resolves once the commit is durable (group commit). */
  commitTransactionAsync(tx: Transaction): Promise<void>;
  /** Forgets the transaction and takes its resources back. */
  endTransaction(tx: Transaction): void;
  /** Counts an abort (after its bytes were restored). */
  transactionAborted(tx: Transaction): void;
}

const UNDO_SIZE_INITIAL = 4096;
/**
 * reset() releases undo data grown past this, and piece arrays grown past
 * UNDO_KEEP_COUNT_MAX pieces: the memory of an exceptional transaction (a bulk
 * load), while transactions of up to a few MB keep theirs from one to the
 * next (releasing it each time would make each one grow it again).
 */
const UNDO_KEEP_SIZE_MAX = 64 * 1024 * 1024;
const UNDO_COUNT_INITIAL = 16;
const UNDO_KEEP_COUNT_MAX = 256 * 1024;

/** Reusable memory of a transaction, pooled by the Rvm. */
export class TransactionResources {
  readonly ranges = new RangeSet();
  undoCount = 0;
  /** Entries past undoCount are null, so that a pooled transaction keeps no unmapped segment alive. */
  undoSegments: Array<Segment | null> = [];
  undoOffsets = new Float64Array(UNDO_COUNT_INITIAL);
  undoLengths = new Float64Array(UNDO_COUNT_INITIAL);
  undoPositions = new Float64Array(UNDO_COUNT_INITIAL);
  undoData = Buffer.allocUnsafe(UNDO_SIZE_INITIAL);
  undoView = new WordView(this.undoData);
  undoSize = 0;

  reset(): void {
    this.ranges.clear();
    for (let k = 0; k < this.undoCount; k++) this.undoSegments[k] = null;
    this.undoCount = 0;
    this.undoSize = 0;
    // Pooled resources would otherwise keep what one huge transaction grew (a bulk load's
    // undo data is as large as the load) for the life of the Rvm.
    if (this.undoData.length > UNDO_KEEP_SIZE_MAX) {
      this.undoData = Buffer.allocUnsafe(UNDO_SIZE_INITIAL);
      this.undoView = new WordView(this.undoData);
    }
    if (this.undoOffsets.length > UNDO_KEEP_COUNT_MAX) {
      this.undoSegments = [];
      this.undoOffsets = new Float64Array(UNDO_COUNT_INITIAL);
      this.undoLengths = new Float64Array(UNDO_COUNT_INITIAL);
      this.undoPositions = new Float64Array(UNDO_COUNT_INITIAL);
    }
  }

  /** Bytes of memory held for undo data (tests: a huge transaction's is released by reset()). */
  get undoCapacity(): number {
    return this.undoData.length + this.undoOffsets.length * 24;
  }

  save(segment: Segment, offset: number, length: number): void {
    const i = this.undoCount;
    if (i === this.undoOffsets.length) this.growPieces();
    if (this.undoSize + length > this.undoData.length) {
      let size = this.undoData.length * 2;
      while (size < this.undoSize + length) size *= 2;
      const data = Buffer.allocUnsafe(size);
      this.undoData.copy(data, 0, 0, this.undoSize);
      this.undoData = data;
      this.undoView = new WordView(data);
    }
    this.undoSegments[i] = segment;
    this.undoOffsets[i] = offset;
    this.undoLengths[i] = length;
    this.undoPositions[i] = this.undoSize;
    copyBytes(segment._view, offset, this.undoView, this.undoSize, length);
    this.undoSize += length;
    this.undoCount = i + 1;
  }

  private growPieces(): void {
    const size = this.undoOffsets.length * 2;
    const offsets = new Float64Array(size);
    offsets.set(this.undoOffsets);
    this.undoOffsets = offsets;
    const lengths = new Float64Array(size);
    lengths.set(this.undoLengths);
    this.undoLengths = lengths;
    const positions = new Float64Array(size);
    positions.set(this.undoPositions);
    this.undoPositions = positions;
  }
}

export interface CommitOptions {
  /** false: a no-flush commit, made durable later by flush(), a flush commit, truncate() or close(). Default true. */
  readonly flush?: boolean;
}

export class Transaction {
  /** @internal Null once the transaction has committed or aborted. */
  _resources: TransactionResources | null;

  /** @internal */
  constructor(
    private readonly host: TransactionHost,
    resources: TransactionResources,
    /** Whether abort is possible (old values are kept). */
    readonly restore: boolean,
    /** Sequential id, for error messages and query(). */
    readonly id: number,
  ) {
    this._resources = resources;
  }

  /** Whether the transaction can still declare ranges, commit or abort. */
  get open(): boolean {
    return this._resources !== null;
  }

  /**
   * Declares that bytes [offset, offset + length) of `segment` are about to
   * change. Call it before changing them: with restore on, their current values
   * are saved for abort. Declaring bytes again is cheap and keeps the oldest
   * saved values.
   */
  setRange(segment: Segment, offset: number, length: number): void {
    const r = this.live('setRange');
    this.host.checkOpen();
    if (!(segment instanceof Segment) || segment.owner !== this.host || !segment._mapped) {
      throw new RvmError('SEGMENT_NOT_MAPPED', 'setRange on a segment that this Rvm does not have mapped. Map it with rvm.map(name) and use the returned Segment.', { segment: (segment as Segment | undefined)?.name });
    }
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
      throw new RvmError('INVALID_ARGUMENT', `setRange needs a non-negative integer offset and length; got offset ${offset}, length ${length}.`, { segment: segment.name, offset, length });
    }
    const end = offset + length;
    if (end > segment._bytes.length) {
      throw new RvmError('OUT_OF_RANGE', `setRange(${offset}, ${length}) reaches byte ${end}, past the end of segment "${segment.name}" (${segment._bytes.length} bytes). Grow the segment first or fix the offset.`, { segment: segment.name, offset, length, size: segment._bytes.length });
    }
    if (length === 0) return;
    const id = segment.id;
    const ranges = r.ranges;
    if (ranges.isEmpty()) {
      // The transaction's first range (most transactions declare one): nothing to merge with.
      this.host.checkConflict(this, id, offset, end);
      if (this.restore) r.save(segment, offset, length);
      ranges.addFirst(id, offset, end);
      return;
    }
    // Already declared (so no other open transaction can hold these bytes): nothing to do.
    if (!ranges.plan(id, offset, end)) return;
    this.host.checkConflict(this, id, offset, end);
    ranges.add();
    if (!this.restore) return;
    for (let k = 0; k < ranges.gapCount; k++) r.save(segment, ranges.gapStarts[k]!, ranges.gapEnds[k]! - ranges.gapStarts[k]!);
  }

  /**
   * Commits. By default a flush commit: the new values are in the log on disk
   * when it returns. With { flush: false } the commit is buffered and becomes
   * durable with the next flush(), flush commit, truncate() or close().
   */
  commit(options?: CommitOptions): void {
    this.live('commit');
    this.host.checkOpen();
    // The host ends the transaction once the commit has taken effect in the
    // log batch; an error before that (POISONED, LIMIT_EXCEEDED) leaves it open
    // so that it can still abort.
    this.host.commitTransaction(this, options === undefined || options.flush !== false);
  }

  /**
   * Commits now (in commit order, like any commit) and returns a promise that
   * resolves once the commit is durable. Concurrent async commits share one
   * fdatasync (group commit) run on the thread pool, so the event loop is not
   * blocked. The promise rejects if the log cannot be made durable (a failed
   * write or sync, which poisons the instance, or close() of a poisoned
   * store). Errors found before the commit takes effect (POISONED,
   * LIMIT_EXCEEDED, TX_CLOSED, CLOSED) are thrown synchronously and leave
   * the transaction as it was.
   */
  commitAsync(): Promise<void> {
    this.live('commitAsync');
    this.host.checkOpen();
    return this.host.commitTransactionAsync(this);
  }

  /** Restores every declared byte to its value before the transaction. */
  abort(): void {
    const r = this.live('abort');
    if (!this.restore) {
      throw new RvmError('NO_RESTORE', `Transaction ${this.id} was begun with { restore: false } and keeps no old values, so it cannot abort. Commit it instead.`, { transaction: this.id });
    }
    for (let k = r.undoCount - 1; k >= 0; k--) {
      const segment = r.undoSegments[k]!;
      copyBytes(r.undoView, r.undoPositions[k]!, segment._view, r.undoOffsets[k]!, r.undoLengths[k]!);
    }
    this.host.endTransaction(this);
    this.host.transactionAborted(this);
  }

  /** Checks the transaction's invariants; returns the first violation or null. */
  verify(): string | null {
    const r = this._resources;
    if (r === null) return null;
    const rangeProblem = r.ranges.verify();
    if (rangeProblem !== null) return rangeProblem;
    if (!this.restore) return r.undoCount === 0 ? null : 'a no-restore transaction holds undo data';
    let undone = 0;
    for (let k = 0; k < r.undoCount; k++) {
      const seg = r.undoSegments[k]!;
      const start = r.undoOffsets[k]!;
      const end = start + r.undoLengths[k]!;
      if (!r.ranges.contains(seg.id, start, end)) return `undo piece ${k} is outside the declared ranges`;
      undone += end - start;
    }
    const ranges = r.ranges.flatten();
    let declared = 0;
    for (let i = 0; i < ranges.count; i++) declared += ranges.ends[i]! - ranges.starts[i]!;
    return undone === declared ? null : `undo covers ${undone} bytes of ${declared} declared`;
  }

  private live(operation: string): TransactionResources {
    const r = this._resources;
    if (r === null) {
      throw new RvmError('TX_CLOSED', `${operation} on transaction ${this.id}, which has already committed or aborted. Begin a new transaction.`, { transaction: this.id, operation });
    }
    return r;
  }
}
