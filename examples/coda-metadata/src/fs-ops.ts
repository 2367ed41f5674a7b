/**
 * FileServer: the operations of a Coda-style file server on fids, each one
 * transaction of the Store (it commits when the operation returns, aborts and
 * rethrows when it throws, so a failed operation changes nothing).
 *
 * Invariants every operation keeps (fsck.ts checks them on the stored state):
 * - Every directory entry names a live vnode of its volume, with that vnode's
 *   uniquifier.
 * - A vnode's linkCount is the number of entries that name it. A directory is
 *   named by its entry in its parent, its own '.', and each subdirectory's
 *   '..' (so it has 2 + subdirectories, as in Unix); the volume root by its
 *   '.' and its own '..'.
 * - A directory's '..' names the directory holding its entry; no directory is
 *   named by two entries other than '.' and '..' (no hard links to
 *   directories), so the directories form a tree rooted at vnode 1.
 * - A directory's length is its entry count, '.' and '..' included.
 * - Every vnode number below the volume's nextVnode is live or free, never
 *   both; every live uniquifier is below nextUnique.
 *
 * Checks run in a fixed order, documented per operation, so that when
 * several errors apply the same one is reported every time (the model in the
 * tests follows the same order).
 */
import type { Store } from '@rvm/structs';
import type { DirentTarget } from './dirent-layout.js';
import { assert, FsError } from './errors.js';
import type { Fid } from './fid.js';
import { fid, formatFid, isU32, ROOT_UNIQUE, ROOT_VNODE, U32_MAX } from './fid.js';
import { checkEntryName, checkLookupName, checkTarget, DOT, DOT_DOT } from './names.js';
import type { Tables } from './tables.js';
import { openTables } from './tables.js';
import type { Vnode, VnodeType } from './vnode-layout.js';
import { MODE_MAX } from './vnode-layout.js';
import type { VolumeRecord } from './volume-layout.js';
import { VOLUME_NAME_SIZE_MAX } from './volume-layout.js';

export const FIRST_VOLUME_NAME = 'root';
export const FIRST_VOLUME_ID = 1;
export const MODE_DIR_DEFAULT = 0o755;
export const MODE_FILE_DEFAULT = 0o644;
export const MODE_SYMLINK = 0o777;
/** A new vnode's data version; every change to its data adds one. */
export const DATA_VERSION_FIRST = 1;
/** Volume names as Coda writes them: letters, digits, '.', '_' and '-'. */
const VOLUME_NAME_PATTERN = new RegExp(`^[A-Za-z0-9._-]{1,${VOLUME_NAME_SIZE_MAX}}$`);

export interface FileServerOptions {
  /** Milliseconds since the epoch for mtimes. Date.now by default; tests pass a logical clock. */
  readonly clock?: () => number;
  /** Commit each operation with a flush (durable on return) or a no-flush commit. Default: the store's durability. */
  readonly flush?: boolean;
}

export interface CreateAttrs {
  readonly mode?: number;
  readonly owner?: number;
}

export interface SetAttrs {
  readonly mode?: number;
  readonly owner?: number;
  /** Files only: the new length (a truncate or extend); a change adds one to the data version. */
  readonly length?: number;
  readonly mtime?: number;
}

export interface Attr {
  readonly fid: Fid;
  readonly type: VnodeType;
  readonly mode: number;
  readonly owner: number;
  readonly length: number;
  readonly mtime: number;
  readonly linkCount: number;
  readonly dataVersion: number;
}

export interface DirEntry {
  readonly name: string;
  readonly fid: Fid;
}

export interface VolumeInfo {
  readonly id: number;
  readonly name: string;
  readonly root: Fid;
  readonly nextVnode: number;
  readonly nextUnique: number;
}

export class FileServer {
  /** Whether operations commit with a flush; undefined: the store's durability. The shell's `load` turns it off. */
  flush: boolean | undefined;
  private readonly clock: () => number;

  private constructor(
    readonly store: Store,
    /** The trees, for fsck and for tests that damage them on purpose. */
    readonly tables: Tables,
    options: FileServerOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.flush = options.flush;
  }

  /** Opens the file server in `store`, creating its trees and the first volume ("root") on first use, in one transaction. */
  static open(store: Store, options: FileServerOptions = {}): FileServer {
    const tables = store.transaction(() => {
      const opened = openTables(store);
      if (!opened.volumes.has(FIRST_VOLUME_ID)) createVolumeIn(opened, FIRST_VOLUME_ID, FIRST_VOLUME_NAME, options.clock?.() ?? Date.now());
      return opened;
    });
    return new FileServer(store, tables, options);
  }

