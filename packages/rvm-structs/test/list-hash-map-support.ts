/**
 * Test support for the HashMap and List tests: a store on simulated storage
 * with a heap and a StructContext (standing in for the Store, which sets
 * ctx.current and bumps ctx.generation around transactions), run parameters
 * from the environment, and a workload runner shared by both structures:
 * random steps (structure operations, commits, aborts, reopens) applied to
 * the structure and to an in-memory model, with verify() after every step,
 * byte-exact abort checks, and crash-and-recover at a generated point.
 */
import { Rvm, type Segment, type Transaction } from '@rvm/core';
import { isSimCrash, SimStorage } from '@rvm/core/testing';
import { Heap } from '@rvm/alloc';
import fc from 'fast-check';
import { runs as lawRuns } from './laws/runs.js';
export { RUNS_MULTIPLIER, timeout } from './laws/runs.js';
import { StructContext } from '../src/core/struct-context.js';

export const DIR = '/store';
export const SEGMENT = 'structs';
export const ROOT = 'subject';

// ------------------------------------------------------------------ run parameters

const SEED_PINNED = 0x5eed11;

/** fast-check parameters (see laws/runs.ts), with this suite's pinned CI seed. */
export function runs<T>(baseRuns: number): fc.Parameters<T> {
  return lawRuns<T>(baseRuns, SEED_PINNED);
}

// ------------------------------------------------------------------ a store

export interface WorldOptions {
  /** Initial segment (and heap) size. */
  readonly size?: number;
  /** The heap grows automatically up to this size. */
  readonly sizeMax?: number;
  readonly storage?: SimStorage;
}

const SIZE_DEFAULT = 64 * 1024;
const SIZE_MAX_DEFAULT = 64 * 1024 * 1024;

/** A store on simulated storage: one segment, its heap, a StructContext, and transaction helpers. */
export class World {
  tx: Transaction | null = null;

  private constructor(
    readonly storage: SimStorage,
    readonly rvm: Rvm,
    readonly segment: Segment,
    readonly heap: Heap,
    readonly ctx: StructContext,
    private readonly sizeMax: number,
  ) {}

  /** A fresh store with a formatted, committed heap. */
  static create(options: WorldOptions = {}): World {
    const storage = options.storage ?? new SimStorage();
    const sizeMax = options.sizeMax ?? SIZE_MAX_DEFAULT;
    const rvm = Rvm.open(DIR, { storage });
    const segment = rvm.map(SEGMENT, options.size ?? SIZE_DEFAULT);
    const tx = rvm.begin();
    const heap = Heap.format(rvm, tx, segment, { sizeMax });
    tx.commit();
    return new World(storage, rvm, segment, heap, new StructContext(rvm, segment, heap), sizeMax);
  }

  /** Opens the store on `storage` (after a close or a crash), recovering it. */
  static open(storage: SimStorage, sizeMax = SIZE_MAX_DEFAULT): World {
    const rvm = Rvm.open(DIR, { storage });
    const segment = rvm.map(SEGMENT);
    const heap = Heap.open(rvm, segment, { sizeMax });
    return new World(storage, rvm, segment, heap, new StructContext(rvm, segment, heap), sizeMax);
  }

  /** Closes and opens the store again (no crash): committed state only. */
  reopen(): World {
    if (this.tx !== null) this.abort();
    this.rvm.close();
    return World.open(this.storage, this.sizeMax);
  }

  begin(): Transaction {
    if (this.tx !== null) throw new Error('a transaction is open already');
    const tx = this.rvm.begin();
    this.tx = tx;
    this.ctx.current = tx;
    return tx;
  }

  commit(flush = true): void {
    const tx = this.requireTx();
    this.tx = null;
    this.ctx.current = null;
    try {
      tx.commit({ flush });
    } finally {
      this.ctx.generation++;
    }
  }

  abort(): void {
    const tx = this.requireTx();
    this.tx = null;
    this.ctx.current = null;
    try {
      tx.abort();
    } finally {
      this.ctx.generation++;
    }
  }

  /** Runs `body` in a transaction that commits (flush) unless it throws, when it aborts. */
  transaction<T>(body: () => T, flush = true): T {
    this.begin();
    let result: T;
    try {
      result = body();
    } catch (e) {
      if (this.tx !== null) this.abort();
      throw e;
    }
    this.commit(flush);
    return result;
  }

  /** Throws unless the heap passes its check. */
  checkHeap(): void {
    const problem = this.heap.check();
    if (problem !== null) throw new Error(`heap check: ${problem}`);
  }

