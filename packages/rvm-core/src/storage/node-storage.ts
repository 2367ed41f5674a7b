/**
 * NodeStorage: the default Storage, on the synchronous calls of node:fs. Reads,
 * writes, sync and the directory calls map one to one onto system calls (see the
 * contract in storage.ts). Errors are Node's own; they carry an errno `code`.
 *
 * The process lock
 * ================
 * Node offers neither flock nor fcntl locks, and we do not want a native addon, so
 * a lock is a file whose existence means "held" and whose contents name the holder:
 *
 *   {"pid":1234,"startTime":"34284","bootId":"358f…","pidNs":"pid:[4026531836]",
 *    "machineId":"3d12…","host":"vm","since":"2024-…Z","nonce":"9f0c…"}
 *
 * startTime is field 22 of /proc/<pid>/stat (clock ticks since boot), so a reused pid
 * is not mistaken for the holder. bootId tells that the machine restarted, which a
 * pid and a start time alone cannot: a daemon started at boot often gets the same pid
 * and nearly the same start tick after every boot. nonce is 64 random bits that name
 * one holding of the lock, never reused; it is the "generation" used below. Fields
 * that cannot be read (no /proc, not Linux) are null and the checks that need them
 * are skipped.
 *
 * Taking the lock: write the record to a private temporary file, then link(2) it to
 * the lock name. link fails with EEXIST when the name exists, so exactly one process
 * creates the lock, and the lock file never exists without its full contents. (The
 * plainer open(O_CREAT|O_EXCL)-then-write leaves an empty file for a moment, which a
 * reader cannot tell from one whose writer died; such a file is judged only by age.
 * That path remains as the fallback for file systems without hard links.)
 *
 * When the lock file exists, its record decides, in this order:
 *
 *   record condition                          verdict
 *   unreadable / not a valid record           held until its mtime is GARBLED_STALE_AGE_MS old, then abandoned
 *   other host name or machine id             held: liveness cannot be checked from here (delete the file by hand)
 *   other boot id                             abandoned: every process of that boot is gone
 *   other pid namespace                       held: pid numbers mean nothing across namespaces
 *   kill(pid, 0) fails with ESRCH             abandoned (EPERM means alive, owned by another user)
 *   /proc/<pid>/stat says zombie              abandoned (killed, not yet reaped by its parent)
 *   /proc start time differs from startTime   abandoned: the pid was reused
 *   otherwise                                 held → throw ELOCKED with `holder`
 *
 * Removing an abandoned lock is where two processes racing can both win: both judge
 * it abandoned, A unlinks it and creates its own, then B unlinks A's fresh lock and
 * creates another. A steal must remove exactly the generation it judged. Every
 * removal of an abandoned file therefore happens under a claim named by that
 * generation, `<lock>.steal-<nonce>`, created exclusively like the lock itself:
 *
 *   1. create the claim (if it exists: another process is stealing; see below);
 *   2. re-read the lock file; unlink it only if it still holds the same nonce;
 *   3. remove the claim; retry taking the lock from the start (bounded attempts).
 *
 * Why 2 is safe: a file with nonce N can be unlinked only by its holder (dead, so
 * never) or by a process holding claim N after seeing N under it. A nonce is never
 * reused, so once N is gone no later claimant can see it again. The re-check and the
 * unlink cannot interleave with another remover of N because claim N has one holder.
 * (An unreadable file has no nonce; its generation is its inode and mtime, and a
 * file that turns readable or is replaced no longer matches.) All of this rests on
 * one premise: a live holder is never judged abandoned. The table above keeps it by
 * answering "held" whenever liveness cannot be checked; the one rule that guesses,
 * age for an unreadable file, applies only to the fallback without link(2), and
 * there the creator reads its lock back and retries if it was taken over meanwhile.
 *
 * The suggested design used one guard directory (`<lock>.steal`, mkdir) and deleted
 * it when older than ~10 s. That reintroduces the race one level up: two processes
 * both see an old guard, A removes it and makes its own, B removes A's guard, and
 * both steal; a stealer paused for 10 s (SIGSTOP, swap) also loses its guard while
 * it still acts. Here a claim is abandoned by the same rules as a lock (its holder
 * is dead), never by age, and an abandoned claim is removed by the same procedure
 * under a claim of its own (`<lock>.steal-N.steal-M`), to a bounded depth. A claim
 * is abandoned only if a process died in the microseconds it holds one.
 *
 * In one process a Map on globalThis, keyed by the real path (realpath of the
 * directory + the file name), refuses a second open of the same store whatever its
 * spelling, and records which NodeStorage holds each lock so that only that one
 * unlocks it. A second worker thread sees its own pid in the file, so it is refused
 * too. Nothing here keeps the event loop alive: there are no timers or handles.
 *
 * Leftovers (a claim or a temporary file of a process killed at the wrong instant)
 * are removed by the next process that takes the lock.
 *
 * Caveats: processes on different hosts that share a store through a network file
 * system exclude each other, but a lock left by a dead process of another host must
 * be deleted by hand. Processes in different pid namespaces likewise (the file names
 * its holder). The lock file is never fsynced: it guards live processes, and after a
 * power loss none are alive (a surviving record names another boot id).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { assert } from '../errors.js';
import { joinPath, type FileHandle, type Storage } from './storage.js';

/** Attempts to take a lock that make no progress (a live process is mid-steal) before reporting ELOCKED. */
const LOCK_IDLE_COUNT_MAX = 8;
/** All attempts, including those that removed an abandoned lock or claim. */
const LOCK_LOOP_COUNT_MAX = 32;
/** Nesting of claims on claims; deeper needs that many stealers killed mid-steal in a row. */
const STEAL_DEPTH_MAX = 4;
/** An unreadable lock or claim file counts as abandoned once it has not changed for this long. */
const GARBLED_STALE_AGE_MS = 2_000;
/** A temporary lock file lives for microseconds; one this old belongs to a dead process. */
const TEMP_STALE_AGE_MS = 60_000;
/** A record is about 250 bytes; anything longer is not one of ours. */
const RECORD_SIZE_MAX = 4096;
/** link(2) errors meaning the file system has no hard links (FAT, some network shares). */
const LINK_UNSUPPORTED_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** `<lock>.steal-<generation>`: a claim. Generation keys never contain TEMP_INFIX. */
const CLAIM_INFIX = '.steal-';
/** `<file>.new-<pid>-<nonce>`: the temporary file linked into place as `<file>`. */
const TEMP_INFIX = '.new-';