  /** Runs fn as one transaction with this server's durability; operations called inside it join it. */
  transaction<T>(fn: () => T): T {
    return this.store.transaction(fn, this.flush === undefined ? undefined : { flush: this.flush });
  }

  // --------------------------------------------------------------- volumes

  volumes(): VolumeInfo[] {
    const result: VolumeInfo[] = [];
    for (const [id, record] of this.tables.volumes.range()) result.push(volumeInfo(id, record));
    return result;
  }

  /** The volume named `name` (ENOENT when there is none). */
  volume(name: string): VolumeInfo {
    for (const info of this.volumes()) if (info.name === name) return info;
    throw new FsError('ENOENT', `There is no volume named "${name}". List them with volumes(), or create it.`, { name });
  }

  /** Creates a volume with an empty root directory. Checks: the name (EINVAL), then that it is free (EEXIST). */
  createVolume(name: string): VolumeInfo {
    if (typeof name !== 'string' || !VOLUME_NAME_PATTERN.test(name)) {
      throw new FsError('EINVAL', `A volume name is 1 to ${VOLUME_NAME_SIZE_MAX} of [A-Za-z0-9._-]; got ${JSON.stringify(name)}.`, { name });
    }
    return this.op((now) => {
      if (this.volumes().some((v) => v.name === name)) throw new FsError('EEXIST', `A volume named "${name}" exists already.`, { name });
      const last = this.tables.volumes.last();
      const id = last === undefined ? FIRST_VOLUME_ID : last[0] + 1;
      assert(isU32(id), 'volume ids stay below 2^32');
      createVolumeIn(this.tables, id, name, now);
      return volumeInfo(id, this.volumeRecord(id));
    });
  }

  /** The root directory of a volume. */
  root(volume: number): Fid {
    this.volumeRecord(volume);
    return fid(volume, ROOT_VNODE, ROOT_UNIQUE);
  }

  // ----------------------------------------------------------------- reads

  /** The attributes of `f` (ESTALE when it names no live vnode). */
  getattr(f: Fid): Attr {
    return attrOf(f, this.liveVnode(f));
  }

  /** The target of symbolic link `f` (EINVAL when it is not one). */
  readlink(f: Fid): string {
    const v = this.liveVnode(f);
    if (v.type !== 'symlink') throw new FsError('EINVAL', `${describe(f)} is a ${v.type}, not a symbolic link.`, { fid: f });
    return v.target;
  }

  /** The fid `name` names in directory `dir`; '.' and '..' too. Checks: the name, dir (ESTALE, ENOTDIR), the entry (ENOENT). */
  lookup(dir: Fid, name: string): Fid {
    checkLookupName(name);
    this.liveDir(dir);
    const target = this.tables.dirents.get([dir.volume, dir.vnode, name]);
    if (target === undefined) throw new FsError('ENOENT', `No entry "${name}" in directory ${describe(dir)}.`, { dir, name });
    return fid(dir.volume, target.vnode, target.unique);
  }

  /** The entries of `dir` other than '.' and '..', in name order (UTF-8 byte order). */
  readdir(dir: Fid): DirEntry[] {
    this.liveDir(dir);
    const result: DirEntry[] = [];
    for (const [key, target] of this.tables.dirents.range({ gte: [dir.volume, dir.vnode, ''], lt: [dir.volume, dir.vnode + 1, ''] })) {
      const name = key[2];
      if (name === DOT || name === DOT_DOT) continue;
      result.push({ name, fid: fid(dir.volume, target.vnode, target.unique) });
    }
    return result;
  }

  // ------------------------------------------------------------- mutations

  /** Creates an empty file. Checks: name, dir, attrs (EINVAL), entry free (EEXIST). */
  create(dir: Fid, name: string, attrs: CreateAttrs = {}): Fid {
    return this.makeVnode(dir, name, 'file', '', attrs);
  }

  /** Creates an empty directory ('.' and '..' only). Checks as create. */
  mkdir(dir: Fid, name: string, attrs: CreateAttrs = {}): Fid {
    return this.makeVnode(dir, name, 'dir', '', attrs);
  }

  /** Creates a symbolic link to `target` (any text; resolved when followed). Checks: name, target, dir, attrs, entry free. */
  symlink(dir: Fid, name: string, target: string, attrs: CreateAttrs = {}): Fid {
    checkEntryName(name);
    checkTarget(target);
    return this.makeVnode(dir, name, 'symlink', target, attrs);
  }

