/**
 * The model the crash tests hold the store to: plain byte arrays, no log.
 *
 * It records:
 * - memory: the bytes of each mapped segment as the application sees them
 *   (committed values plus the writes of open transactions);
 * - history: every commit that took effect, in commit order, with the new
 *   values of its declared ranges, and how many of them are durably
 *   acknowledged (`durableCount`);
 * - shape: the size of every segment whose creation or growth returned, and
 *   the one creation or growth that was in flight when the process died.
 *
 * A commit enters the history before `commit()` is called and leaves it again
 * only if the call fails without taking effect (the transaction is still
 * open), so a commit that crashed or failed inside its log write counts as
 * committed but not acknowledged: recovery may or may not keep it.
 *
 * Acknowledgements (what the API promises once a call returns):
 * - a flush commit makes itself and every earlier commit durable;
 * - flush(), truncate() and close() make every earlier commit durable;
 * - the promise of commitAsync() resolving makes that commit and every
 *   earlier one durable; that of truncateAsync() every commit before the call;
 * - map() creating a segment and grow() make the new size durable.
 *
 * ORACLE (`Expectation.matchPrefix`, on a snapshot taken by `expectation()`):
 * after a crash and recovery, the store holds every segment whose creation returned, at its size (or the new size of a growth
 * in flight), possibly the segment whose creation was in flight, and there is
 * one k with durableCount <= k <= commitCount such that every segment equals
 * zeros with the first k commits applied. No-flush commits flushed together
 * share one log record; the oracle does not know the batches, so it checks
 * the stronger property that recovery ends on a commit boundary of the order.
 */
import { assert } from '../../src/errors.js';

export interface CommitRange {
  readonly segment: string;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface ModelCommit {
  readonly ranges: readonly CommitRange[];
  readonly flush: boolean;
}

export interface ModelTx {
  readonly id: number;
  readonly restore: boolean;
  readonly ranges: Array<{ readonly segment: string; readonly start: number; readonly end: number }>;
  /** Segment name -> offset -> the byte before this transaction first declared it. */
  readonly saved: Map<string, Map<number, number>>;
}

/** A creation or growth whose call did not return: after a crash it may or may not have happened. */
export interface ShapeInFlight {
  readonly kind: 'create' | 'grow';
  readonly segment: string;
  readonly size: number;
}

export class Model {
  /** Sizes of segments whose creation (and growth) returned. */
  readonly sizes = new Map<string, number>();
  /** Every segment with all commits applied, at its durable size. */
  private readonly committed = new Map<string, Uint8Array>();
  /** Bytes of mapped segments as the application sees them. */
  readonly memory = new Map<string, Uint8Array>();
  readonly commits: ModelCommit[] = [];
  durableCount = 0;
  shapeInFlight: ShapeInFlight | null = null;
  readonly txs: ModelTx[] = [];
  private txIdNext = 1;

  get commitCount(): number {
    return this.commits.length;
  }

  // ------------------------------------------------------------------ shape

  /** Call before map() creates a segment or grow(); `shapeDone` when it returned. */
  shapeStarting(kind: 'create' | 'grow', segment: string, size: number): void {
    this.shapeInFlight = { kind, segment, size };
  }

  shapeDone(): void {
    const shape = this.shapeInFlight;
    assert(shape !== null, 'shapeDone without shapeStarting');
    this.shapeInFlight = null;
    if (shape.kind === 'create') {
      assert(!this.sizes.has(shape.segment), 'a created segment is new');
      this.sizes.set(shape.segment, shape.size);
      this.committed.set(shape.segment, new Uint8Array(shape.size));
      return;
    }
    const old = this.committed.get(shape.segment);
    assert(old !== undefined && shape.size >= old.length, 'a grown segment exists and does not shrink');
    this.sizes.set(shape.segment, shape.size);
    this.committed.set(shape.segment, grown(old, shape.size));
    const mapped = this.memory.get(shape.segment);
    assert(mapped !== undefined, 'only a mapped segment grows');
    this.memory.set(shape.segment, grown(mapped, shape.size));
  }

  // --------------------------------------------------------------- mapping

  mapped(segment: string): void {
    const bytes = this.committed.get(segment);
    assert(bytes !== undefined, 'a mapped segment exists');
    assert(!this.memory.has(segment), 'a segment is mapped once');
    this.memory.set(segment, bytes.slice());
  }

