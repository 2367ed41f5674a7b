/**
 * SimStorage: an in-memory, deterministic implementation of `Storage` that can
 * crash at any operation and inject I/O faults. Crash tests of every package
 * run their code against it, stop it at a generated point, materialise one
 * on-disk state the real machine could have rebooted into, and recover.
 *
 * STATE
 * - A file is an inode: its current bytes (what `read`/`size` see), its durable
 *   bytes (what a crash starts from) and the file operations (writes with
 *   position and bytes, resizes) issued since its last successful `sync`, in
 *   issue order. A directory entry names an inode, so a renamed or unlinked
 *   file keeps its content and its pending writes, and an open fd follows the
 *   inode, not the name.
 * - A directory holds its current entries and its durable entries; one list,
 *   in issue order, holds the entry operations (create, rename, remove) not yet
 *   made durable by `syncDir`.
 *
 * CRASH MODEL (`crash(seed, mode)`, mode 'random'; every choice comes from a
 * mulberry32 stream derived from the seed, so the same history and seed give
 * the same state)
 * 1. Entry operations. The pending list is walked in order and each operation
 *    is kept (applied to the durable entries) or dropped, with probability 1/2,
 *    except that an operation touching an entry name (directory + name) that
 *    an earlier dropped operation touched is dropped too. So for every name
 *    the surviving operations are a prefix of its history, and a rename
 *    survives whole or not at all: every surviving operation finds the disk in
 *    the state it found when issued, so no file appears under two names and a
 *    rename never moves a file the disk does not hold. Operations on different
 *    names survive independently, in any combination. POSIX promises nothing
 *    about an entry until its directory is fsynced; ext4's journal keeps a
 *    global prefix of metadata operations, a special case of this model.
 * 2. File operations. Each file reachable after step 1 starts from its durable
 *    bytes and each pending operation, in order, independently: a resize is
 *    kept or dropped (1/2 each); a write is kept, dropped or torn (1/3 each).
 *    A torn write: each 512-byte sector it touches (sectors are aligned to
 *    file offsets that are multiples of SECTOR_SIZE) holds either the new
 *    bytes or the bytes it held just before the write, independently; a torn
 *    write that extended the file leaves the size extended (unwritten sectors
 *    read as zeros) or not (its bytes past the old end are lost), again 1/2.
 *    Why: a disk writes one 512-byte sector atomically (the assumption LRVM,
 *    SQLite and every log-structured store make), and the page cache writes
 *    dirty pages back in any order; with ext4 delayed allocation and writeback
 *    the size (i_size) and the data blocks reach the disk independently. So
 *    before fsync any subset of the written sectors, and either size, may be
 *    on disk. Operations are independent rather than a prefix because
 *    writeback reorders them.
 * 3. The result becomes both the durable and the current state. Every fd is
 *    closed (a later use throws EBADF) and every lock released (its holder
 *    died). Unreachable inodes (unlinked, or whose create was dropped) vanish.
 * Mode 'keepAll' keeps every pending operation whole (the state equals
 * `snapshot()` except for data lost to a failed sync); mode 'dropAll' drops
 * every one (the state equals `durableView()`).
 *
 * GUARANTEES no crash violates (the contract of storage.ts):
 * - When `sync(fd)` returns, the file's bytes and size at that moment survive
 *   (under whatever name the directory state after the crash gives it),
 *   except operations an earlier failed sync discarded (see FAILED SYNC).
 * - When `syncDir(dir)` returns, every entry operation issued so far that
 *   touches `dir` survives, together with the earlier operations on the same
 *   names it builds on (the create of a file later renamed into `dir`). A
 *   rename between two directories is one atomic operation (ext4 journals it
 *   in one transaction): syncing either directory makes it durable at both.
 *
 * SIMPLIFICATIONS
 * - `mkdir` is durable at once, and removing a directory is allowed only when
 *   it is empty in both states with nothing pending, and is durable at once.
 *   Directories cannot be renamed (EISDIR). The store directory is created
 *   once before anything depends on it, so little is lost by this.
 * - Paths are normalised: empty and '.' segments are dropped, '..' pops a
 *   segment, and a leading '/' is kept ('a' and '/a' are different files
 *   under two roots, '' and '/', which always exist).
 * - `list` returns names sorted, `lock` needs no file.
 *
 * FAILED SYNC (Linux semantics). When writeback fails, Linux reports the error
 * once to fsync and marks the pages clean: the page cache still shows the new
 * data, it may never reach the disk, and a later fsync succeeds without
 * writing it (the 2018 "fsyncgate" that PostgreSQL hit). The simulator takes
 * the adversarial extreme: a failed `sync` discards the file's pending
 * operations from durability for good. Reads still return their bytes, a later
 * successful `sync` makes only later operations durable, and no crash mode,
 * not even 'keepAll', brings them back. A failed `syncDir` has no effect: its
 * operations stay pending.
 * Since Linux 4.13 the error is recorded per inode (errseq_t) and reported
 * once to each open file description: to the fsync that failed, and to the
 * next fsync through every other description opened before the failure.
 * The simulator does the same: a `sync` through another fd of the file,
 * opened before the failure, makes the pending operations durable and then
 * throws EIO once. An fd opened after the failure does not see it (in the
 * simulator every failure is reported to the sync that failed, and Linux
 * samples an error already reported as seen).
 *
 * FAULTS (`injectFault`). 'EIO' and 'ENOSPC' throw before the operation does
 * anything (except `close`, which releases the fd first, as Linux does);
 * 'short' applies to writes only and writes floor(length / 2) bytes. A fault
 * fires once, or on every later matching operation when persistent.
 *
 * CRASH POINTS. Storage calls are numbered from 0 in the order they start;
 * `opCount` is the number that ran. `crashAt(i, seed)` kills the process as
 * call i is about to run: that call and every later one throw `SimCrash`
 * until `recoverFromCrash()`. Call i is in flight: a write, resize, file
 * create, rename or file remove is applied as a pending operation (so the
 * crash may keep, drop or tear it), any other call has no effect.
 */