  /**
   * Adds entry `name` in `dir` naming the existing vnode `target`.
   * Checks: name, dir, target live (ESTALE), same volume (EXDEV), entry free
   * (EEXIST), target not a directory (EPERM).
   */
  link(dir: Fid, name: string, target: Fid): void {
    checkEntryName(name);
    this.op((now) => {
      const dirNode = this.liveDir(dir);
      const targetNode = this.liveVnode(target);
      if (target.volume !== dir.volume) throw new FsError('EXDEV', `${describe(target)} is in another volume than directory ${describe(dir)}.`, { dir, target });
      this.checkFree(dir, name);
      if (targetNode.type === 'dir') throw new FsError('EPERM', `${describe(target)} is a directory; directories cannot have hard links.`, { target });
      targetNode.linkCount++;
      this.putVnode(target, targetNode);
      this.putEntry(dir, name, target);
      changeDir(dirNode, +1, now);
      this.putVnode(dir, dirNode);
    });
  }

  /** Removes entry `name` (not a directory) from `dir`; frees the vnode with its last link. Checks: name, dir, entry (ENOENT), not a directory (EISDIR). */
  unlink(dir: Fid, name: string): void {
    checkEntryName(name);
    this.op((now) => {
      const dirNode = this.liveDir(dir);
      const target = this.entryOf(dir, name);
      const node = this.entryVnode(dir, name, target);
      if (node.type === 'dir') throw new FsError('EISDIR', `"${name}" in ${describe(dir)} is a directory; remove it with rmdir.`, { dir, name });
      this.tables.dirents.delete([dir.volume, dir.vnode, name]);
      this.dropLink(dir.volume, target, node);
      changeDir(dirNode, -1, now);
      this.putVnode(dir, dirNode);
    });
  }

  /** Removes the empty directory `name` from `dir`. Checks: name, dir, entry (ENOENT), a directory (ENOTDIR), empty (ENOTEMPTY). */
  rmdir(dir: Fid, name: string): void {
    checkEntryName(name);
    this.op((now) => {
      const dirNode = this.liveDir(dir);
      const target = this.entryOf(dir, name);
      const node = this.entryVnode(dir, name, target);
      if (node.type !== 'dir') throw new FsError('ENOTDIR', `"${name}" in ${describe(dir)} is a ${node.type}; remove it with unlink.`, { dir, name });
      if (node.length > 2) throw new FsError('ENOTEMPTY', `Directory "${name}" holds ${node.length - 2} entries; remove them first.`, { dir, name, entryCount: node.length - 2 });
      this.tables.dirents.delete([dir.volume, dir.vnode, name]);
      this.removeEmptyDir(dir, dirNode, target, node);
      changeDir(dirNode, -1, now);
      this.putVnode(dir, dirNode);
    });
  }