  unmapped(segment: string): void {
    assert(this.memory.delete(segment), 'an unmapped segment was mapped');
  }

  /** Whether an open transaction declared bytes of `segment` (unmap then fails with SEGMENT_BUSY). */
  busy(segment: string): boolean {
    return this.txs.some((tx) => tx.ranges.some((r) => r.segment === segment));
  }

  // ----------------------------------------------------------- transactions

  begin(restore: boolean): ModelTx {
    const tx: ModelTx = { id: this.txIdNext++, restore, ranges: [], saved: new Map() };
    this.txs.push(tx);
    return tx;
  }

  /** Whether another open transaction declared any byte of [start, end) of `segment` (setRange then fails with CONFLICT). */
  conflicts(tx: ModelTx, segment: string, start: number, end: number): boolean {
    return this.txs.some((other) => other !== tx && other.ranges.some((r) => r.segment === segment && r.start < end && start < r.end));
  }

  /** setRange followed by writing `bytes` at `start`. */
  setAndWrite(tx: ModelTx, segment: string, start: number, bytes: Uint8Array): void {
    const memory = this.memory.get(segment);
    assert(memory !== undefined && start + bytes.length <= memory.length, 'a write stays inside a mapped segment');
    const end = start + bytes.length;
    tx.ranges.push({ segment, start, end });
    if (tx.restore) {
      let saved = tx.saved.get(segment);
      if (saved === undefined) tx.saved.set(segment, (saved = new Map()));
      for (let i = start; i < end; i++) if (!saved.has(i)) saved.set(i, memory[i]!);
    }
    memory.set(bytes, start);
  }

  /** Records the commit as taking effect; `commitReturned` acknowledges it, `commitRefused` takes it back. */
  commitStarting(tx: ModelTx, flush: boolean): void {
    const ranges: CommitRange[] = [];
    for (const r of tx.ranges) {
      const memory = this.memory.get(r.segment);
      assert(memory !== undefined, 'a declared segment stays mapped');
      ranges.push({ segment: r.segment, offset: r.start, bytes: memory.slice(r.start, r.end) });
    }
    this.commits.push({ ranges, flush });
    for (const range of ranges) this.committed.get(range.segment)!.set(range.bytes, range.offset);
    this.endTx(tx);
  }

  commitReturned(flush: boolean): void {
    if (flush) this.durableCount = this.commits.length;
  }

  /** The commit threw before taking effect (the transaction is still open). */
  commitRefused(tx: ModelTx): void {
    const commit = this.commits.pop();
    assert(commit !== undefined, 'a refused commit was recorded');
    this.txs.push(tx);
    // Undo its effect on the committed state: rebuild the touched segments from the history.
    for (const range of commit.ranges) this.rebuild(range.segment);
  }

  abort(tx: ModelTx): void {
    assert(tx.restore, 'abort needs restore');
    for (const [segment, saved] of tx.saved) {
      const memory = this.memory.get(segment);
      assert(memory !== undefined, 'an aborted segment stays mapped');
      for (const [offset, byte] of saved) memory[offset] = byte;
    }
    this.endTx(tx);
  }

  /** flush(), truncate() or close() returned. */
  allDurable(): void {
    this.durableCount = this.commits.length;
  }

  /** The first `commitCount` commits are durable (a commitAsync or truncateAsync promise resolved). */
  durableThrough(commitCount: number): void {
    assert(commitCount <= this.commits.length, 'acknowledged commits exist');
    if (commitCount > this.durableCount) this.durableCount = commitCount;
  }

  /** The Rvm was closed (or the process died): memory and open transactions are gone. */
  processEnded(): void {
    this.memory.clear();
    this.txs.length = 0;
  }

  /** What a crash now may leave: the oracle's input. Later calls do not change it. */
  expectation(): Expectation {
    return new Expectation(this.commits.slice(), this.durableCount, new Map(this.sizes), this.shapeInFlight);
  }

  private endTx(tx: ModelTx): void {
    const i = this.txs.indexOf(tx);
    assert(i >= 0, 'an ended transaction was open');
    this.txs.splice(i, 1);
  }