const REGISTRY_KEY = Symbol.for('@rvm/core/node-storage/held-locks');

/** Who holds a lock or a claim: the JSON contents of the file. */
interface OwnerRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat, or null without /proc. */
  startTime: string | null;
  bootId: string | null;
  pidNs: string | null;
  machineId: string | null;
  host: string;
  /** ISO time the lock was taken, for people reading `holder`. */
  since: string;
  /** 16 hex digits naming this holding; never reused. */
  nonce: string;
}

/** A lock or claim file as read: its record (null when unreadable) and its identity on disk. */
interface OwnerFile {
  record: OwnerRecord | null;
  ino: number;
  mtimeMs: number;
}

interface HeldLock {
  /** The NodeStorage that took the lock (only it may unlock). */
  owner: object;
  /** The path as given to lock(), to find the entry if the directory is gone at unlock. */
  pathGiven: string;
  record: OwnerRecord;
}

interface LockedError extends Error {
  code: 'ELOCKED';
  holder: string;
  path: string;
}

export class NodeStorage implements Storage {
  /** Fds with fdatasyncs on the thread pool, and how many. */
  private readonly asyncSyncs = new Map<FileHandle, number>();
  /** Fds closed while a sync of theirs was in flight: the last such sync closes them. */
  private readonly closeWhenSynced = new Set<FileHandle>();

  open(path: string, create: boolean): FileHandle {
    // O_RDWR without O_APPEND, so positioned writes land where they are asked to.
    const flags = create ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR;
    return fs.openSync(path, flags, 0o666);
  }

