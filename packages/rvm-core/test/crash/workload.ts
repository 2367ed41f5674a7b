/**
 * Workloads: plain data (so fast-check prints and shrinks them) and the
 * runner that plays one against an Rvm on a SimStorage and the Model side by
 * side.
 *
 * An operation names its target loosely (the n-th open transaction, the n-th
 * mapped segment, modulo how many there are) and is skipped when it has no
 * target, so that every generated or shrunk sequence is meaningful. Calls the
 * model says must fail (CONFLICT, SEGMENT_BUSY, NO_RESTORE) are made and their
 * code checked.
 *
 * The runner is asynchronous: commitAsync, truncateAsync and truncation in
 * the background make progress only while it yields to the event loop (the
 * 'yield' operation). Everything is deterministic: the simulated storage
 * settles async syncs with setImmediate and no timer is involved, so two runs
 * of a workload make the same storage calls in the same order.
 */
import { Rvm, RvmError, type RvmOptions, type Segment, type Storage, type Transaction } from '../../src/index.js';
import { assert } from '../../src/errors.js';
import { isSimCrash, type SimStorage } from '../../src/testing.js';
import { Model, type ModelTx } from './model.js';

export const SEGMENT_NAMES = ['a', 'b', 'c'] as const;

export interface SetSpec {
  readonly segment: number;
  readonly at: number;
  readonly length: number;
  readonly fill: number;
}

export type Op =
  /** Maps SEGMENT_NAMES[segment], creating it with `size` bytes if it does not exist. */
  | { readonly kind: 'map'; readonly segment: number; readonly size: number }
  /** Unmaps the n-th mapped segment. */
  | { readonly kind: 'unmap'; readonly segment: number }
  /** Grows the n-th mapped segment by `by` bytes. */
  | { readonly kind: 'grow'; readonly segment: number; readonly by: number }
  | { readonly kind: 'begin'; readonly restore: boolean }
  /** setRange on the n-th open transaction and mapped segment at `at` modulo its size, then writes a pattern there. */
  | ({ readonly kind: 'set'; readonly tx: number } & SetSpec)
  | { readonly kind: 'commit'; readonly tx: number; readonly flush: boolean }
  | { readonly kind: 'abort'; readonly tx: number }
  /** A whole transaction: begin, each set, then commit (flush, no-flush or async) or abort. */
  | { readonly kind: 'tx'; readonly restore: boolean; readonly sets: readonly SetSpec[]; readonly end: 'flush' | 'noFlush' | 'async' | 'abort' }
  | { readonly kind: 'flush' }
  | { readonly kind: 'truncate' }
  /** Starts truncateAsync() without waiting for it. */
  | { readonly kind: 'truncateAsync' }
  /** Lets the event loop turn `turns` times: group syncs and background truncation progress. */
  | { readonly kind: 'yield'; readonly turns: number }
  /** close() and Rvm.open() again; nothing is mapped afterwards. */
  | { readonly kind: 'reopen' };

export interface StoreOptions {
  readonly logSizeMax: number;
  readonly batchSizeMax: number;
  readonly truncation: 'sync' | 'background';
}

export interface Workload {
  readonly options: StoreOptions;
  readonly ops: readonly Op[];
}

export const STORE_DIR = '/store';

/** Thrown when the store broke a rule the model checks while running (not after a crash). */
export class ModelViolation extends Error {
  override readonly name = 'ModelViolation';
}

export function rvmOptions(storage: Storage, workload: Workload): RvmOptions {
  const { logSizeMax, batchSizeMax, truncation } = workload.options;
  return { storage, logSizeMax, batchSizeMax, truncation };
}

/** The bytes a 'set' writes: a pattern that differs from zeros and from neighbouring writes. */
export function pattern(length: number, fill: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (fill + i * 31) & 0xff || 1;
  return bytes;
}

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface OpenTx {
  readonly tx: Transaction;
  readonly model: ModelTx;
}

export class WorkloadRunner {
  readonly model = new Model();
  rvm: Rvm | null = null;
  private readonly segments = new Map<string, Segment>();
  private readonly txs: OpenTx[] = [];
  /** Promises of commitAsync and truncateAsync not settled yet. */
  private readonly pending = new Set<Promise<void>>();
  /** Index of the operation running now (-1: the first open). */
  opIndex = -1;

  constructor(
    /** What the Rvm uses: the SimStorage, or a wrapper of it. */
    readonly storage: Storage,
    readonly workload: Workload,
  ) {}

  open(): void {
    this.rvm = Rvm.open(STORE_DIR, rvmOptions(this.storage, this.workload));
  }