  private requireTx(): Transaction {
    if (this.tx === null) throw new Error('no transaction is open');
    return this.tx;
  }
}

/** The error `fn` throws (fails when it does not throw). */
export function errorOf(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected an error');
}

/** The `code` of what `fn` throws. */
export function codeOf(fn: () => unknown): string | undefined {
  return errorOf(fn).code;
}

// ------------------------------------------------------------------ the workload runner

/** What the runner needs to know about a structure and its model. */
export interface Subject<S, M, Op> {
  readonly name: string;
  /** Creates the structure in the open transaction; returns its header offset. */
  create(ctx: StructContext): number;
  open(ctx: StructContext, headerOffset: number): S;
  emptyModel(): M;
  cloneModel(model: M): M;
  /** Applies `op` to both; throws when their results differ. Runs inside a transaction. */
  apply(subject: S, model: M, op: Op): void;
  /** Throws when the structure's contents differ from the model's. */
  compare(subject: S, model: M): void;
  verify(subject: S): void;
  /** Frees the structure (destroy). */
  destroy(subject: S): void;
  /** Called after every step, for statistics. */
  observe?(subject: S): void;
}

export type Step<Op> =
  | { readonly kind: 'op'; readonly op: Op }
  | { readonly kind: 'commit'; readonly flush: boolean }
  | { readonly kind: 'abort' }
  | { readonly kind: 'reopen' };

/** Steps: mostly operations, with commits (flush and not), aborts and reopens mixed in. */
export function stepArb<Op>(opArb: fc.Arbitrary<Op>): fc.Arbitrary<Step<Op>> {
  return fc.oneof(
    { weight: 20, arbitrary: opArb.map((op): Step<Op> => ({ kind: 'op', op })) },
    { weight: 3, arbitrary: fc.boolean().map((flush): Step<Op> => ({ kind: 'commit', flush })) },
    { weight: 1, arbitrary: fc.constant<Step<Op>>({ kind: 'abort' }) },
    { weight: 1, arbitrary: fc.constant<Step<Op>>({ kind: 'reopen' }) },
  );
}

/** Runs steps on a structure and its model, checking everything after every step. */
export class Runner<S, M, Op> {
  world: World;
  subject: S;
  readonly headerOffset: number;
  model: M;
  /** Models of every commit since the start, in order; [0] is the empty structure. */
  readonly commits: M[];
  /** Index in `commits` of the last commit known durable. */
  durableIndex = 0;
  /** The segment's bytes when the open transaction began (for the abort law). */
  private before: Buffer | null = null;
  /** Counts, for reports. */
  readonly counts = { steps: 0, aborts: 0, segmentGrowths: 0 };

  constructor(
    readonly spec: Subject<S, M, Op>,
    world: World,
    /** Compare the whole structure with its model after every step (else only at commits and aborts). */
    private readonly compareEveryStep = true,
  ) {
    this.world = world;
    this.headerOffset = world.transaction(() => {
      const offset = spec.create(world.ctx);
      world.heap.setRoot(world.tx!, ROOT, offset);
      return offset;
    });
    this.subject = spec.open(world.ctx, this.headerOffset);
    this.model = spec.emptyModel();
    this.commits = [spec.cloneModel(this.model)];
  }

  run(steps: readonly Step<Op>[]): void {
    for (const step of steps) this.step(step);
  }

  step(step: Step<Op>): void {
    const world = this.world;
    const spec = this.spec;
    this.counts.steps++;
    switch (step.kind) {
      case 'op': {
        if (world.tx === null) {
          this.before = Buffer.from(world.segment.bytes);
          world.begin();
        }
        const size = world.segment.size;
        spec.apply(this.subject, this.model, step.op);
        if (world.segment.size !== size) this.counts.segmentGrowths++;
        if (this.compareEveryStep) spec.compare(this.subject, this.model);
        break;
      }
      case 'commit':
        if (world.tx === null) return;
        // Recorded before committing: a crash inside commit may or may not keep it.
        this.commits.push(spec.cloneModel(this.model));
        world.commit(step.flush);
        if (step.flush) this.durableIndex = this.commits.length - 1;
        spec.compare(this.subject, this.model);
        break;
      case 'abort': {
        if (world.tx === null) return;
        world.abort();
        this.counts.aborts++;
        this.model = spec.cloneModel(this.commits[this.commits.length - 1]!);
        // Abort restores every byte; a segment grown meanwhile keeps its new, zero-filled tail.
        const before = this.before!;
        const now = world.segment.bytes;
        if (Buffer.compare(before, now.subarray(0, before.length)) !== 0) throw new Error('abort did not restore the segment bytes');
        for (let i = before.length; i < now.length; i++) if (now[i] !== 0) throw new Error(`abort left byte ${i} of the grown tail non-zero`);
        spec.compare(this.subject, this.model);
        break;
      }
      case 'reopen':
        if (world.tx !== null) {
          world.abort();
          this.model = spec.cloneModel(this.commits[this.commits.length - 1]!);
        }
        // close() flushes no-flush commits: everything committed is durable.
        this.world = world.reopen();
        this.durableIndex = this.commits.length - 1;
        this.subject = spec.open(this.world.ctx, this.world.heap.getRoot(ROOT));
        spec.compare(this.subject, this.model);
        break;
    }
    spec.verify(this.subject);
    this.world.checkHeap();
    spec.observe?.(this.subject);
  }
}

