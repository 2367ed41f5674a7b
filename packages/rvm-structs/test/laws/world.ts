/**
 * A Store on simulated storage holding one structure under test, with the
 * structure's model and the model of every commit: the state the laws check
 * against. Steps go through the Store's public API (transaction(fn), flush,
 * close and open), so the laws test the Store's transaction rules too.
 */
import { Buffer } from 'node:buffer';
import { isSimCrash, SimStorage } from '@rvm/core/testing';
import { Store } from '../../src/store.js';
import type { StoreOptions } from '../../src/store.js';
import type { LawStep, LawSubject } from './subject.js';

export const DIR = '/store';
export const NAME = 'subject';

/** Thrown inside a transaction to make the Store abort it. */
const ABORT = new Error('abort requested by the test');

export interface WorldCounts {
  steps: number;
  commits: number;
  aborts: number;
  reopens: number;
  segmentGrowths: number;
}

export class LawWorld<S, M, Op> {
  store: Store;
  subject: S;
  model: M;
  /** Models of every commit, in order; [0] is the empty structure (committed durably by the setup). */
  readonly commits: M[];
  /** Index in `commits` of the last commit known durable. */
  durableIndex = 0;
  /** The model of the transaction being committed, while its commit runs (a crash there may keep it or not). */
  inFlight: M | null = null;
  readonly counts: WorldCounts = { steps: 0, commits: 0, aborts: 0, reopens: 0, segmentGrowths: 0 };

  constructor(
    readonly spec: LawSubject<S, M, Op>,
    readonly storage: SimStorage,
    private readonly storeOptions: StoreOptions,
    /** Compare the whole structure after every operation (else after every step). */
    private readonly compareEveryOp: boolean,
    adopt?: { store: Store; model: M },
  ) {
    this.store = adopt?.store ?? Store.open(DIR, { ...storeOptions, storage });
    this.subject = this.open();
    this.model = adopt?.model ?? spec.emptyModel();
    this.commits = [spec.cloneModel(this.model)];
    this.check();
  }

  run(steps: readonly LawStep<Op>[]): void {
    for (const step of steps) this.step(step);
  }

  step(step: LawStep<Op>): void {
    this.counts.steps++;
    const store = this.store;
    const size = store.segment.size;
    switch (step.kind) {
      case 'tx':
        if (step.end === 'abort') this.aborted(step.ops);
        else this.committed(step.ops, step.end === 'flush');
        break;
      case 'flush':
        store.flush();
        this.durableIndex = this.commits.length - 1;
        break;
      case 'reopen':
        // close() flushes: every commit is durable afterwards.
        store.close();
        this.durableIndex = this.commits.length - 1;
        this.store = Store.open(DIR, { ...this.storeOptions, storage: this.storage });
        this.subject = this.open();
        this.counts.reopens++;
        break;
    }
    if (this.store.segment.size !== size) this.counts.segmentGrowths++;
    this.check();
  }

  /** Compares with the model and verifies the structure and the whole store. */
  check(): void {
    this.spec.compare(this.subject, this.model);
    this.spec.verify(this.subject);
    this.store.verify();
  }

  private open(): S {
    return this.store.collection(this.spec.kind, NAME, this.spec.options) as S;
  }

  private applyAll(ops: readonly Op[]): void {
    for (const op of ops) {
      this.spec.apply(this.subject, this.model, op);
      if (this.compareEveryOp) this.spec.compare(this.subject, this.model);
      this.spec.verify(this.subject);
    }
  }

  private committed(ops: readonly Op[], flush: boolean): void {
    this.store.transaction(() => {
      this.applyAll(ops);
      this.inFlight = this.spec.cloneModel(this.model);
    }, { flush });
    this.commits.push(this.inFlight!);
    this.inFlight = null;
    this.counts.commits++;
    if (flush) this.durableIndex = this.commits.length - 1;
  }

  /** Runs ops in a transaction that then aborts; checks that every byte and the model are restored. */
  private aborted(ops: readonly Op[]): void {
    const before = Buffer.from(this.store.segment.bytes);
    const modelBefore = this.spec.cloneModel(this.model);
    try {
      this.store.transaction(() => {
        this.applyAll(ops);
        throw ABORT;
      });
    } catch (e) {
      if (e !== ABORT) throw e;
    }
    this.model = modelBefore;
    this.counts.aborts++;
    // Abort restores every byte; a segment grown meanwhile keeps its new, zero-filled tail.
    const now = this.store.segment.bytes;
    if (Buffer.compare(before, now.subarray(0, before.length)) !== 0) {
      let at = 0;
      while (before[at] === now[at]) at++;
      throw new Error(`abort did not restore the segment: byte ${at} differs`);
    }
    for (let i = before.length; i < now.length; i++) if (now[i] !== 0) throw new Error(`abort left byte ${i} of the grown tail non-zero`);
  }
}

/** Runs steps until the simulated storage crashes; returns whether it did. */
export function runUntilCrash<S, M, Op>(world: LawWorld<S, M, Op>, steps: readonly LawStep<Op>[]): boolean {
  for (const step of steps) {
    try {
      world.step(step);
    } catch (e) {
      if (isSimCrash(e)) return true;
      throw e;
    }
  }
  return false;
}

export interface CrashOutcome {
  crashed: boolean;
  /** How many commits behind the newest acceptable one the recovered state is (0: the newest). */
  behind: number;
}

/**
 * Runs `steps` once to count storage operations, then again with a crash
 * armed at fraction `where` of them; recovers and checks that the structure
 * and the store verify, that the structure equals the model of one commit
 * from the last durable one on (or of the commit in flight), and that it
 * keeps working: `after` runs on the recovered store.
 */
export function crashAndRecover<S, M, Op>(
  spec: LawSubject<S, M, Op>,
  storeOptions: StoreOptions,
  steps: readonly LawStep<Op>[],
  where: number,
  crashSeed: number,
  after: readonly LawStep<Op>[],
): CrashOutcome {
  const dry = new LawWorld(spec, new SimStorage(), storeOptions, false);
  const first = dry.storage.opCount;
  runUntilCrash(dry, steps);
  const last = dry.storage.opCount;
  dry.store.close();

  const storage = new SimStorage();
  const world = new LawWorld(spec, storage, storeOptions, false);
  storage.crashAt(first + Math.floor(where * (last - first + 1)), crashSeed);
  const crashed = runUntilCrash(world, steps);
  storage.recoverFromCrash();

  const store = Store.open(DIR, { ...storeOptions, storage });
  const subject = store.collection(spec.kind, NAME, spec.options) as S;
  spec.verify(subject);
  store.verify();
  const acceptable = world.commits.slice(world.durableIndex);
  if (world.inFlight !== null) acceptable.push(world.inFlight);
  const problems: string[] = [];
  let matched = -1;
  for (let k = acceptable.length - 1; k >= 0; k--) {
    try {
      spec.compare(subject, acceptable[k]!);
      matched = k;
      break;
    } catch (e) {
      problems.push(`commit #${world.durableIndex + k}: ${(e as Error).message}`);
    }
  }
  if (matched < 0) throw new Error(`the recovered ${spec.name} matches no commit from the last durable one (#${world.durableIndex}) on: ${problems.join('; ')}`);

  const survivor = new LawWorld(spec, storage, storeOptions, true, { store, model: spec.cloneModel(acceptable[matched]!) });
  survivor.run(after);
  survivor.store.close();
  return { crashed, behind: acceptable.length - 1 - matched };
}
