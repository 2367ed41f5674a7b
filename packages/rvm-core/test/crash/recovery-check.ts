/**
 * After a crash: materialise the on-disk states a crash may leave, reopen the
 * store on each, and hold the recovered segments to the model's oracle.
 */
import { createHash } from 'node:crypto';
import { Rvm, RvmError } from '../../src/index.js';
import { isSimCrash, type SimStorage } from '../../src/testing.js';
import type { Expectation } from './model.js';
import { pattern, rvmOptions, STORE_DIR, type Workload } from './workload.js';

/** One crash state: both extremes, or a seeded draw from the crash model of sim-storage.ts. */
export type CrashSpec = { readonly mode: 'keepAll' } | { readonly mode: 'dropAll' } | { readonly mode: 'random'; readonly seed: number };

export class RecoveryFailure extends Error {
  override readonly name = 'RecoveryFailure';
}

const CHUNK_SIZE = 64 * 1024;
const chunk = new Uint8Array(CHUNK_SIZE);
const zeroChunk = new Uint8Array(CHUNK_SIZE);

/**
 * A digest of every file and directory of the current state, read through
 * one reused buffer (a snapshot would copy the preallocated log whole). Runs
 * of zero chunks are hashed as their length, so trailing zeros cost a compare.
 */
export function stateKey(storage: SimStorage): string {
  const hash = createHash('sha1');
  for (const path of storage.listAll()) {
    hash.update(`${path}\0`);
    if (path.endsWith('/')) continue;
    const fd = storage.open(path, false);
    const size = storage.size(fd);
    hash.update(`${size}\0`);
    let zeros = 0;
    for (let position = 0; position < size; position += CHUNK_SIZE) {
      const length = storage.read(fd, chunk, 0, Math.min(CHUNK_SIZE, size - position), position);
      if (Buffer.compare(chunk.subarray(0, length), zeroChunk.subarray(0, length)) === 0) {
        zeros += length;
        continue;
      }
      if (zeros > 0) hash.update(`z${zeros}\0`);
      zeros = 0;
      hash.update(chunk.subarray(0, length));
    }
    storage.close(fd);
  }
  return hash.digest('base64');
}

/**
 * The distinct states `specs` materialise from `crashed` (a storage that
 * crashed, or one still running: crash() pulls the plug now). `seen` dedupes
 * across calls (pass null to skip the digests when specs are few and cheap to
 * check twice). With nothing pending, every spec gives the same state. With
 * `consume`, the last state is materialised in `crashed` itself.
 */
export function crashStates(crashed: SimStorage, specs: readonly CrashSpec[], seen: Set<string> | null, consume = false): Array<{ storage: SimStorage; spec: CrashSpec }> {
  const pending = crashed.pendingCounts();
  const distinct = pending.fileOpCount + pending.dirOpCount === 0 ? specs.slice(0, 1) : specs;
  const states: Array<{ storage: SimStorage; spec: CrashSpec }> = [];
  for (const [i, spec] of distinct.entries()) {
    const storage = consume && i === distinct.length - 1 ? crashed : crashed.clone();
    storage.crash(spec.mode === 'random' ? spec.seed : 0, spec.mode);
    if (seen !== null) {
      const key = stateKey(storage);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    states.push({ storage, spec });
  }
  return states;
}

/** Every segment of the store, mapped and copied. */
function readSegments(rvm: Rvm): Map<string, Uint8Array> {
  const recovered = new Map<string, Uint8Array>();
  for (const { name } of rvm.listSegments()) {
    const segment = rvm.map(name);
    recovered.set(name, Uint8Array.from(segment.bytes));
    rvm.unmap(segment);
  }
  return recovered;
}

function openAfterCrash(storage: SimStorage, workload: Workload, what: string): Rvm {
  try {
    return Rvm.open(STORE_DIR, rvmOptions(storage, workload));
  } catch (e) {
    const code = e instanceof RvmError ? e.code : e instanceof Error ? e.name : String(e);
    throw new RecoveryFailure(`${what}: Rvm.open failed with ${code}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export interface RecoveryResult {
  /** The prefix of the commit order the store recovered. */
  readonly k: number;
  readonly segments: Map<string, Uint8Array>;
}

/**
 * Opens the store on `storage` (a materialised crash state), checks verify()
 * and the expectation's oracle, and with `afterLife` checks that the recovered store takes a
 * new flush commit and keeps it across a clean reopen.
 */
export function checkRecovery(storage: SimStorage, workload: Workload, expectation: Expectation, afterLife: boolean, what: string): RecoveryResult {
  const rvm = openAfterCrash(storage, workload, what);
  const problems = rvm.verify();
  if (problems.length > 0) throw new RecoveryFailure(`${what}: verify() after recovery: ${problems.join('; ')}`);
  const segments = readSegments(rvm);
  const match = expectation.matchPrefix(segments);
  if ('problem' in match) throw new RecoveryFailure(`${what}: ${match.problem}`);
  if (afterLife && segments.size > 0) {
    const [name, bytes] = [...segments][0]!;
    const segment = rvm.map(name);
    const tx = rvm.begin();
    const length = Math.min(8, segment.size);
    tx.setRange(segment, 0, length);
    const written = pattern(length, 0x5a);
    segment.bytes.set(written, 0);
    tx.commit();
    rvm.close();
    const again = openAfterCrash(storage, workload, `${what}, reopening after a commit on the recovered store`);
    const after = again.map(name);
    const expected = Uint8Array.from(bytes);
    expected.set(written, 0);
    if (Buffer.compare(after.bytes, expected) !== 0) throw new RecoveryFailure(`${what}: a flush commit on the recovered store was not kept across a clean reopen`);
    again.close();
  } else {
    rvm.close();
  }
  return { k: match.k, segments };
}

/**
 * Crashes again during recovery, at `fraction` of the storage calls a clean
 * recovery of `state` makes, and checks that recovering after that gives the
 * segments `reference` (what the clean recovery gave): recovery is idempotent.
 */
export function checkRecoveryCrash(state: SimStorage, workload: Workload, fraction: number, seed: number, reference: ReadonlyMap<string, Uint8Array>, what: string): void {
  const probe = state.clone();
  const before = probe.opCount;
  Rvm.open(STORE_DIR, rvmOptions(probe, workload)).close();
  const recoveryOpCount = probe.opCount - before;
  const storage = state.clone();
  const point = storage.opCount + Math.floor(fraction * recoveryOpCount);
  storage.crashAt(point, seed, 'random');
  try {
    Rvm.open(STORE_DIR, rvmOptions(storage, workload)).close();
  } catch (e) {
    if (!isSimCrash(e)) throw new RecoveryFailure(`${what}: Rvm.open failed with a non-crash error while a crash was armed`, { cause: e });
  }
  storage.recoverFromCrash();
  const rvm = openAfterCrash(storage, workload, `${what}, after a crash at storage call ${point} during recovery`);
  const segments = readSegments(rvm);
  rvm.close();
  for (const [name, bytes] of reference) {
    const got = segments.get(name);
    if (got === undefined || Buffer.compare(got, bytes) !== 0) throw new RecoveryFailure(`${what}: a crash at storage call ${point} during recovery changed what recovery gives for segment "${name}"`);
  }
  if (segments.size !== reference.size) throw new RecoveryFailure(`${what}: a crash during recovery changed the set of segments`);
}