  async step(op: Op): Promise<void> {
    const rvm = this.rvm;
    assert(rvm !== null, 'a step runs on an open store');
    const model = this.model;
    switch (op.kind) {
      case 'map': {
        const name = SEGMENT_NAMES[op.segment % SEGMENT_NAMES.length]!;
        if (this.segments.has(name)) return;
        const exists = model.sizes.has(name);
        if (!exists) model.shapeStarting('create', name, op.size);
        const segment = rvm.map(name, exists ? undefined : op.size);
        if (!exists) model.shapeDone();
        this.segments.set(name, segment);
        model.mapped(name);
        return;
      }
      case 'unmap': {
        const segment = this.nthSegment(op.segment);
        if (segment === undefined) return;
        if (model.busy(segment.name)) {
          expectCode(() => rvm.unmap(segment), 'SEGMENT_BUSY');
          return;
        }
        rvm.unmap(segment);
        this.segments.delete(segment.name);
        model.unmapped(segment.name);
        return;
      }
      case 'grow': {
        const segment = this.nthSegment(op.segment);
        if (segment === undefined) return;
        model.shapeStarting('grow', segment.name, segment.size + op.by);
        rvm.grow(segment, segment.size + op.by);
        model.shapeDone();
        return;
      }
      case 'begin': {
        const tx = rvm.begin({ restore: op.restore });
        this.txs.push({ tx, model: model.begin(op.restore) });
        return;
      }
      case 'set': {
        const open = this.nthTx(op.tx);
        if (open !== undefined) this.set(open, op);
        return;
      }
      case 'commit': {
        const open = this.nthTx(op.tx);
        if (open !== undefined) this.commit(open, op.flush ? 'flush' : 'noFlush');
        return;
      }
      case 'abort': {
        const open = this.nthTx(op.tx);
        if (open !== undefined) this.abort(open);
        return;
      }
      case 'tx': {
        const open: OpenTx = { tx: rvm.begin({ restore: op.restore }), model: model.begin(op.restore) };
        this.txs.push(open);
        for (const set of op.sets) this.set(open, set);
        if (op.end === 'abort') this.abort(open);
        else this.commit(open, op.end);
        return;
      }
      case 'flush':
        rvm.flush();
        model.allDurable();
        return;
      case 'truncate':
        rvm.truncate();
        model.allDurable();
        return;
      case 'truncateAsync': {
        const commitCount = model.commitCount;
        this.track(rvm.truncateAsync(), () => model.durableThrough(commitCount));
        return;
      }
      case 'yield':
        for (let turn = 0; turn < op.turns; turn++) await nextTurn();
        return;
      case 'reopen':
        this.close();
        this.open();
        return;
    }
  }

  /**
   * close(): everything committed becomes durable (unless the instance is
   * poisoned: then close() writes nothing), memory and open transactions go.
   */
  close(): void {
    const rvm = this.rvm;
    assert(rvm !== null, 'close of an open store');
    const poisoned = rvm.query().poisoned;
    rvm.close();
    if (!poisoned) this.model.allDurable();
    this.abandon();
  }

  /** Forgets the instance (closed already, by a close() that failed): acknowledges nothing. */
  abandon(): void {
    this.rvm = null;
    this.segments.clear();
    this.txs.length = 0;
    this.model.processEnded();
  }

  /**
   * A flush commit of one byte that no open transaction declared, on the
   * first mapped segment (an empty commit when there is none), through a
   * transaction the model does not know: for checking that commits are
   * refused. If it is refused the transaction stays open and is discarded at close.
   */
  probeCommit(): void {
    const rvm = this.rvm;
    assert(rvm !== null, 'a probe runs on an open store');
    const tx = rvm.begin({ restore: false });
    const segment = this.nthSegment(0);
    if (segment !== undefined) {
      const probe = this.model.begin(false);
      let offset = 0;
      while (offset < segment.size && this.model.conflicts(probe, segment.name, offset, offset + 1)) offset++;
      this.model.txs.pop();
      if (offset < segment.size) tx.setRange(segment, offset, 1);
    }
    tx.commit();
  }

  /** Compares every mapped segment with the model's memory and runs verify(). */
  checkMemory(): void {
    const rvm = this.rvm;
    if (rvm === null) return;
    const problems = rvm.verify();
    if (problems.length > 0) throw new ModelViolation(`verify() after operation ${this.opIndex}: ${problems.join('; ')}`);
    for (const [name, segment] of this.segments) {
      const expected = this.model.memory.get(name);
      if (expected === undefined || Buffer.compare(segment.bytes, expected) !== 0) {
        throw new ModelViolation(`after operation ${this.opIndex}, segment "${name}" in memory differs from the model${expected === undefined ? ' (not mapped in the model)' : ` (first difference at ${firstDifference(segment.bytes, expected)})`}`);
      }
    }
  }