import { assert } from '../errors.js';
import { SECTOR_SIZE, type FileHandle, type Storage } from './storage.js';

/** What a crash does to operations not yet made durable. */
export type CrashMode = 'random' | 'keepAll' | 'dropAll';

/** The name of a Storage call, as used by faults and `SimCrash`. */
export type SimOp =
  | 'open'
  | 'close'
  | 'read'
  | 'write'
  | 'sync'
  | 'size'
  | 'resize'
  | 'exists'
  | 'mkdir'
  | 'list'
  | 'rename'
  | 'remove'
  | 'syncDir'
  | 'lock'
  | 'unlock';

export type SimFaultKind = 'EIO' | 'ENOSPC' | 'short';

/** A fault fires on an operation that matches every field given. */
export interface SimFaultSpec {
  /** The index of the operation (the value of `opCount` before it runs). */
  opIndex?: number;
  op?: SimOp;
  /** Matches the normalised path (the path an fd was opened with; either side of a rename). */
  path?: string | RegExp;
  /** 'short' matches writes only. */
  kind: SimFaultKind;
  /** Fire on every later matching operation, not only the first. */
  persistent: boolean;
}

export type SimErrorCode = 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EEXIST' | 'ENOTEMPTY' | 'EBADF' | 'EIO' | 'ENOSPC' | 'ELOCKED';

/** A plain copy of a file system state: files by normalised path (sorted), and directories (sorted, without the roots). */
export interface SimSnapshot {
  files: Record<string, Uint8Array>;
  dirs: string[];
}

export interface SimStorageOptions {
  /** The default mode of `crash`, `crashAt` and `recoverFromCrash`. */
  crashMode?: CrashMode;
  /** Record one line per operation in `opLog` ("#12 write log/redo"). */
  recordOps?: boolean;
}

/** The error the simulator throws like Node's fs: an errno-style `code`. */
export class SimStorageError extends Error {
  override readonly name = 'SimStorageError';
  readonly code: SimErrorCode;
  readonly op: SimOp;
  readonly path: string | undefined;
  /** For ELOCKED: who holds the lock. */
  readonly holder: string | undefined;

  constructor(code: SimErrorCode, op: SimOp, path: string | undefined, holder?: string) {
    super(`${code}: ${op} ${path ?? ''}`.trimEnd());
    this.code = code;
    this.op = op;
    this.path = path;
    this.holder = holder;
  }
}

/**
 * Thrown by every call once the simulated process has crashed. Deliberately not
 * an RvmError and without `code`: code under test must not handle it, only stop.
 */
export class SimCrash extends Error {
  override readonly name = 'SimCrash';
  /** The index of the operation at which the process died. */
  readonly opIndex: number;
  /** The operation that threw this. */
  readonly op: SimOp;

  constructor(opIndex: number, op: SimOp) {
    super(`simulated crash at operation #${opIndex} (${op})`);
    this.opIndex = opIndex;
    this.op = op;
  }
}

/** Whether `e` is a SimCrash or wraps one in its `cause` chain (the core wraps storage errors). */
export function isSimCrash(e: unknown): boolean {
  for (let depth = 0; depth < 16 && e instanceof Error; depth++) {
    if (e instanceof SimCrash) return true;
    e = e.cause;
  }
  return false;
}

const NEEDS_NORMALISING = /(?:^|\/)\.\.?(?:\/|$)|\/\/|.\/$/;

/** Drops empty and '.' segments, resolves '..', keeps a leading '/'. */
export function normalizePath(path: string): string {
  if (!NEEDS_NORMALISING.test(path)) return path;
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return (absolute ? '/' : '') + parts.join('/');
}

/** [parent key, name] of a normalised path; the name of a root is ''. */
function splitPath(key: string): [string, string] {
  const slashIndex = key.lastIndexOf('/');
  if (slashIndex < 0) return ['', key];
  if (slashIndex === 0) return ['/', key.slice(1)];
  return [key.slice(0, slashIndex), key.slice(slashIndex + 1)];
}

function joinKey(dirKey: string, name: string): string {
  if (dirKey === '') return name;
  if (dirKey === '/') return `/${name}`;
  return `${dirKey}/${name}`;
}

/** mulberry32: small, fast, and good enough to pick crash states. */
class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A seed for one stream of choices, so the choices for one file do not shift when another file has more operations. */
function streamSeed(seed: number, salt: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0x27d4eb2d) ^ Math.floor(seed / 4294967296);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const EMPTY = new Uint8Array(0);

/** Growable bytes. Invariant: buffer[size, buffer.length) is all zeros, so growing needs no fill. */
class Bytes {
  buffer: Uint8Array;
  size: number;

  constructor(buffer: Uint8Array = EMPTY, size = 0) {
    this.buffer = buffer;
    this.size = size;
  }