/** Runs `steps` until the simulated storage crashes; returns whether it did. */
function runUntilCrash<S, M, Op>(runner: Runner<S, M, Op>, steps: readonly Step<Op>[]): boolean {
  for (const step of steps) {
    try {
      runner.step(step);
    } catch (e) {
      if (isSimCrash(e)) return true;
      throw e;
    }
  }
  return false;
}

export interface CrashReport {
  crashed: boolean;
  /** Index among the acceptable commits of the one recovered (0 = the last durable one). */
  recoveredIndex: number;
  acceptableCount: number;
}

/**
 * Runs `steps` once to count storage operations, then again with a crash
 * armed at fraction `where` of them; recovers and checks that the structure
 * verifies and equals the model of one commit from the last durable one on,
 * and that it keeps working (`after` steps run on the recovered store).
 */
export function crashAndRecover<S, M, Op>(
  spec: Subject<S, M, Op>,
  steps: readonly Step<Op>[],
  where: number,
  crashSeed: number,
  after: readonly Step<Op>[],
  worldOptions: WorldOptions = {},
): CrashReport {
  const dry = new Runner(spec, World.create(worldOptions), false);
  const first = dry.world.storage.opCount;
  runUntilCrash(dry, steps);
  const last = dry.world.storage.opCount;

  const storage = new SimStorage();
  const runner = new Runner(spec, World.create({ ...worldOptions, storage }), false);
  storage.crashAt(first + Math.floor(where * (last - first + 1)), crashSeed);
  const crashed = runUntilCrash(runner, steps);
  storage.recoverFromCrash();

  const world = World.open(storage, worldOptions.sizeMax);
  world.checkHeap();
  const subject = spec.open(world.ctx, world.heap.getRoot(ROOT));
  spec.verify(subject);
  const acceptable = runner.commits.slice(runner.durableIndex);
  const problems: string[] = [];
  let matched = -1;
  for (let k = acceptable.length - 1; k >= 0; k--) {
    try {
      spec.compare(subject, acceptable[k]!);
      matched = k;
      break;
    } catch (e) {
      problems.push(`commit #${runner.durableIndex + k}: ${(e as Error).message}`);
    }
  }
  if (matched < 0) throw new Error(`the recovered ${spec.name} matches no commit from the last durable one on: ${problems.join('; ')}`);

  // The recovered structure keeps working.
  const survivor = Object.create(Runner.prototype) as Runner<S, M, Op>;
  Object.assign(survivor, {
    spec, world, subject, headerOffset: world.heap.getRoot(ROOT), model: spec.cloneModel(acceptable[matched]!),
    commits: [spec.cloneModel(acceptable[matched]!)], durableIndex: 0, before: null, compareEveryStep: true,
    counts: { steps: 0, aborts: 0, segmentGrowths: 0 },
  });
  survivor.run(after);
  survivor.step({ kind: 'commit', flush: true });
  world.rvm.close();
  return { crashed, recoveredIndex: acceptable.length - 1 - matched, acceptableCount: acceptable.length };
}

/** From now on, counts the bytes the world's context declares (through ctx.declare). */
export function declaredBy(world: World): { reset(): void; readonly size: number } {
  const ctx = world.ctx;
  const declare = ctx.declare.bind(ctx);
  const counter = {
    size: 0,
    reset() {
      counter.size = 0;
    },
  };
  ctx.declare = (offset: number, length: number) => {
    counter.size += length;
    declare(offset, length);
  };
  return counter;
}