  private set(open: OpenTx, op: SetSpec): void {
    const segment = this.nthSegment(op.segment);
    if (segment === undefined) return;
    const start = op.at % segment.size;
    const length = Math.min(op.length, segment.size - start);
    if (this.model.conflicts(open.model, segment.name, start, start + length)) {
      expectCode(() => open.tx.setRange(segment, start, length), 'CONFLICT');
      return;
    }
    open.tx.setRange(segment, start, length);
    const bytes = pattern(length, op.fill);
    segment.bytes.set(bytes, start);
    this.model.setAndWrite(open.model, segment.name, start, bytes);
  }

  private commit(open: OpenTx, mode: 'flush' | 'noFlush' | 'async'): void {
    this.removeTx(open);
    this.model.commitStarting(open.model, mode === 'flush');
    const commitCount = this.model.commitCount;
    try {
      if (mode === 'async') this.track(open.tx.commitAsync(), () => this.model.durableThrough(commitCount));
      else open.tx.commit({ flush: mode === 'flush' });
    } catch (e) {
      if (open.tx.open) {
        // Refused before it took effect (POISONED, ...): still open, so it can abort.
        this.model.commitRefused(open.model);
        this.txs.push(open);
      }
      throw e;
    }
    this.model.commitReturned(mode === 'flush');
  }

  /**
   * Acknowledges when `promise` resolves. A rejection (the store was poisoned
   * or closed, or the process died) acknowledges nothing; the failure itself
   * is reported by the next synchronous call.
   */
  private track(promise: Promise<void>, acknowledge: () => void): void {
    const settled = promise.then(acknowledge, () => undefined).finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  private abort(open: OpenTx): void {
    if (!open.model.restore) {
      expectCode(() => open.tx.abort(), 'NO_RESTORE');
      return;
    }
    open.tx.abort();
    this.removeTx(open);
    this.model.abort(open.model);
  }

  private nthSegment(n: number): Segment | undefined {
    if (this.segments.size === 0) return undefined;
    const names = [...this.segments.keys()].sort();
    return this.segments.get(names[n % names.length]!);
  }

  private nthTx(n: number): OpenTx | undefined {
    return this.txs.length === 0 ? undefined : this.txs[n % this.txs.length];
  }

  private removeTx(open: OpenTx): void {
    const i = this.txs.indexOf(open);
    assert(i >= 0, 'the transaction is open');
    this.txs.splice(i, 1);
  }
}

export interface RunResult {
  readonly runner: WorkloadRunner;
  /** Whether the simulated process died (SimCrash) before the workload ended. */
  readonly crashed: boolean;
}

/**
 * Opens the store, runs every operation, closes. With `checkEachStep`,
 * compares memory with the model and runs verify() after every operation. Stops
 * at the first SimCrash (the process died) or as soon as the storage has
 * crashed (also when a task in the background met the crash); any other error
 * is a failure and propagates with the operation index attached. `runner`
 * may wrap the storage (it is then what the Rvm uses).
 */
export async function runWorkload(storage: SimStorage, workload: Workload, checkEachStep: boolean, runner = new WorkloadRunner(storage, workload)): Promise<RunResult> {
  const stopped = (): RunResult => ({ runner, crashed: true });
  try {
    runner.open();
    if (storage.crashed) return stopped();
    for (let i = 0; i < workload.ops.length; i++) {
      runner.opIndex = i;
      await runner.step(workload.ops[i]!);
      if (storage.crashed) return stopped();
      if (checkEachStep) runner.checkMemory();
    }
    runner.opIndex = workload.ops.length;
    runner.close();
    if (storage.crashed) return stopped();
  } catch (e) {
    if (isSimCrash(e) || storage.crashed) return stopped();
    throw withContext(e, runner, workload);
  }
  return { runner, crashed: false };
}

function withContext(e: unknown, runner: WorkloadRunner, workload: Workload): Error {
  const where = runner.opIndex < 0 ? 'opening the store' : runner.opIndex >= workload.ops.length ? 'closing the store' : `operation ${runner.opIndex} ${JSON.stringify(workload.ops[runner.opIndex])}`;
  return new Error(`${where}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
}

export function expectCode(fn: () => void, code: string): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof RvmError && e.code === code) return;
    throw e;
  }
  throw new ModelViolation(`expected ${code}, but the call succeeded`);
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `size ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `offset ${i}: ${a[i]} vs ${b[i]}`;
  return 'none';
}