  private reserve(sizeMin: number): void {
    if (sizeMin <= this.buffer.length) return;
    let capacity = Math.max(64, this.buffer.length * 2);
    while (capacity < sizeMin) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.size));
    this.buffer = next;
  }

  write(position: number, source: Uint8Array, sourceOffset: number, length: number): void {
    const end = position + length;
    this.reserve(end);
    this.buffer.set(source.subarray(sourceOffset, sourceOffset + length), position);
    if (end > this.size) this.size = end;
  }

  resize(size: number): void {
    if (size < this.size) this.buffer.fill(0, size, this.size);
    else this.reserve(size);
    this.size = size;
  }

  read(position: number, target: Uint8Array, targetOffset: number, length: number): number {
    if (position >= this.size) return 0;
    const count = Math.min(length, this.size - position);
    target.set(this.buffer.subarray(position, position + count), targetOffset);
    return count;
  }

  copy(): Bytes {
    return new Bytes(this.buffer.slice(0, this.size), this.size);
  }

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.size);
  }

  /** The zero invariant; O(capacity), for verify(). */
  tailIsZero(): boolean {
    for (let index = this.size; index < this.buffer.length; index++) if (this.buffer[index] !== 0) return false;
    return true;
  }
}

type FileOp = { kind: 'write'; position: number; bytes: Uint8Array } | { kind: 'resize'; size: number };

function applyFileOp(target: Bytes, op: FileOp): void {
  if (op.kind === 'write') target.write(op.position, op.bytes, 0, op.bytes.length);
  else target.resize(op.size);
}

interface Inode {
  readonly id: number;
  current: Bytes;
  durable: Bytes;
  /** File operations since the last successful sync, in issue order. */
  pending: FileOp[];
  /** A sync failed since the last crash: some operations in `current` will never be durable. */
  syncFailed: boolean;
  /** Failed syncs so far (Linux's errseq_t); each open fd reports the ones after `syncErrorsSeen` once. */
  syncErrorCount: number;
}

interface Dir {
  /** Files now (what open/list/exists see). */
  entries: Map<string, Inode>;
  /** Files after a crash that drops every pending entry operation. */
  durable: Map<string, Inode>;
  /** Subdirectory names; directories are durable at once. */
  subdirs: Set<string>;
}

/**
 * A pending entry operation. `keys` are the entry paths it touches, `dirKeys`
 * the directories holding them; `replaced` is the file a rename overwrote.
 */
interface DirOp {
  kind: 'create' | 'remove' | 'rename';
  inode: Inode;
  keys: string[];
  dirKeys: string[];
  names: string[];
  replaced: Inode | undefined;
}

interface OpenFile {
  inode: Inode;
  /** The normalised path it was opened with (for fault matching). */
  path: string;
  /** The inode's syncErrorCount this fd has reported (or that was current when it was opened). */
  syncErrorsSeen: number;
}

interface ArmedCrash {
  opIndex: number;
  seed: number;
  mode: CrashMode;
}

interface FaultState {
  spec: SimFaultSpec;
  pathKey: string | undefined;
}

const IN_FLIGHT: unique symbol = Symbol('in-flight');

export class SimStorage implements Storage {
  /** The number of Storage calls that ran (calls refused with SimCrash are not counted). */
  opCount = 0;
  /** The number of injected faults that fired. */
  faultCount = 0;
  /** The default mode of crash(), crashAt() and recoverFromCrash(). */
  crashMode: CrashMode;
  /** One line per operation when constructed with `recordOps`. */
  readonly opLog: string[] | null;

  private dirs = new Map<string, Dir>();
  private dirOps: DirOp[] = [];
  private fds = new Map<FileHandle, OpenFile>();
  private locks = new Map<string, string>();
  private faults: FaultState[] = [];
  private armed: ArmedCrash | null = null;
  /** Set from the moment an armed crash fires until the crash is materialised. */
  private crashState: (ArmedCrash & { op: SimOp }) | null = null;
  private fdNext = 3;
  private inodeIdNext = 1;

  constructor(options: SimStorageOptions = {}) {
    this.crashMode = options.crashMode ?? 'random';
    this.opLog = options.recordOps === true ? [] : null;
    this.dirs.set('', newDir());
    this.dirs.set('/', newDir());
  }

  // ---------------------------------------------------------------- Storage