  /**
   * Moves entry `fromName` of `fromDir` to `toName` of `toDir`, replacing an
   * existing target the way POSIX rename does. Checks, in order: both names
   * (EINVAL: '.' or '..'), both directories (ESTALE, ENOTDIR), same volume
   * (EXDEV), the source entry (ENOENT); then a target naming the same vnode
   * makes it a no-op; a directory moved into itself or below itself
   * (EINVAL); a target of the wrong kind (ENOTDIR: a directory over a
   * non-directory, EISDIR: the reverse); a non-empty target directory
   * (ENOTEMPTY).
   */
  rename(fromDir: Fid, fromName: string, toDir: Fid, toName: string): void {
    checkEntryName(fromName);
    checkEntryName(toName);
    this.op((now) => {
      const fromNode = this.liveDir(fromDir);
      const toRead = this.liveDir(toDir);
      // Both are live, so the same vnode number means the same fid; one record object then stands for both.
      const sameDir = fromDir.vnode === toDir.vnode && fromDir.volume === toDir.volume;
      const toNode = sameDir ? fromNode : toRead;
      if (fromDir.volume !== toDir.volume) throw new FsError('EXDEV', 'rename between volumes: each volume has its own vnode table. Copy instead.', { fromDir, toDir });
      const volume = fromDir.volume;
      const source = this.entryOf(fromDir, fromName);
      const sourceNode = this.entryVnode(fromDir, fromName, source);
      const existing = this.tables.dirents.get([volume, toDir.vnode, toName]);
      if (existing !== undefined && existing.vnode === source.vnode) return; // POSIX: two links to one vnode, nothing to do.
      const moved = fid(volume, source.vnode, source.unique);
      if (sourceNode.type === 'dir' && this.isAncestorOrSelf(moved, toDir)) {
        throw new FsError('EINVAL', `Directory "${fromName}" cannot move into itself or a directory below it.`, { fromDir, fromName, toDir, toName });
      }
      let existingNode: Vnode | undefined;
      if (existing !== undefined) {
        existingNode = this.entryVnode(toDir, toName, existing);
        if (sourceNode.type === 'dir' && existingNode.type !== 'dir') {
          throw new FsError('ENOTDIR', `"${toName}" is a ${existingNode.type}; a directory cannot replace it.`, { toDir, toName });
        }
        if (sourceNode.type !== 'dir' && existingNode.type === 'dir') {
          throw new FsError('EISDIR', `"${toName}" is a directory; a ${sourceNode.type} cannot replace it.`, { toDir, toName });
        }
        if (existingNode.type === 'dir' && existingNode.length > 2) {
          throw new FsError('ENOTEMPTY', `Directory "${toName}" holds ${existingNode.length - 2} entries; it can only be replaced when empty.`, { toDir, toName });
        }
      }
      // Checks done: from here on nothing throws an FsError, so the transaction commits whole.
      if (existing !== undefined) {
        assert(existingNode !== undefined, 'the replaced vnode was read');
        if (existingNode.type === 'dir') this.removeEmptyDir(toDir, toNode, existing, existingNode);
        else this.dropLink(volume, existing, existingNode);
      }
      this.putEntry(toDir, toName, moved);
      this.tables.dirents.delete([volume, fromDir.vnode, fromName]);
      if (sourceNode.type === 'dir' && !sameDir) {
        this.putEntry(moved, DOT_DOT, toDir);
        fromNode.linkCount--;
        toNode.linkCount++;
        // Its '..' changed: that is a change of the moved directory's data.
        changeDir(sourceNode, 0, now);
        this.putVnode(moved, sourceNode);
      }
      changeDir(fromNode, -1, now);
      if (!sameDir) changeDir(toNode, 0, now);
      if (existing === undefined) toNode.length++;
      this.putVnode(fromDir, fromNode);
      if (!sameDir) this.putVnode(toDir, toNode);
    });
  }

  /**
   * Changes the given attributes. Checks: f live (ESTALE), each value
   * (EINVAL), a length for a directory (EISDIR) or a symbolic link (EINVAL).
   * A new length adds one to the data version and sets mtime to now; an
   * explicit mtime is applied last.
   */
  setattr(f: Fid, attrs: SetAttrs): Attr {
    return this.op((now) => {
      const node = this.liveVnode(f);
      const { mode, owner, length, mtime } = attrs;
      if (mode !== undefined) checkMode(mode);
      if (owner !== undefined) checkOwner(owner);
      if (length !== undefined) {
        if (!Number.isSafeInteger(length) || length < 0) throw new FsError('EINVAL', `A length is an integer from 0 to 2^53 - 1; got ${String(length)}.`, { length });
        if (node.type === 'dir') throw new FsError('EISDIR', `${describe(f)} is a directory; its length is its entry count.`, { fid: f });
        if (node.type === 'symlink') throw new FsError('EINVAL', `${describe(f)} is a symbolic link; its length is its target's.`, { fid: f });
      }
      if (mtime !== undefined && (!Number.isSafeInteger(mtime) || mtime < 0)) {
        throw new FsError('EINVAL', `An mtime is milliseconds since the epoch, 0 to 2^53 - 1; got ${String(mtime)}.`, { mtime });
      }
      if (mode !== undefined) node.mode = mode;
      if (owner !== undefined) node.owner = owner;
      if (length !== undefined && length !== node.length) {
        node.length = length;
        node.dataVersion++;
        node.mtime = now;
      }
      if (mtime !== undefined) node.mtime = mtime;
      this.putVnode(f, node);
      return attrOf(f, node);
    });
  }

  // --------------------------------------------------------------- private

  private op<T>(fn: (now: number) => T): T {
    return this.transaction(() => {
      const now = this.clock();
      assert(Number.isSafeInteger(now) && now >= 0, 'the clock gives milliseconds since the epoch');
      return fn(now);
    });
  }