  /**
   * Closes `fd`, or, while an fdatasync of it runs on the thread pool, marks
   * it to be closed when that sync calls back. Closing it at once would free
   * its number for the next open(), and the queued fdatasync could then sync
   * (and take the writeback error of) an unrelated file. A deferred close
   * reports no error: nothing written through the fd is left unsynced by then.
   */
  close(fd: FileHandle): void {
    if (this.asyncSyncs.has(fd)) {
      this.closeWhenSynced.add(fd);
      return;
    }
    fs.closeSync(fd);
  }

  read(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number {
    assertRange(buffer, bufferOffset, length, position);
    return fs.readSync(fd, buffer, bufferOffset, length, position);
  }

  write(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number {
    assertRange(buffer, bufferOffset, length, position);
    // One call, count returned: the core loops on short writes.
    return fs.writeSync(fd, buffer, bufferOffset, length, position);
  }

  sync(fd: FileHandle): void {
    fs.fdatasyncSync(fd);
  }

  syncAsync(fd: FileHandle, callback: (error: Error | null) => void): void {
    this.asyncSyncs.set(fd, (this.asyncSyncs.get(fd) ?? 0) + 1);
    fs.fdatasync(fd, (error) => {
      const left = this.asyncSyncs.get(fd)! - 1;
      if (left > 0) {
        this.asyncSyncs.set(fd, left);
      } else {
        this.asyncSyncs.delete(fd);
        if (this.closeWhenSynced.delete(fd)) {
          try {
            fs.closeSync(fd);
          } catch {
            // Nothing to report to: the owner closed the fd already, as far as it knows.
          }
        }
      }
      callback(error);
    });
  }

  size(fd: FileHandle): number {
    return fs.fstatSync(fd).size;
  }

  resize(fd: FileHandle, size: number): void {
    assert(Number.isSafeInteger(size) && size >= 0, 'resize to a whole, non-negative size');
    fs.ftruncateSync(fd, size);
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  mkdir(path: string): void {
    fs.mkdirSync(path, { recursive: true });
  }

  list(dir: string): string[] {
    return fs.readdirSync(dir);
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  remove(path: string): void {
    fs.unlinkSync(path);
  }

  syncDir(dir: string): void {
    const fd = fs.openSync(dir, fs.constants.O_RDONLY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  lock(path: string): void {
    const lockPath = realLockPath(path);
    const held = heldLocks();
    const entry = held.get(lockPath);
    if (entry !== undefined) throw lockedError(lockPath, describe(entry.record));
    const record = acquire(lockPath);
    held.set(lockPath, { owner: this, pathGiven: path, record });
    try {
      removeLeftovers(lockPath, record);
    } catch {
      // Housekeeping only: the lock is taken, and the next holder tries again.
    }
  }

  /** Releases a lock this instance holds; does nothing for one it does not hold. */
  unlock(path: string): void {
    const lockPath = this.heldLockPath(path);
    if (lockPath === undefined) return;
    const held = heldLocks();
    const entry = held.get(lockPath);
    assert(entry !== undefined && entry.owner === this, 'heldLockPath returns a lock of this instance');
    // Remove the file only while it is still ours. Nobody else replaces a lock whose
    // holder is alive, so nothing can change between this read and the unlink.
    const current = readOwnerFile(lockPath);
    if (current?.record?.nonce === entry.record.nonce) removeIfPresent(lockPath);
    // Forgotten only once the file is gone: after a failed unlink, unlock can be retried.
    held.delete(lockPath);
  }

  private heldLockPath(path: string): string | undefined {
    const held = heldLocks();
    let lockPath: string | undefined;
    try {
      lockPath = realLockPath(path);
    } catch (e) {
      const code = errnoCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      lockPath = undefined; // The directory is gone: look the entry up by the spelling used to lock.
    }
    if (lockPath !== undefined) return held.get(lockPath)?.owner === this ? lockPath : undefined;
    for (const [key, entry] of held) {
      if (entry.owner === this && entry.pathGiven === path) return key;
    }
    return undefined;
  }
}

/**
 * Who holds the lock file at `path`, judged by the table at the top of this file,
 * without taking, changing or removing anything; null when there is no lock file.
 * For inspection tools, which must work while another process holds the store.
 * `held` false with a holder: the file was left by a process that is gone, and the
 * next open removes it.
 */
export function inspectLockFile(path: string): { held: boolean; holder: string } | null {
  const file = readOwnerFile(path);
  if (file === null) return null;
  const verdict = judge(file);
  return { held: !verdict.abandoned, holder: verdict.holder };
}

function assertRange(buffer: Uint8Array, bufferOffset: number, length: number, position: number): void {
  assert(Number.isSafeInteger(bufferOffset) && bufferOffset >= 0, 'bufferOffset is a whole, non-negative number');
  assert(Number.isSafeInteger(length) && length >= 0, 'length is a whole, non-negative number');
  assert(bufferOffset + length <= buffer.length, 'the range lies inside the buffer');
  assert(Number.isSafeInteger(position) && position >= 0, 'position is a whole, non-negative number');
}

function heldLocks(): Map<string, HeldLock> {
  // On globalThis, not in a module variable, so that two copies of this module in one
  // process (two installed versions, bundled and not) still share one registry.
  const slots = globalThis as unknown as Record<symbol, Map<string, HeldLock> | undefined>;
  let held = slots[REGISTRY_KEY];
  if (held === undefined) {
    held = new Map();
    slots[REGISTRY_KEY] = held;
  }
  return held;
}

/** realpath of the directory + the file name: every spelling of one lock gives one key. */
function realLockPath(path: string): string {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
  const name = path.slice(slash + 1);
  assert(name !== '' && name !== '.' && name !== '..', 'a lock path names a file');
  return joinPath(fs.realpathSync(dir), name);
}

/** Takes the lock at `lockPath` or throws ELOCKED; returns the record written. */
function acquire(lockPath: string): OwnerRecord {
  let holder = 'another process';
  // An attempt that removed an abandoned file made progress and is not counted, so the
  // process that removes the lock always goes on to try creating it. The total is still
  // bounded, in case something keeps recreating abandoned files.
  let idleCount = 0;
  for (let loopIndex = 0; loopIndex < LOCK_LOOP_COUNT_MAX && idleCount < LOCK_IDLE_COUNT_MAX; loopIndex++) {
    const record = ownRecord();
    if (createExclusive(lockPath, record)) {
      // Read back: a lock written without link(2) can be judged abandoned while it is
      // still empty, if its writer stalls, and taken over. Then this attempt lost.
      if (readOwnerFile(lockPath)?.record?.nonce === record.nonce) return record;
      idleCount++;
      continue;
    }
    const current = readOwnerFile(lockPath);
    if (current === null) continue; // Released in between: progress.
    const verdict = judge(current);
    holder = verdict.holder;
    if (!verdict.abandoned) throw lockedError(lockPath, holder);
    if (removeAbandoned(lockPath, current, 0)) continue;
    // A live process holds the claim and is removing the lock right now: give it a moment.
    idleCount++;
    sleepMs(idleCount);
  }
  throw lockedError(lockPath, `${holder}, being taken over by another process`);
}

/**
 * Unlinks `path` if it still holds the generation `seen` (judged abandoned), under the
 * claim `<path>.steal-<generation>`. Returns false when another live process holds
 * that claim (or claims nest too deep), true when something changed or may have; the
 * caller starts over either way.
 */
function removeAbandoned(path: string, seen: OwnerFile, depth: number): boolean {
  assert(depth < STEAL_DEPTH_MAX, 'claim nesting is bounded');
  const claimPath = `${path}${CLAIM_INFIX}${generationKey(seen)}`;
  if (!createExclusive(claimPath, ownRecord())) {
    const claim = readOwnerFile(claimPath);
    if (claim === null) return true; // The claimant finished.
    if (depth + 1 === STEAL_DEPTH_MAX) return false;
    // A claimant that died holding its claim would block this generation forever.
    return judge(claim).abandoned && removeAbandoned(claimPath, claim, depth + 1);
  }
  try {
    const again = readOwnerFile(path);
    if (again !== null && sameGeneration(again, seen)) removeIfPresent(path);
  } finally {
    removeIfPresent(claimPath);
  }
  return true;
}

/** Blocks the thread: lock() is synchronous, and the wait is a few milliseconds at most. */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes claims of earlier generations and old temporary files left by processes
 * killed mid-steal or mid-create. Run by the new holder: a claim on any generation but
 * its own guards a file that no longer exists, so removing it changes nothing.
 */
function removeLeftovers(lockPath: string, record: OwnerRecord): void {
  const slash = lockPath.lastIndexOf('/');
  const dir = slash === 0 ? '/' : lockPath.slice(0, slash);
  const base = lockPath.slice(slash + 1);
  const claimPrefix = `${base}${CLAIM_INFIX}`;
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(`${base}.`)) continue;
    const path = joinPath(dir, name);
    if (name.includes(TEMP_INFIX)) {
      // A temporary file (of the lock or of a claim) may be in use for a moment; only an old one is left over.
      const stat = fs.statSync(path, { throwIfNoEntry: false });
      if (stat !== undefined && Date.now() - stat.mtimeMs > TEMP_STALE_AGE_MS) removeIfPresent(path);
    } else if (name.startsWith(claimPrefix) && !name.startsWith(`${claimPrefix}${record.nonce}`)) {
      removeIfPresent(path);
    }
  }
}

/**
 * Creates `path` holding `record` unless it exists; true when this call created it.
 * Writes a private temporary file and links it into place, so the file appears with
 * its whole contents or not at all.
 */
function createExclusive(path: string, record: OwnerRecord): boolean {
  const text = `${JSON.stringify(record)}\n`;
  const tempPath = `${path}${TEMP_INFIX}${record.pid}-${record.nonce}`;
  fs.writeFileSync(tempPath, text, { flag: 'wx' });
  try {
    fs.linkSync(tempPath, path);
    return true;
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST') return false;
    if (code === undefined || !LINK_UNSUPPORTED_CODES.has(code)) throw e;
  } finally {
    removeIfPresent(tempPath);
  }
  return createByOpen(path, text);
}

/** The fallback without hard links: O_CREAT|O_EXCL, then write (briefly empty). */
function createByOpen(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'wx');
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw e;
  }
  try {
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, done);
  } finally {
    // After a failed write the file stays, unreadable, and is judged abandoned by age.
    fs.closeSync(fd);
  }
  return true;
}

/** Reads a lock or claim file; null when it does not exist. */
function readOwnerFile(path: string): OwnerFile | null {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return null;
    throw e;
  }
  try {
    // Contents and identity from one descriptor, so they describe the same file.
    const stat = fs.fstatSync(fd);
    const buffer = Buffer.alloc(RECORD_SIZE_MAX + 1);
    let size = 0;
    while (size < buffer.length) {
      const count = fs.readSync(fd, buffer, size, buffer.length - size, size);
      if (count === 0) break;
      size += count;
    }
    const record = size > RECORD_SIZE_MAX ? null : parseRecord(buffer.toString('utf8', 0, size));
    return { record, ino: stat.ino, mtimeMs: stat.mtimeMs };
  } finally {
    fs.closeSync(fd);
  }
}

