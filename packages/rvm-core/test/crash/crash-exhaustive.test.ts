/**
 * Exhaustive small cases, as CrashMonkey does: every workload of up to three
 * operations over a small alphabet (in CI: up to two over all twelve letters,
 * three over five of them), a crash at every storage call of each (and after
 * the last), and at each crash point the disk states the crash model allows
 * (crash-points.ts: the state in which exactly the calls issued so far reached
 * the disk; before each sync also every pending operation dropped, and seeded
 * random selections, more of them the more operations are pending). Equal
 * states with equal expectations are recovered once.
 *
 * Each workload runs once: ObservedStorage captures the disk before every
 * storage call (see observed-storage.ts for why that covers every crash
 * point); crash-points.test.ts checks that claim against SimStorage.crashAt.
 */
import { afterAll, describe, it } from 'vitest';
import { captureCrashPoints, specsFor } from './crash-points.js';
import { checkRecovery, crashStates } from './recovery-check.js';
import { CrashStats, RUNS_MULTIPLIER, testTimeout } from './runs.js';
import type { Op, Workload } from './workload.js';

/** The alphabet. `p` is the position in the workload, so that ranges of successive commits overlap and straddle the sector boundary at 512. */
const ALPHABET: Readonly<Record<string, (p: number) => Op[]>> = {
  commitFlush: (p) => [{ kind: 'tx', restore: true, sets: [{ segment: 0, at: 470 + p * 24, length: 48, fill: 0x10 + p }], end: 'flush' }],
  commitNoFlush: (p) => [{ kind: 'tx', restore: false, sets: [{ segment: 0, at: 470 + p * 24, length: 48, fill: 0x20 + p }], end: 'noFlush' }],
  // Resolves once durable, after a group sync on a later turn of the event loop.
  commitAsync: (p) => [{ kind: 'tx', restore: true, sets: [{ segment: 0, at: 470 + p * 24, length: 48, fill: 0x60 + p }], end: 'async' }, { kind: 'yield', turns: 3 }],
  // Overlapping declarations with writes in between, then abort: the oldest bytes must come back.
  abort: (p) => [{ kind: 'tx', restore: true, sets: [{ segment: 0, at: 480 + p * 24, length: 40, fill: 0x30 + p }, { segment: 0, at: 460 + p * 24, length: 40, fill: 0x40 + p }], end: 'abort' }],
  // A transaction left open: truncation must not write its uncommitted bytes.
  openTx: (p) => [{ kind: 'begin', restore: true }, { kind: 'set', tx: 0, segment: 0, at: 64 + p * 16, length: 16, fill: 0x50 + p }],
  flush: () => [{ kind: 'flush' }],
  truncate: () => [{ kind: 'truncate' }],
  truncateAsync: () => [{ kind: 'truncateAsync' }, { kind: 'yield', turns: 10 }],
  grow: () => [{ kind: 'grow', segment: 0, by: 520 }],
  createB: () => [{ kind: 'map', segment: 1, size: 100 }],
  remap: () => [{ kind: 'unmap', segment: 0 }, { kind: 'map', segment: 0, size: 1 }],
  reopen: () => [{ kind: 'reopen' }, { kind: 'map', segment: 0, size: 1 }],
};

/** A store with segment a (600 bytes) holding one flushed commit. */
const SETUP: readonly Op[] = [
  { kind: 'map', segment: 0, size: 600 },
  { kind: 'tx', restore: true, sets: [{ segment: 0, at: 0, length: 16, fill: 1 }], end: 'flush' },
];

const OPTIONS = { logSizeMax: 1 << 20, batchSizeMax: 1 << 20, truncation: 'sync' } as const;

const stats = new CrashStats('crash-exhaustive');
afterAll(() => console.log(stats.summary()));

async function explore(workload: Workload, firstOp: number): Promise<void> {
  stats.workloads++;
  const seenByExpectation = new Map<string, Set<string>>();
  for (const point of await captureCrashPoints(workload, firstOp)) {
    stats.crashPoints++;
    const key = point.expectation.key();
    let seen = seenByExpectation.get(key);
    if (seen === undefined) seenByExpectation.set(key, (seen = new Set()));
    for (const { storage, spec } of crashStates(point.storage, specsFor(point), seen, true)) {
      stats.crashStates++;
      checkRecovery(storage, workload, point.expectation, false, `crash before storage call ${point.opIndex}, state ${JSON.stringify(spec)}`);
    }
  }
}

function workloadOf(names: readonly string[]): Workload {
  const ops: Op[] = [...SETUP];
  names.forEach((name, p) => ops.push(...ALPHABET[name]!(p)));
  return { options: OPTIONS, ops };
}

/**
 * The letters of three-operation workloads in CI: the ones whose order across
 * calls matters to the log. The others (abort, openTx, flush, truncateAsync,
 * grow, createB, remap) appear in every workload of up to two operations, and
 * in all three-operation workloads of a soak (RVM_CRASH_RUNS >= 2).
 */
const CORE_ALPHABET = ['commitFlush', 'commitNoFlush', 'commitAsync', 'truncate', 'reopen'];

function* sequences(length: number, letters: readonly string[]): Generator<string[]> {
  if (length === 0) {
    yield [];
    return;
  }
  for (const rest of sequences(length - 1, letters)) for (const name of letters) yield [...rest, name];
}

describe('every crash point and crash state of every short workload', () => {
  it('creating the store and the setup', async () => {
    await explore(workloadOf([]), -1);
  }, testTimeout(60_000));

  for (let length = 1; length <= 3; length++) {
    const letters = length < 3 || RUNS_MULTIPLIER > 1 ? Object.keys(ALPHABET) : CORE_ALPHABET;
    it(`all ${letters.length ** length} workloads of ${length} operation${length === 1 ? '' : 's'} over ${letters.length} letters`, async () => {
      for (const names of sequences(length, letters)) {
        try {
          await explore(workloadOf(names), SETUP.length);
        } catch (e) {
          throw new Error(`workload [${names.join(', ')}]: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
      }
    }, testTimeout(600_000));
  }
});