  private makeVnode(dir: Fid, name: string, type: VnodeType, target: string, attrs: CreateAttrs): Fid {
    checkEntryName(name);
    return this.op((now) => {
      const dirNode = this.liveDir(dir);
      const mode = attrs.mode ?? (type === 'dir' ? MODE_DIR_DEFAULT : type === 'file' ? MODE_FILE_DEFAULT : MODE_SYMLINK);
      const owner = attrs.owner ?? 0;
      checkMode(mode);
      checkOwner(owner);
      this.checkFree(dir, name);
      const made = this.allocate(dir.volume);
      const node: Vnode = {
        type,
        mode,
        owner,
        unique: made.unique,
        linkCount: type === 'dir' ? 2 : 1,
        length: type === 'dir' ? 2 : type === 'symlink' ? Buffer.byteLength(target, 'utf8') : 0,
        mtime: now,
        dataVersion: DATA_VERSION_FIRST,
        target,
      };
      this.putVnode(made, node);
      this.putEntry(dir, name, made);
      if (type === 'dir') {
        this.putEntry(made, DOT, made);
        this.putEntry(made, DOT_DOT, dir);
        dirNode.linkCount++;
      }
      changeDir(dirNode, +1, now);
      this.putVnode(dir, dirNode);
      return made;
    });
  }

  /** The smallest free vnode number of the volume, else a new one; and a new uniquifier. */
  private allocate(volume: number): Fid {
    const record = this.volumeRecord(volume);
    let vnode = 0;
    for (const key of this.tables.free.keys({ gte: [volume, 0], lt: [volume + 1, 0], limit: 1 })) vnode = key[1];
    if (vnode !== 0) {
      const deleted = this.tables.free.delete([volume, vnode]);
      assert(deleted, 'the free vnode number was in the free tree');
      assert(!this.tables.vnodes.has([volume, vnode]), 'a free vnode number is not live');
    } else {
      vnode = record.nextVnode;
      if (vnode >= U32_MAX) throw new FsError('ENOSPC', 'The volume has used every vnode number. Create a new volume.', { volume });
      record.nextVnode++;
    }
    const unique = record.nextUnique;
    assert(unique < U32_MAX, 'uniquifiers stay below 2^32');
    record.nextUnique++;
    this.tables.volumes.put(volume, record);
    return fid(volume, vnode, unique);
  }

  /** One entry fewer names a non-directory; the vnode is freed with its last. */
  private dropLink(volume: number, target: DirentTarget, node: Vnode): void {
    assert(node.type !== 'dir' && node.linkCount >= 1, 'a non-directory named by an entry has a link');
    node.linkCount--;
    if (node.linkCount === 0) this.freeVnode(volume, target.vnode);
    else this.putVnode(fid(volume, target.vnode, target.unique), node);
  }

  /** Removes an empty directory whose entry in `parent` is gone already (the caller deletes or replaces it). */
  private removeEmptyDir(parent: Fid, parentNode: Vnode, target: DirentTarget, node: Vnode): void {
    assert(node.type === 'dir' && node.length === 2 && node.linkCount === 2, 'an empty directory has only . and .., and two links');
    const volume = parent.volume;
    this.tables.dirents.delete([volume, target.vnode, DOT]);
    this.tables.dirents.delete([volume, target.vnode, DOT_DOT]);
    parentNode.linkCount--;
    this.freeVnode(volume, target.vnode);
  }

  private freeVnode(volume: number, vnode: number): void {
    assert(vnode !== ROOT_VNODE, 'the root is never freed');
    const deleted = this.tables.vnodes.delete([volume, vnode]);
    assert(deleted, 'a freed vnode was live');
    this.tables.free.put([volume, vnode], null);
  }

  /** Whether `dir` is `ancestor` or below it, walking '..' up to the root. */
  private isAncestorOrSelf(ancestor: Fid, dir: Fid): boolean {
    let vnode = dir.vnode;
    const stepsMax = this.volumeRecord(dir.volume).nextVnode;
    for (let steps = 0; steps <= stepsMax; steps++) {
      if (vnode === ancestor.vnode) return true;
      if (vnode === ROOT_VNODE) return false;
      const parent = this.tables.dirents.get([dir.volume, vnode, DOT_DOT]);
      assert(parent !== undefined, 'every directory has a .. entry');
      vnode = parent.vnode;
    }
    assert(false, 'the .. chain reaches the root (no cycle; fsck reports one)');
  }

  private checkFree(dir: Fid, name: string): void {
    if (this.tables.dirents.has([dir.volume, dir.vnode, name])) {
      throw new FsError('EEXIST', `"${name}" exists already in directory ${describe(dir)}.`, { dir, name });
    }
  }