/** Validates untrusted file contents; null when they are not a record. */
function parseRecord(text: string): OwnerRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const { pid, startTime, bootId, pidNs, machineId, host, since, nonce } = v;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 1 || pid > 0x7fff_ffff) return null;
  if (!isStringOrNull(startTime) || !isStringOrNull(bootId) || !isStringOrNull(pidNs) || !isStringOrNull(machineId)) return null;
  if (typeof host !== 'string' || typeof since !== 'string') return null;
  if (typeof nonce !== 'string' || !/^[0-9a-f]{16}$/.test(nonce)) return null;
  return { pid, startTime, bootId, pidNs, machineId, host, since, nonce };
}

function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

function sameGeneration(a: OwnerFile, b: OwnerFile): boolean {
  if (a.record !== null && b.record !== null) return a.record.nonce === b.record.nonce;
  if (a.record === null && b.record === null) return a.ino === b.ino && a.mtimeMs === b.mtimeMs;
  return false;
}

/** A file-name-safe name for the generation of a file: its nonce, or inode and mtime when unreadable. */
function generationKey(file: OwnerFile): string {
  return file.record !== null ? file.record.nonce : `g${file.ino}-${Math.floor(file.mtimeMs)}`;
}

/** Applies the decision table at the top of this file. */
function judge(file: OwnerFile): { abandoned: boolean; holder: string } {
  const r = file.record;
  if (r === null) {
    const ageMs = Date.now() - file.mtimeMs;
    const holder = `an unknown process (unreadable lock file, last changed ${Math.round(ageMs)} ms ago)`;
    return { abandoned: ageMs >= GARBLED_STALE_AGE_MS, holder };
  }
  const self = selfIdentity();
  const holder = describe(r);
  const otherMachine = r.host !== self.host || (r.machineId !== null && self.machineId !== null && r.machineId !== self.machineId);
  if (otherMachine) return { abandoned: false, holder: `${holder} (another machine: delete the lock file if that process is gone)` };
  if (r.bootId !== null && self.bootId !== null && r.bootId !== self.bootId) return { abandoned: true, holder };
  if (r.pidNs !== null && self.pidNs !== null && r.pidNs !== self.pidNs) {
    return { abandoned: false, holder: `${holder} (another pid namespace: delete the lock file if that process is gone)` };
  }
  return { abandoned: !processAlive(r.pid, r.startTime), holder };
}

