/** Test support: a file server on simulated storage, a logical clock, run parameters and error helpers. */
import { SimStorage } from '@rvm/core/testing';
import { Store } from '@rvm/structs';
import type { StoreOptions } from '@rvm/structs';
import type fc from 'fast-check';
import { expect } from 'vitest';
import { isFsError } from '../src/errors.js';
import { FileServer } from '../src/fs-ops.js';
import { fsck, formatViolation } from '../src/fsck.js';
import { PathFs } from '../src/path-fs.js';

export const DIR = '/store';

/** A logical clock: tests set `now` before each operation, so mtimes are the same in the store and the model. */
export class Clock {
  now = 0;
  readonly read = (): number => this.now;
}

export interface World {
  readonly storage: SimStorage;
  readonly store: Store;
  readonly server: FileServer;
  readonly fs: PathFs;
  readonly clock: Clock;
}

/**
 * A fresh store on simulated storage (or opens the one on `storage`).
 * checkWrites (on unless `options` says otherwise) makes RVM compare a shadow
 * copy of the segment at each begin and commit, so any byte written without
 * setRange fails the test.
 */
export function openWorld(storage = new SimStorage(), clock = new Clock(), options: Omit<StoreOptions, 'storage'> = {}): World {
  const store = Store.open(DIR, { rvmOptions: { checkWrites: true }, ...options, storage });
  const server = FileServer.open(store, { clock: clock.read });
  return { storage, store, server, fs: new PathFs(server, 1), clock };
}

/** The FsError code `fn` throws (fails the test when it returns or throws anything else). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isFsError(e)) return e.code;
    throw e;
  }
  throw new Error('expected an FsError');
}

/** Fails with every violation listed when fsck finds any. */
export function expectClean(server: FileServer): void {
  const report = fsck(server.tables);
  expect(report.violations.map(formatViolation)).toEqual([]);
}

const SEED_PINNED = 0xc0da;
/** RVM_CRASH_RUNS=N multiplies the runs of every property (a soak); 1 by default. */
const RUNS_MULTIPLIER = Number(process.env.RVM_CRASH_RUNS ?? '1') || 1;

/** fast-check parameters: the seed pinned in CI (or FC_SEED to replay a printed one), random otherwise; RVM_CRASH_RUNS multiplies the runs. */
export function runs<T>(baseRuns: number): fc.Parameters<T> {
  const parameters: fc.Parameters<T> = { numRuns: baseRuns * RUNS_MULTIPLIER };
  const replay = process.env.FC_SEED;
  if (replay !== undefined && replay !== '') parameters.seed = Number(replay);
  else if (process.env.CI) parameters.seed = SEED_PINNED;
  return parameters;
}

/** A test timeout that grows with RVM_CRASH_RUNS. */
export function timeout(baseMs: number): number {
  return baseMs * RUNS_MULTIPLIER;
}