  open(path: string, create: boolean): FileHandle {
    const key = normalizePath(path);
    const gate = this.gate('open', key, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('open', create ? () => this.doOpen(key, true) : null);
    if (gate !== null) throw this.faultError(gate, 'open', key);
    return this.doOpen(key, create);
  }

  close(fd: FileHandle): void {
    const file = this.fds.get(fd);
    const gate = this.gate('close', file?.path, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('close', null);
    if (file === undefined) throw new SimStorageError('EBADF', 'close', undefined);
    this.fds.delete(fd);
    if (gate !== null) throw this.faultError(gate, 'close', file.path);
  }

  read(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number {
    assertRange(buffer, bufferOffset, length, position);
    const file = this.fds.get(fd);
    const gate = this.gate('read', file?.path, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('read', null);
    if (file === undefined) throw new SimStorageError('EBADF', 'read', undefined);
    if (gate !== null) throw this.faultError(gate, 'read', file.path);
    return file.inode.current.read(position, buffer, bufferOffset, length);
  }

  write(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number {
    assertRange(buffer, bufferOffset, length, position);
    const file = this.fds.get(fd);
    const gate = this.gate('write', file?.path, undefined);
    if (gate === IN_FLIGHT) {
      this.crashInFlight('write', file === undefined ? null : () => writeInode(file.inode, buffer, bufferOffset, length, position));
    }
    if (file === undefined) throw new SimStorageError('EBADF', 'write', undefined);
    let count = length;
    if (gate !== null) {
      if (gate.kind !== 'short') throw this.faultError(gate, 'write', file.path);
      count = Math.floor(length / 2);
    }
    writeInode(file.inode, buffer, bufferOffset, count, position);
    return count;
  }

  sync(fd: FileHandle): void {
    const file = this.fds.get(fd);
    const gate = this.gate('sync', file?.path, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('sync', null);
    if (file === undefined) throw new SimStorageError('EBADF', 'sync', undefined);
    const inode = file.inode;
    if (gate !== null) {
      // Linux marks the pages clean after a failed writeback: this data may never reach the disk.
      inode.pending = [];
      inode.syncFailed = true;
      inode.syncErrorCount++;
      file.syncErrorsSeen = inode.syncErrorCount;
      throw this.faultError(gate, 'sync', file.path);
    }
    for (const op of inode.pending) applyFileOp(inode.durable, op);
    inode.pending = [];
    // A failure reported through another fd is reported through this one too, once.
    if (file.syncErrorsSeen < inode.syncErrorCount) {
      file.syncErrorsSeen = inode.syncErrorCount;
      throw new SimStorageError('EIO', 'sync', file.path);
    }
  }

  /**
   * The sync takes effect at the call (one operation, with its crash point
   * and faults); the callback runs on a later turn of the event loop. A crash
   * between the two is a sync that completed while nobody heard of it yet.
   */
  syncAsync(fd: FileHandle, callback: (error: Error | null) => void): void {
    let error: Error | null = null;
    try {
      this.sync(fd);
    } catch (e) {
      error = e as Error;
    }
    this.asyncInFlight++;
    setImmediate(() => {
      this.asyncInFlight--;
      callback(error);
    });
  }

  /** Asynchronous calls whose callback has not run yet (tests wait for 0 before judging what the store reported). */
  asyncInFlight = 0;

  size(fd: FileHandle): number {
    const file = this.fds.get(fd);
    const gate = this.gate('size', file?.path, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('size', null);
    if (file === undefined) throw new SimStorageError('EBADF', 'size', undefined);
    if (gate !== null) throw this.faultError(gate, 'size', file.path);
    return file.inode.current.size;
  }

  resize(fd: FileHandle, size: number): void {
    assert(Number.isSafeInteger(size) && size >= 0, 'resize: size is a non-negative integer');
    const file = this.fds.get(fd);
    const gate = this.gate('resize', file?.path, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('resize', file === undefined ? null : () => resizeInode(file.inode, size));
    if (file === undefined) throw new SimStorageError('EBADF', 'resize', undefined);
    if (gate !== null) throw this.faultError(gate, 'resize', file.path);
    resizeInode(file.inode, size);
  }

  exists(path: string): boolean {
    const key = normalizePath(path);
    const gate = this.gate('exists', key, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('exists', null);
    if (gate !== null) throw this.faultError(gate, 'exists', key);
    if (this.dirs.has(key)) return true;
    const [parentKey, name] = splitPath(key);
    return this.dirs.get(parentKey)?.entries.has(name) ?? false;
  }

  mkdir(path: string): void {
    const key = normalizePath(path);
    const gate = this.gate('mkdir', key, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('mkdir', null);
    if (gate !== null) throw this.faultError(gate, 'mkdir', key);
    this.doMkdir(key);
  }

  list(dir: string): string[] {
    const key = normalizePath(dir);
    const gate = this.gate('list', key, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('list', null);
    if (gate !== null) throw this.faultError(gate, 'list', key);
    const found = this.dirs.get(key);
    if (found === undefined) throw new SimStorageError(this.isFile(key) ? 'ENOTDIR' : 'ENOENT', 'list', key);
    return [...found.entries.keys(), ...found.subdirs].sort();
  }

  rename(from: string, to: string): void {
    const fromKey = normalizePath(from);
    const toKey = normalizePath(to);
    const gate = this.gate('rename', fromKey, toKey);
    if (gate === IN_FLIGHT) this.crashInFlight('rename', () => this.doRename(fromKey, toKey));
    if (gate !== null) throw this.faultError(gate, 'rename', fromKey);
    this.doRename(fromKey, toKey);
  }

  remove(path: string): void {
    const key = normalizePath(path);
    const gate = this.gate('remove', key, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('remove', this.isFile(key) ? () => this.doRemove(key) : null);
    if (gate !== null) throw this.faultError(gate, 'remove', key);
    this.doRemove(key);
  }

  syncDir(dir: string): void {
    const key = normalizePath(dir);
    const gate = this.gate('syncDir', key, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('syncDir', null);
    if (!this.dirs.has(key)) throw new SimStorageError(this.isFile(key) ? 'ENOTDIR' : 'ENOENT', 'syncDir', key);
    if (gate !== null) throw this.faultError(gate, 'syncDir', key);
    this.commitDir(key);
  }

  lock(path: string): void {
    const key = normalizePath(path);
    const gate = this.gate('lock', key, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('lock', null);
    if (gate !== null) throw this.faultError(gate, 'lock', key);
    const holder = this.locks.get(key);
    if (holder !== undefined) throw new SimStorageError('ELOCKED', 'lock', key, holder);
    this.locks.set(key, `this SimStorage (locked at operation #${this.opCount - 1})`);
  }

  unlock(path: string): void {
    const key = normalizePath(path);
    const gate = this.gate('unlock', key, undefined);
    if (gate === IN_FLIGHT) this.crashInFlight('unlock', null);
    if (gate !== null) throw this.faultError(gate, 'unlock', key);
    this.locks.delete(key);
  }

  // ------------------------------------------------------- crashes and faults

  /**
   * Pulls the plug now: materialises one allowed on-disk state (see the crash
   * model at the top), makes it current, closes every fd and releases every
   * lock. Also ends a crash fired by crashAt (with this seed instead).
   */
  crash(seed: number, mode: CrashMode = this.crashMode): void {
    assert(Number.isSafeInteger(seed), 'crash: seed is an integer');
    this.materialise(seed, mode);
  }

  /** Arms a crash as operation `opIndex` (>= opCount) is about to run; see recoverFromCrash. */
  crashAt(opIndex: number, seed: number, mode: CrashMode = this.crashMode): void {
    assert(Number.isSafeInteger(opIndex) && opIndex >= this.opCount, 'crashAt: opIndex is an integer >= opCount');
    assert(Number.isSafeInteger(seed), 'crashAt: seed is an integer');
    assert(this.crashState === null, 'crashAt: the storage has crashed; call recoverFromCrash first');
    this.armed = { opIndex, seed, mode };
  }

  /**
   * Reboots after the crash armed by crashAt, with its seed and mode. If the
   * armed operation was never reached the process dies now (a crash after
   * the last operation). Throws when no crash was armed.
   */
  recoverFromCrash(): void {
    const crash = this.crashState ?? this.armed;
    assert(crash !== null, 'recoverFromCrash: no crash armed (use crash(seed))');
    this.materialise(crash.seed, crash.mode);
  }

  /** Whether an armed crash fired and every call now throws SimCrash. */
  get crashed(): boolean {
    return this.crashState !== null;
  }

  /** Whether a crash is armed and has not fired yet. */
  get crashArmed(): boolean {
    return this.armed !== null;
  }

  injectFault(spec: SimFaultSpec): void {
    assert(spec.kind !== 'short' || spec.op === undefined || spec.op === 'write', "injectFault: 'short' applies to writes only");
    assert(spec.opIndex === undefined || Number.isSafeInteger(spec.opIndex), 'injectFault: opIndex is an integer');
    this.faults.push({ spec: { ...spec }, pathKey: typeof spec.path === 'string' ? normalizePath(spec.path) : undefined });
  }

  clearFaults(): void {
    this.faults = [];
  }

  // ------------------------------------------------------------- inspection

  /** A deep copy of the current state (what a process sees now). */
  snapshot(): SimSnapshot {
    return this.view('current');
  }

  /** A deep copy of the durable state: what a 'dropAll' crash would leave. */
  durableView(): SimSnapshot {
    return this.view('durable');
  }

  /** A copy of a file's bytes, now or as durable; throws ENOENT. */
  fileBytes(path: string, state: 'current' | 'durable' = 'current'): Uint8Array {
    const key = normalizePath(path);
    const [parentKey, name] = splitPath(key);
    const dir = this.dirs.get(parentKey);
    const inode = state === 'current' ? dir?.entries.get(name) : dir?.durable.get(name);
    if (inode === undefined) throw new SimStorageError('ENOENT', 'read', key);
    return state === 'current' ? inode.current.bytes() : inode.durable.bytes();
  }

  /** Every file and directory now, sorted; directories end with '/'. */
  listAll(): string[] {
    const paths: string[] = [];
    for (const [dirKey, dir] of this.dirs) {
      if (dirKey !== '' && dirKey !== '/') paths.push(`${dirKey}/`);
      for (const name of dir.entries.keys()) paths.push(joinKey(dirKey, name));
    }
    return paths.sort();
  }

  /** Operations that a crash could still lose or tear. */
  pendingCounts(): { fileOpCount: number; dirOpCount: number } {
    let fileOpCount = 0;
    for (const inode of this.liveInodes()) fileOpCount += inode.pending.length;
    return { fileOpCount, dirOpCount: this.dirOps.length };
  }

  /** An independent copy of everything: files, pending operations, fds, locks, faults, counters, armed crash. */
  clone(): SimStorage {
    const copy = new SimStorage({ crashMode: this.crashMode, recordOps: this.opLog !== null });
    const inodes = new Map<Inode, Inode>();
    const mapInode = (inode: Inode): Inode => {
      let mapped = inodes.get(inode);
      if (mapped === undefined) {
        mapped = { id: inode.id, current: inode.current.copy(), durable: inode.durable.copy(), pending: inode.pending.slice(), syncFailed: inode.syncFailed, syncErrorCount: inode.syncErrorCount };
        inodes.set(inode, mapped);
      }
      return mapped;
    };
    copy.dirs = new Map();
    for (const [key, dir] of this.dirs) {
      copy.dirs.set(key, {
        entries: new Map([...dir.entries].map(([name, inode]) => [name, mapInode(inode)])),
        durable: new Map([...dir.durable].map(([name, inode]) => [name, mapInode(inode)])),
        subdirs: new Set(dir.subdirs),
      });
    }
    copy.dirOps = this.dirOps.map((op) => ({ ...op, inode: mapInode(op.inode), replaced: op.replaced === undefined ? undefined : mapInode(op.replaced) }));
    for (const [fd, file] of this.fds) copy.fds.set(fd, { inode: mapInode(file.inode), path: file.path, syncErrorsSeen: file.syncErrorsSeen });
    copy.locks = new Map(this.locks);
    copy.faults = this.faults.map((fault) => ({ spec: { ...fault.spec }, pathKey: fault.pathKey }));
    copy.armed = this.armed === null ? null : { ...this.armed };
    copy.crashState = this.crashState === null ? null : { ...this.crashState };
    copy.opCount = this.opCount;
    copy.faultCount = this.faultCount;
    copy.fdNext = this.fdNext;
    copy.inodeIdNext = this.inodeIdNext;
    if (copy.opLog !== null && this.opLog !== null) copy.opLog.push(...this.opLog);
    return copy;
  }

  /** Checks every invariant; throws AssertionError. O(state size): for tests. */
  verify(): void {
    assert(this.dirs.has('') && this.dirs.has('/'), 'verify: both roots exist');
    for (const [key, dir] of this.dirs) {
      if (key !== '' && key !== '/') {
        const [parentKey, name] = splitPath(key);
        assert(this.dirs.get(parentKey)?.subdirs.has(name) === true, 'verify: a directory is listed in its parent');
      }
      for (const name of dir.subdirs) {
        assert(this.dirs.has(joinKey(key, name)), 'verify: a subdirectory exists');
        assert(!dir.entries.has(name) && !dir.durable.has(name), 'verify: a name is a file or a directory, not both');
      }
    }
    // Replaying the pending entry operations on the durable entries gives the current ones.
    const replay = new Map<string, Map<string, Inode>>();
    for (const [key, dir] of this.dirs) replay.set(key, new Map(dir.durable));
    for (const op of this.dirOps) applyDirOp(replay, op);
    for (const [key, dir] of this.dirs) {
      const entries = replay.get(key);
      assert(entries !== undefined && entries.size === dir.entries.size, 'verify: entry replay gives the current entry count');
      for (const [name, inode] of dir.entries) assert(entries.get(name) === inode, 'verify: entry replay gives the current entries');
    }
    // Replaying the pending file operations on the durable bytes gives the current ones.
    for (const inode of this.liveInodes()) {
      assert(inode.current.tailIsZero() && inode.durable.tailIsZero(), 'verify: bytes past the size are zero');
      if (inode.syncFailed) continue;
      const replayed = inode.durable.copy();
      for (const op of inode.pending) applyFileOp(replayed, op);
      assert(replayed.size === inode.current.size, 'verify: file replay gives the current size');
      assert(Buffer.compare(replayed.buffer.subarray(0, replayed.size), inode.current.buffer.subarray(0, inode.current.size)) === 0, 'verify: file replay gives the current bytes');
    }
    assert(this.armed === null || this.armed.opIndex >= this.opCount, 'verify: an armed crash is in the future');
    assert(this.crashState === null || this.armed === null, 'verify: a fired crash is no longer armed');
  }

  // -------------------------------------------------------------- internals

  /**
   * Runs before every Storage call: refuses it after a crash, fires an armed
   * crash, counts it, and returns the fault it must fail with (or null).
   */
  private gate(op: SimOp, path: string | undefined, path2: string | undefined): SimFaultSpec | null | typeof IN_FLIGHT {
    if (this.crashState !== null) throw new SimCrash(this.crashState.opIndex, op);
    const opIndex = this.opCount;
    if (this.armed !== null && this.armed.opIndex === opIndex) {
      this.crashState = { ...this.armed, op };
      this.armed = null;
      return IN_FLIGHT;
    }
    this.opCount = opIndex + 1;
    if (this.opLog !== null) this.opLog.push(`#${opIndex} ${op} ${path ?? ''}${path2 === undefined ? '' : ` -> ${path2}`}`);
    if (this.faults.length === 0) return null;
    for (let index = 0; index < this.faults.length; index++) {
      const fault = this.faults[index]!;
      if (!faultMatches(fault, opIndex, op, path, path2)) continue;
      if (!fault.spec.persistent) this.faults.splice(index, 1);
      this.faultCount++;
      return fault.spec;
    }
    return null;
  }

  /** The process dies during the current call; `effect` is the part of it that may have reached the kernel. */
  private crashInFlight(op: SimOp, effect: (() => unknown) | null): never {
    const crash = this.crashState;
    assert(crash !== null, 'crashInFlight: a crash fired');
    if (effect !== null) {
      try {
        effect();
      } catch (e) {
        // The call would have failed anyway (ENOENT, ...): nothing was in flight.
        if (!(e instanceof SimStorageError)) throw e;
      }
    }
    throw new SimCrash(crash.opIndex, op);
  }

  private faultError(spec: SimFaultSpec, op: SimOp, path: string | undefined): SimStorageError {
    assert(spec.kind !== 'short', 'faultError: a short fault is not an error');
    return new SimStorageError(spec.kind, op, path);
  }

  private isFile(key: string): boolean {
    const [parentKey, name] = splitPath(key);
    return this.dirs.get(parentKey)?.entries.has(name) ?? false;
  }

  private doOpen(key: string, create: boolean): FileHandle {
    const [parentKey, name] = splitPath(key);
    const dir = this.dirs.get(parentKey);
    if (name === '' || dir?.subdirs.has(name) === true) throw new SimStorageError('EISDIR', 'open', key);
    if (dir === undefined) throw new SimStorageError(this.isFile(parentKey) ? 'ENOTDIR' : 'ENOENT', 'open', key);
    let inode = dir.entries.get(name);
    if (inode === undefined) {
      if (!create) throw new SimStorageError('ENOENT', 'open', key);
      inode = { id: this.inodeIdNext++, current: new Bytes(), durable: new Bytes(), pending: [], syncFailed: false, syncErrorCount: 0 };
      dir.entries.set(name, inode);
      this.dirOps.push({ kind: 'create', inode, keys: [key], dirKeys: [parentKey], names: [name], replaced: undefined });
    }
    const fd = this.fdNext++;
    this.fds.set(fd, { inode, path: key, syncErrorsSeen: inode.syncErrorCount });
    return fd;
  }

  private doMkdir(key: string): void {
    if (this.dirs.has(key)) return;
    const [parentKey, name] = splitPath(key);
    assert(name !== '', 'doMkdir: the roots always exist');
    this.doMkdir(parentKey);
    const parent = this.dirs.get(parentKey);
    assert(parent !== undefined, 'doMkdir: the parent was just made');
    if (parent.entries.has(name)) throw new SimStorageError('EEXIST', 'mkdir', key);
    parent.subdirs.add(name);
    this.dirs.set(key, newDir());
  }

  private doRename(fromKey: string, toKey: string): void {
    const [fromDirKey, fromName] = splitPath(fromKey);
    const [toDirKey, toName] = splitPath(toKey);
    const fromDir = this.dirs.get(fromDirKey);
    const toDir = this.dirs.get(toDirKey);
    if (fromName === '' || fromDir?.subdirs.has(fromName) === true) throw new SimStorageError('EISDIR', 'rename', fromKey);
    const inode = fromDir?.entries.get(fromName);
    if (fromDir === undefined || inode === undefined) throw new SimStorageError('ENOENT', 'rename', fromKey);
    if (toName === '' || toDir?.subdirs.has(toName) === true) throw new SimStorageError('EISDIR', 'rename', toKey);
    if (toDir === undefined) throw new SimStorageError('ENOENT', 'rename', toKey);
    if (fromKey === toKey) return;
    const replaced = toDir.entries.get(toName);
    fromDir.entries.delete(fromName);
    toDir.entries.set(toName, inode);
    this.dirOps.push({ kind: 'rename', inode, keys: [fromKey, toKey], dirKeys: [fromDirKey, toDirKey], names: [fromName, toName], replaced });
  }

  private doRemove(key: string): void {
    const [parentKey, name] = splitPath(key);
    const parent = this.dirs.get(parentKey);
    const inode = parent?.entries.get(name);
    if (parent !== undefined && inode !== undefined) {
      parent.entries.delete(name);
      this.dirOps.push({ kind: 'remove', inode, keys: [key], dirKeys: [parentKey], names: [name], replaced: undefined });
      return;
    }
    const dir = this.dirs.get(key);
    if (dir === undefined) throw new SimStorageError('ENOENT', 'remove', key);
    if (name === '') throw new SimStorageError('EISDIR', 'remove', key);
    const busy = dir.entries.size > 0 || dir.durable.size > 0 || dir.subdirs.size > 0 || this.dirOps.some((op) => op.dirKeys.includes(key));
    if (busy) throw new SimStorageError('ENOTEMPTY', 'remove', key);
    assert(parent !== undefined, 'doRemove: a directory has a parent');
    parent.subdirs.delete(name);
    this.dirs.delete(key);
  }

  /**
   * syncDir: makes durable every pending entry operation touching `dirKey` and
   * every earlier one they build on (an earlier operation on one of their
   * names, transitively). Dependencies point backwards only, so one backward
   * pass finds them. The rest stay pending; they share no name with what was
   * applied, so applying it first commutes with them.
   */
  private commitDir(dirKey: string): void {
    const commitKeys = new Set<string>();
    const committed: boolean[] = new Array<boolean>(this.dirOps.length).fill(false);
    for (let index = this.dirOps.length - 1; index >= 0; index--) {
      const op = this.dirOps[index]!;
      if (!op.dirKeys.includes(dirKey) && !op.keys.some((key) => commitKeys.has(key))) continue;
      committed[index] = true;
      for (const key of op.keys) commitKeys.add(key);
    }
    if (commitKeys.size === 0) return;
    const durable = this.durableEntries();
    const remaining: DirOp[] = [];
    for (let index = 0; index < this.dirOps.length; index++) {
      const op = this.dirOps[index]!;
      if (committed[index] === true) applyDirOp(durable, op);
      else remaining.push(op);
    }
    this.dirOps = remaining;
  }

  private durableEntries(): Map<string, Map<string, Inode>> {
    const durable = new Map<string, Map<string, Inode>>();
    for (const [key, dir] of this.dirs) durable.set(key, dir.durable);
    return durable;
  }

  /** Every inode a name, an fd or a pending operation still refers to. */
  private liveInodes(): Set<Inode> {
    const inodes = new Set<Inode>();
    for (const dir of this.dirs.values()) {
      for (const inode of dir.entries.values()) inodes.add(inode);
      for (const inode of dir.durable.values()) inodes.add(inode);
    }
    for (const file of this.fds.values()) inodes.add(file.inode);
    return inodes;
  }

  private materialise(seed: number, mode: CrashMode): void {
    // 1. Entry operations: per name, a prefix of its history survives.
    const dirRng = new Rng(streamSeed(seed, 0));
    const durable = this.durableEntries();
    const deadKeys = new Set<string>();
    for (const op of this.dirOps) {
      let keep = !op.keys.some((key) => deadKeys.has(key));
      if (keep) keep = mode === 'keepAll' || (mode === 'random' && dirRng.next() < 0.5);
      if (keep) applyDirOp(durable, op);
      else for (const key of op.keys) deadKeys.add(key);
    }
    this.dirOps = [];
    // 2. File operations of every file that is still reachable, in inode order for determinism.
    const reachable = new Set<Inode>();
    for (const dir of this.dirs.values()) {
      dir.entries = new Map(dir.durable);
      for (const inode of dir.durable.values()) reachable.add(inode);
    }
    const inodes = [...reachable].sort((a, b) => a.id - b.id);
    for (const inode of inodes) {
      const rng = new Rng(streamSeed(seed, inode.id));
      for (const op of inode.pending) {
        if (mode === 'keepAll') applyFileOp(inode.durable, op);
        else if (mode === 'random') applyRandomly(inode.durable, op, rng);
      }
      inode.pending = [];
      inode.syncFailed = false;
      inode.current = inode.durable.copy();
    }
    // 3. The process is gone: its fds and locks with it.
    this.fds.clear();
    this.locks.clear();
    this.armed = null;
    this.crashState = null;
  }

  private view(state: 'current' | 'durable'): SimSnapshot {
    const files: Record<string, Uint8Array> = {};
    const dirs: string[] = [];
    const paths: [string, Inode][] = [];
    for (const [dirKey, dir] of this.dirs) {
      if (dirKey !== '' && dirKey !== '/') dirs.push(dirKey);
      for (const [name, inode] of state === 'current' ? dir.entries : dir.durable) paths.push([joinKey(dirKey, name), inode]);
    }
    paths.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [path, inode] of paths) files[path] = state === 'current' ? inode.current.bytes() : inode.durable.bytes();
    return { files, dirs: dirs.sort() };
  }
}

function newDir(): Dir {
  return { entries: new Map(), durable: new Map(), subdirs: new Set() };
}

function assertRange(buffer: Uint8Array, bufferOffset: number, length: number, position: number): void {
  assert(Number.isSafeInteger(bufferOffset) && bufferOffset >= 0, 'bufferOffset is a non-negative integer');
  assert(Number.isSafeInteger(length) && length >= 0, 'length is a non-negative integer');
  assert(bufferOffset + length <= buffer.length, 'bufferOffset + length is within the buffer');
  assert(Number.isSafeInteger(position) && position >= 0, 'position is a non-negative integer');
}

function writeInode(inode: Inode, buffer: Uint8Array, bufferOffset: number, length: number, position: number): void {
  if (length === 0) return;
  // A copy, as write(2) makes: Buffer#slice would be a view, and the caller may reuse its buffer.
  const bytes = Uint8Array.prototype.slice.call(buffer, bufferOffset, bufferOffset + length);
  inode.current.write(position, bytes, 0, length);
  inode.pending.push({ kind: 'write', position, bytes });
}

function resizeInode(inode: Inode, size: number): void {
  inode.current.resize(size);
  inode.pending.push({ kind: 'resize', size });
}

function faultMatches(fault: FaultState, opIndex: number, op: SimOp, path: string | undefined, path2: string | undefined): boolean {
  const spec = fault.spec;
  if (spec.opIndex !== undefined && spec.opIndex !== opIndex) return false;
  if (spec.op !== undefined && spec.op !== op) return false;
  if (spec.kind === 'short' && op !== 'write') return false;
  if (spec.path === undefined) return true;
  return pathMatches(fault, path) || pathMatches(fault, path2);
}

function pathMatches(fault: FaultState, path: string | undefined): boolean {
  if (path === undefined) return false;
  if (fault.pathKey !== undefined) return fault.pathKey === path;
  const pattern = fault.spec.path as RegExp;
  pattern.lastIndex = 0;
  return pattern.test(path);
}

/** Applies an entry operation to per-directory entry maps. Its preconditions hold by the prefix rule of the crash model. */
function applyDirOp(entries: Map<string, Map<string, Inode>>, op: DirOp): void {
  const first = entries.get(op.dirKeys[0]!);
  const firstName = op.names[0]!;
  assert(first !== undefined, 'applyDirOp: the directory exists');
  if (op.kind === 'create') {
    assert(!first.has(firstName), 'applyDirOp: create finds no entry');
    first.set(firstName, op.inode);
  } else if (op.kind === 'remove') {
    assert(first.get(firstName) === op.inode, 'applyDirOp: remove finds its file');
    first.delete(firstName);
  } else {
    const second = entries.get(op.dirKeys[1]!);
    const secondName = op.names[1]!;
    assert(second !== undefined, 'applyDirOp: the target directory exists');
    assert(first.get(firstName) === op.inode, 'applyDirOp: rename finds its file');
    assert(second.get(secondName) === op.replaced, 'applyDirOp: rename finds the file it replaces');
    first.delete(firstName);
    second.set(secondName, op.inode);
  }
}

/** 'random' mode for one pending file operation: keep, drop, or (writes) tear at sector granularity. */
function applyRandomly(target: Bytes, op: FileOp, rng: Rng): void {
  if (op.kind === 'resize') {
    if (rng.next() < 0.5) target.resize(op.size);
    return;
  }
  const choice = Math.floor(rng.next() * 3);
  if (choice === 0) target.write(op.position, op.bytes, 0, op.bytes.length);
  if (choice !== 2) return;
  const position = op.position;
  const end = position + op.bytes.length;
  if (end > target.size && rng.next() < 0.5) target.resize(end);
  const sizeLimit = target.size;
  for (let sectorStart = position - (position % SECTOR_SIZE); sectorStart < end; sectorStart += SECTOR_SIZE) {
    if (rng.next() < 0.5) continue;
    const start = Math.max(position, sectorStart);
    const stop = Math.min(end, sectorStart + SECTOR_SIZE, sizeLimit);
    if (stop > start) target.write(start, op.bytes, start - position, stop - start);
  }
}