function processAlive(pid: number, startTime: string | null): boolean {
  if (!pidExists(pid)) return false;
  const stat = readProcStat(pid);
  // Missing: it exited since kill(), or /proc is not mounted; ask kill() again.
  if (stat === 'missing') return pidExists(pid);
  if (stat === 'unreadable') return true;
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
  return startTime === null || stat.startTime === startTime;
}

function pidExists(pid: number): boolean {
  assert(Number.isSafeInteger(pid) && pid >= 1, 'a single process, never a process group');
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user. Any other failure: assume alive.
    return errnoCode(e) !== 'ESRCH';
  }
}

type ProcStat = { state: string; startTime: string } | 'missing' | 'unreadable';

/** State (field 3) and start time (field 22) from /proc/<pid>/stat. */
function readProcStat(pid: number): ProcStat {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (e) {
    return errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ESRCH' ? 'missing' : 'unreadable';
  }
  // Field 2 is the command name in parentheses and may itself hold spaces and ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return 'unreadable';
  const fields = text.slice(close + 2).split(' ');
  const state = fields[0]; // field 3
  const startTime = fields[19]; // field 22
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return 'unreadable';
  return { state, startTime };
}

interface SelfIdentity {
  startTime: string | null;
  bootId: string | null;
  pidNs: string | null;
  machineId: string | null;
  host: string;
}