  private rebuild(segment: string): void {
    const size = this.sizes.get(segment);
    assert(size !== undefined, 'a rebuilt segment exists');
    const bytes = new Uint8Array(size);
    for (const commit of this.commits) for (const range of commit.ranges) if (range.segment === segment) bytes.set(range.bytes, range.offset);
    this.committed.set(segment, bytes);
  }
}

/** The oracle for one crash point (see the top of this file). Immutable. */
export class Expectation {
  constructor(
    readonly commits: readonly ModelCommit[],
    readonly durableCount: number,
    readonly sizes: ReadonlyMap<string, number>,
    readonly shapeInFlight: ShapeInFlight | null,
  ) {}

  /** A key that is equal for equal expectations (commits are compared by identity of the history they come from). */
  key(): string {
    return `${this.durableCount}/${this.commits.length}/${JSON.stringify([...this.sizes])}/${JSON.stringify(this.shapeInFlight)}`;
  }

  /** Segments recovery may leave, with the sizes each may have. */
  allowedSegments(): Map<string, { required: boolean; sizes: number[] }> {
    const allowed = new Map<string, { required: boolean; sizes: number[] }>();
    for (const [name, size] of this.sizes) allowed.set(name, { required: true, sizes: [size] });
    const shape = this.shapeInFlight;
    if (shape !== null && shape.kind === 'create' && !allowed.has(shape.segment)) allowed.set(shape.segment, { required: false, sizes: [shape.size] });
    if (shape !== null && shape.kind === 'grow') allowed.get(shape.segment)?.sizes.push(shape.size);
    return allowed;
  }

  /**
   * The smallest k >= durableCount such that every recovered segment equals
   * the first k commits, or a description of the mismatch.
   */
  matchPrefix(recovered: ReadonlyMap<string, Uint8Array>): { k: number } | { problem: string } {
    const allowed = this.allowedSegments();
    for (const [name, rule] of allowed) {
      const bytes = recovered.get(name);
      if (bytes === undefined) {
        if (rule.required) return { problem: `segment "${name}" (created, ${rule.sizes[0]} bytes) is missing after recovery` };
        continue;
      }
      if (!rule.sizes.includes(bytes.length)) return { problem: `segment "${name}" has ${bytes.length} bytes after recovery; expected ${rule.sizes.join(' or ')}` };
    }
    for (const name of recovered.keys()) if (!allowed.has(name)) return { problem: `segment "${name}" exists after recovery but was never created` };
    const state = new Map<string, Uint8Array>();
    for (const [name, bytes] of recovered) state.set(name, new Uint8Array(bytes.length));
    const apply = (commit: ModelCommit): void => {
      for (const range of commit.ranges) state.get(range.segment)?.set(range.bytes, range.offset);
    };
    for (let k = 0; k < this.durableCount; k++) apply(this.commits[k]!);
    for (let k = this.durableCount; ; k++) {
      if (sameSegments(state, recovered)) return { k };
      if (k === this.commits.length) break;
      apply(this.commits[k]!);
    }
    return { problem: this.describeMismatch(recovered) };
  }

  private describeMismatch(recovered: ReadonlyMap<string, Uint8Array>): string {
    const lines = [`no prefix of the ${this.commits.length} commits with at least the ${this.durableCount} acknowledged ones matches the recovered segments`];
    const state = new Map<string, Uint8Array>();
    for (const [name, bytes] of recovered) state.set(name, new Uint8Array(bytes.length));
    for (let k = 0; k <= this.commits.length; k++) {
      if (k > 0) for (const range of this.commits[k - 1]!.ranges) state.get(range.segment)?.set(range.bytes, range.offset);
      if (k < this.durableCount && k !== 0) continue;
      const diffs: string[] = [];
      for (const [name, bytes] of recovered) {
        const expected = state.get(name)!;
        let first = -1;
        let count = 0;
        for (let i = 0; i < bytes.length; i++) {
          if (bytes[i] !== expected[i]) {
            if (first < 0) first = i;
            count++;
          }
        }
        if (count > 0) diffs.push(`${name}: ${count} bytes differ from offset ${first} (got ${bytes[first]}, want ${expected[first]})`);
      }
      lines.push(`  after ${k} commits${k === this.durableCount ? ' (the acknowledged ones)' : ''}: ${diffs.length === 0 ? 'match' : diffs.join('; ')}`);
    }
    return lines.join('\n');
  }
}

function grown(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}

function sameSegments(a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>): boolean {
  for (const [name, bytes] of b) {
    const other = a.get(name);
    if (other === undefined || Buffer.compare(other, bytes) !== 0) return false;
  }
  return true;
}
