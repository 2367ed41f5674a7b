/**
 * The commit feed (Rvm.onCommit): each commit's ranges, delivered in commit
 * order once the commit is durable. Entries wait here from commit until the
 * log's durable sequence covers the record that holds them.
 *
 * Ordering: listeners see commits in exactly the order they were committed,
 * each after it is on disk, never a commit before an earlier one. Delivery
 * happens synchronously inside the call that made the commits durable (a
 * flush commit, flush(), truncate(), close()) or in the group-commit sync
 * callback. A listener that throws is reported to the logger and stays
 * subscribed; the other listeners and the store are not affected.
 *
 * Costs nothing while there is no listener: commits are captured only then.
 */
import type { Segment } from '../segment/segment.js';

export interface CommittedRange {
  readonly segment: string;
  readonly offset: number;
  /** The new bytes (a copy owned by the listener). */
  readonly data: Buffer;
}

export interface CommitEvent {
  /** 1 for the first commit this Rvm delivered, then +1 per commit. */
  readonly commitIndex: number;
  /** Sequence of the log record that holds the commit. */
  readonly recordSequence: number;
  readonly ranges: readonly CommittedRange[];
}

export type CommitListener = (event: CommitEvent) => void;

interface Entry {
  record: number; // -1 while in the unwritten batch
  ranges: CommittedRange[];
}

export class CommitFeed {
  private readonly listeners = new Set<CommitListener>();
  private readonly queue: Entry[] = [];
  private head = 0;
  private delivered = 0;

  get active(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Captures one commit's ranges (call only when active). */
  capture(segments: ReadonlyArray<Segment>, starts: ArrayLike<number>, ends: ArrayLike<number>, count: number): void {
    const ranges: CommittedRange[] = [];
    for (let i = 0; i < count; i++) {
      const segment = segments[i]!;
      ranges.push({ segment: segment.name, offset: starts[i]!, data: Buffer.from(segment.bytes.subarray(starts[i]!, ends[i]!)) });
    }
    this.queue.push({ record: -1, ranges });
  }

  /** The unwritten batch became record `sequence`. */
  batchWritten(sequence: number): void {
    for (let k = this.queue.length - 1; k >= this.head && this.queue[k]!.record === -1; k--) this.queue[k]!.record = sequence;
  }

  /** Delivers every captured commit whose record is durable. */
  durable(durableSequence: number, report: (error: unknown) => void): void {
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (entry.record < 0 || entry.record > durableSequence) break;
      this.head++;
      const event: CommitEvent = { commitIndex: ++this.delivered, recordSequence: entry.record, ranges: entry.ranges };
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (e) {
          report(e);
        }
      }
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }

  /** Drops captured commits that can no longer become durable (poisoned store). */
  discard(): void {
    this.queue.length = 0;
    this.head = 0;
  }
}