let selfIdentityCached: SelfIdentity | undefined;

function selfIdentity(): SelfIdentity {
  if (selfIdentityCached === undefined) {
    const stat = readProcStat(process.pid);
    selfIdentityCached = {
      startTime: typeof stat === 'object' ? stat.startTime : null,
      bootId: readTrimmed('/proc/sys/kernel/random/boot_id'),
      pidNs: readLinkOrNull('/proc/self/ns/pid'),
      machineId: readTrimmed('/etc/machine-id'),
      host: os.hostname(),
    };
  }
  return selfIdentityCached;
}

function ownRecord(): OwnerRecord {
  const self = selfIdentity();
  return {
    pid: process.pid,
    startTime: self.startTime,
    bootId: self.bootId,
    pidNs: self.pidNs,
    machineId: self.machineId,
    host: self.host,
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
}

function describe(r: OwnerRecord): string {
  const self = r.pid === process.pid && r.host === selfIdentity().host ? ' (this process)' : '';
  return `pid ${r.pid} on host ${r.host} since ${r.since}${self}`;
}

function lockedError(path: string, holder: string): LockedError {
  const error = new Error(`${path} is locked by ${holder}`) as LockedError;
  error.code = 'ELOCKED';
  error.holder = holder;
  error.path = path;
  return error;
}

function readTrimmed(path: string): string | null {
  try {
    const text = fs.readFileSync(path, 'utf8').trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

function readLinkOrNull(path: string): string | null {
  try {
    return fs.readlinkSync(path);
  } catch {
    return null;
  }
}

function removeIfPresent(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