  private entryOf(dir: Fid, name: string): DirentTarget {
    const target = this.tables.dirents.get([dir.volume, dir.vnode, name]);
    if (target === undefined) throw new FsError('ENOENT', `No entry "${name}" in directory ${describe(dir)}.`, { dir, name });
    return target;
  }

  /** The vnode an entry names; a dangling entry is damage that fsck reports, so here it is a bug. */
  private entryVnode(dir: Fid, name: string, target: DirentTarget): Vnode {
    const node = this.tables.vnodes.get([dir.volume, target.vnode]);
    assert(node !== undefined && node.unique === target.unique, `entry "${name}" names a live vnode (run fsck)`);
    return node;
  }

  private liveVnode(f: Fid): Vnode {
    if (!isU32(f.volume) || !isU32(f.vnode) || !isU32(f.unique)) throw new FsError('EINVAL', `${JSON.stringify(f)} is not a fid.`, { fid: f });
    const node = this.tables.vnodes.get([f.volume, f.vnode]);
    if (node === undefined || node.unique !== f.unique) {
      throw new FsError('ESTALE', `${describe(f)} names no live vnode: it was removed${node === undefined ? '' : ' and its number reused'}. Look the name up again.`, { fid: f });
    }
    return node;
  }

  private liveDir(f: Fid): Vnode {
    const node = this.liveVnode(f);
    if (node.type !== 'dir') throw new FsError('ENOTDIR', `${describe(f)} is a ${node.type}, not a directory.`, { fid: f });
    return node;
  }

  private volumeRecord(volume: number): VolumeRecord {
    const record = this.tables.volumes.get(volume);
    if (record === undefined) throw new FsError('ENOENT', `There is no volume ${volume}.`, { volume });
    return record;
  }

  private putVnode(f: Fid, node: Vnode): void {
    assert(node.unique === f.unique, 'a vnode is written under its own fid');
    this.tables.vnodes.put([f.volume, f.vnode], node);
  }

  private putEntry(dir: Fid, name: string, target: Fid): void {
    assert(target.volume === dir.volume, 'an entry names a vnode of its own volume');
    this.tables.dirents.put([dir.volume, dir.vnode, name], { vnode: target.vnode, unique: target.unique });
  }
}

/** Writes a new volume: its record and a root directory whose '..' is itself. */
function createVolumeIn(tables: Tables, id: number, name: string, now: number): void {
  tables.volumes.put(id, { name, nextVnode: ROOT_VNODE + 1, nextUnique: ROOT_UNIQUE + 1 });
  tables.vnodes.put([id, ROOT_VNODE], {
    type: 'dir', mode: MODE_DIR_DEFAULT, owner: 0, unique: ROOT_UNIQUE, linkCount: 2, length: 2, mtime: now, dataVersion: DATA_VERSION_FIRST, target: '',
  });
  const self = { vnode: ROOT_VNODE, unique: ROOT_UNIQUE };
  tables.dirents.put([id, ROOT_VNODE, DOT], self);
  tables.dirents.put([id, ROOT_VNODE, DOT_DOT], self);
}

/** A directory's entries changed: `delta` more of them, a new data version, mtime now. */
function changeDir(node: Vnode, delta: number, now: number): void {
  assert(node.type === 'dir', 'only a directory has entries');
  node.length += delta;
  assert(node.length >= 2, 'a directory keeps . and ..');
  node.dataVersion++;
  node.mtime = now;
}

function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > MODE_MAX) {
    throw new FsError('EINVAL', `A mode is permission bits from 0 to 0o7777; got ${String(mode)}.`, { mode });
  }
}

function checkOwner(owner: number): void {
  if (!isU32(owner)) throw new FsError('EINVAL', `An owner is a user id from 0 to 2^32 - 1; got ${String(owner)}.`, { owner });
}

function attrOf(f: Fid, v: Vnode): Attr {
  return { fid: f, type: v.type, mode: v.mode, owner: v.owner, length: v.length, mtime: v.mtime, linkCount: v.linkCount, dataVersion: v.dataVersion };
}

function volumeInfo(id: number, record: VolumeRecord): VolumeInfo {
  return { id, name: record.name, root: fid(id, ROOT_VNODE, ROOT_UNIQUE), nextVnode: record.nextVnode, nextUnique: record.nextUnique };
}

function describe(f: Fid): string {
  return `(${formatFid(f)})`;
}
