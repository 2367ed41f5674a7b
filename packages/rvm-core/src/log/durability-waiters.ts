/**
 * Promises of asynchronous commits (Transaction.commitAsync), settled in log
 * order. All commits that end up in the same log record share one promise, so
 * N concurrent committers cost one promise per batch, not one each.
 *
 * Invariant: `written` is ordered by sequence; a waiter is resolved only when
 * the log's durable sequence reaches its record, which is never before an
 * earlier record (the prefix property).
 */
import { assert } from '../errors.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class DurabilityWaiters {
  /** The promise of commits still in the unwritten batch. */
  private current: Deferred | null = null;
  private readonly writtenSequences: number[] = [];
  private readonly written: Deferred[] = [];

  get pending(): boolean {
    return this.current !== null || this.written.length > 0;
  }

  /** The promise for a commit that has just joined the unwritten batch. */
  forBatch(): Promise<void> {
    return (this.current ??= deferred()).promise;
  }

  /** The promise for a commit whose data is already in record `sequence` (written, maybe not synced). */
  forRecord(sequence: number): Promise<void> {
    const last = this.writtenSequences.length - 1;
    if (last >= 0 && this.writtenSequences[last] === sequence) return this.written[last]!.promise;
    assert(last < 0 || this.writtenSequences[last]! < sequence, 'records are waited for in order');
    const d = deferred();
    this.writtenSequences.push(sequence);
    this.written.push(d);
    return d.promise;
  }

  /** The unwritten batch was just written as record `sequence`. */
  batchWritten(sequence: number): void {
    const d = this.current;
    if (d === null) return;
    this.current = null;
    assert(this.writtenSequences.length === 0 || this.writtenSequences[this.writtenSequences.length - 1]! < sequence, 'batches are written in order');
    this.writtenSequences.push(sequence);
    this.written.push(d);
  }

  /** Resolves every waiter whose record is at or below `durableSequence`. */
  durable(durableSequence: number): void {
    let k = 0;
    while (k < this.written.length && this.writtenSequences[k]! <= durableSequence) {
      this.written[k]!.resolve();
      k++;
    }
    if (k > 0) {
      // Shifted in place: splice would allocate an array of the removed entries at every group sync.
      const n = this.written.length - k;
      for (let m = 0; m < n; m++) {
        this.written[m] = this.written[m + k]!;
        this.writtenSequences[m] = this.writtenSequences[m + k]!;
      }
      this.written.length = n;
      this.writtenSequences.length = n;
    }
  }

  /** Rejects every waiter (a failed write or sync, or the store closing with commits it cannot make durable). */
  fail(error: Error): void {
    for (const d of this.written) d.reject(error);
    this.written.length = 0;
    this.writtenSequences.length = 0;
    if (this.current !== null) {
      this.current.reject(error);
      this.current = null;
    }
  }
}
