/**
 * The model: a plain in-memory file server of one volume with the same
 * rules as the stored one (fs-ops.ts, path.ts), written the obvious way:
 * a Map of vnodes, each directory a Map of names. Tests run the same
 * operations on both and compare outcomes and snapshots. It shares only the
 * name checks (names.ts) and the error class with the code under test.
 */
import { FsError } from '../src/errors.js';
import type { Fid } from '../src/fid.js';
import type { Attr, CreateAttrs, SetAttrs } from '../src/fs-ops.js';
import { DATA_VERSION_FIRST, FIRST_VOLUME_ID, FIRST_VOLUME_NAME, MODE_DIR_DEFAULT, MODE_FILE_DEFAULT, MODE_SYMLINK } from '../src/fs-ops.js';
import { checkEntryName, checkLookupName, checkTarget } from '../src/names.js';
import type { Namespace } from '../src/path-fs.js';
import { SYMLINK_FOLLOW_MAX } from '../src/path.js';
import type { Snapshot } from '../src/snapshot.js';
import type { Vnode, VnodeType } from '../src/vnode-layout.js';

interface Node extends Vnode {
  /** Directories: name -> vnode number, '.' and '..' included. */
  entries?: Map<string, number>;
}

const VOLUME = FIRST_VOLUME_ID;

export class ModelFs implements Namespace {
  /** The clock the next operation reads. */
  now: number;
  private nextVnode = 2;
  private nextUnique = 2;
  private readonly nodes = new Map<number, Node>();
  private readonly free = new Set<number>();

  constructor(now: number) {
    this.now = now;
    this.nodes.set(1, { ...newNode('dir', MODE_DIR_DEFAULT, 0, 1, now), entries: new Map([['.', 1], ['..', 1]]) });
  }

  clone(): ModelFs {
    const copy = new ModelFs(this.now);
    copy.nextVnode = this.nextVnode;
    copy.nextUnique = this.nextUnique;
    copy.nodes.clear();
    for (const [n, node] of this.nodes) copy.nodes.set(n, { ...node, entries: node.entries === undefined ? undefined : new Map(node.entries) });
    for (const n of this.free) copy.free.add(n);
    return copy;
  }

  mkdir(path: string, attrs: CreateAttrs = {}): Fid {
    return this.make(path, 'dir', '', attrs);
  }

  create(path: string, attrs: CreateAttrs = {}): Fid {
    return this.make(path, 'file', '', attrs);
  }

  symlink(target: string, path: string, attrs: CreateAttrs = {}): Fid {
    const { dir, name } = this.parentOf(path);
    checkEntryName(name);
    checkTarget(target);
    return this.makeIn(dir, name, 'symlink', target, attrs);
  }

  link(existing: string, path: string): void {
    const target = this.walk(existing, false);
    const { dir, name } = this.parentOf(path);
    checkEntryName(name);
    const d = this.dir(dir);
    if (d.entries!.has(name)) throw new FsError('EEXIST', 'exists', {});
    const t = this.nodes.get(target)!;
    if (t.type === 'dir') throw new FsError('EPERM', 'directory', {});
    t.linkCount++;
    d.entries!.set(name, target);
    this.changed(d, +1);
  }

  unlink(path: string): void {
    const { dir, name } = this.parentOf(path);
    checkEntryName(name);
    const d = this.dir(dir);
    const n = d.entries!.get(name);
    if (n === undefined) throw new FsError('ENOENT', 'no entry', {});
    const node = this.nodes.get(n)!;
    if (node.type === 'dir') throw new FsError('EISDIR', 'directory', {});
    d.entries!.delete(name);
    this.dropLink(n);
    this.changed(d, -1);
  }

  rmdir(path: string): void {
    const { dir, name } = this.parentOf(path);
    checkEntryName(name);
    const d = this.dir(dir);
    const n = d.entries!.get(name);
    if (n === undefined) throw new FsError('ENOENT', 'no entry', {});
    const node = this.nodes.get(n)!;
    if (node.type !== 'dir') throw new FsError('ENOTDIR', 'not a directory', {});
    if (node.entries!.size > 2) throw new FsError('ENOTEMPTY', 'not empty', {});
    d.entries!.delete(name);
    this.removeDir(d, n);
    this.changed(d, -1);
  }

  rename(from: string, to: string): void {
    const source = this.parentOf(from);
    const target = this.parentOf(to);
    checkEntryName(source.name);
    checkEntryName(target.name);
    const fromDir = this.dir(source.dir);
    const toDir = this.dir(target.dir);
    const moved = fromDir.entries!.get(source.name);
    if (moved === undefined) throw new FsError('ENOENT', 'no entry', {});
    const movedNode = this.nodes.get(moved)!;
    const existing = toDir.entries!.get(target.name);
    if (existing === moved) return;
    if (movedNode.type === 'dir') {
      // Is the target directory the moved one or below it?
      for (let at = target.dir; ; at = this.nodes.get(at)!.entries!.get('..')!) {
        if (at === moved) throw new FsError('EINVAL', 'into itself', {});
        if (at === 1) break;
      }
    }
    const existingNode = existing === undefined ? undefined : this.nodes.get(existing)!;
    if (existingNode !== undefined) {
      if (movedNode.type === 'dir' && existingNode.type !== 'dir') throw new FsError('ENOTDIR', 'not a directory', {});
      if (movedNode.type !== 'dir' && existingNode.type === 'dir') throw new FsError('EISDIR', 'a directory', {});
      if (existingNode.type === 'dir' && existingNode.entries!.size > 2) throw new FsError('ENOTEMPTY', 'not empty', {});
      if (existingNode.type === 'dir') this.removeDir(toDir, existing!);
      else this.dropLink(existing!);
    }
    toDir.entries!.set(target.name, moved);
    fromDir.entries!.delete(source.name);
    const sameDir = source.dir === target.dir;
    if (movedNode.type === 'dir' && !sameDir) {
      movedNode.entries!.set('..', target.dir);
      fromDir.linkCount--;
      toDir.linkCount++;
      this.changed(movedNode, 0);
    }
    this.changed(fromDir, -1);
    if (!sameDir) this.changed(toDir, 0);
    if (existing === undefined) toDir.length++;
  }

  setattr(path: string, attrs: SetAttrs): Attr {
    const n = this.walk(path, true);
    const node = this.nodes.get(n)!;
    const { mode, owner, length, mtime } = attrs;
    if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)) throw new FsError('EINVAL', 'mode', {});
    if (owner !== undefined && (!Number.isInteger(owner) || owner < 0 || owner > 0xffffffff)) throw new FsError('EINVAL', 'owner', {});
    if (length !== undefined) {
      if (!Number.isSafeInteger(length) || length < 0) throw new FsError('EINVAL', 'length', {});
      if (node.type === 'dir') throw new FsError('EISDIR', 'directory', {});
      if (node.type === 'symlink') throw new FsError('EINVAL', 'symlink', {});
    }
    if (mtime !== undefined && (!Number.isSafeInteger(mtime) || mtime < 0)) throw new FsError('EINVAL', 'mtime', {});
    if (mode !== undefined) node.mode = mode;
    if (owner !== undefined) node.owner = owner;
    if (length !== undefined && length !== node.length) {
      node.length = length;
      node.dataVersion++;
      node.mtime = this.now;
    }
    if (mtime !== undefined) node.mtime = mtime;
    return this.attr(n);
  }

  /** The fid `path` names, or the FsError code. */
  stat(path: string, followLast = true): Attr {
    return this.attr(this.walk(path, followLast));
  }

  /** Names in the directory at `path`, without '.' and '..', in byte order. */
  readdir(path: string): string[] {
    const d = this.dir(this.walk(path, true));
    return sortNames([...d.entries!.keys()].filter((n) => n !== '.' && n !== '..'));
  }

  snapshot(): Snapshot {
    const vnodes: Snapshot['vnodes'] = [];
    const entries: Snapshot['entries'] = [];
    for (const n of [...this.nodes.keys()].sort((a, b) => a - b)) {
      const { entries: names, ...record } = this.nodes.get(n)!;
      vnodes.push([VOLUME, n, record]);
      if (names === undefined) continue;
      for (const name of sortNames([...names.keys()])) {
        const target = names.get(name)!;
        entries.push([VOLUME, n, name, target, this.nodes.get(target)!.unique]);
      }
    }
    return {
      volumes: [[VOLUME, { name: FIRST_VOLUME_NAME, nextVnode: this.nextVnode, nextUnique: this.nextUnique }]],
      vnodes,
      entries,
      free: [...this.free].sort((a, b) => a - b).map((n) => [VOLUME, n]),
    };
  }

  // ---------------------------------------------------------------- private

  private make(path: string, type: VnodeType, target: string, attrs: CreateAttrs): Fid {
    const { dir, name } = this.parentOf(path);
    return this.makeIn(dir, name, type, target, attrs);
  }

  private makeIn(dir: number, name: string, type: VnodeType, target: string, attrs: CreateAttrs): Fid {
    checkEntryName(name);
    const d = this.dir(dir);
    const mode = attrs.mode ?? (type === 'dir' ? MODE_DIR_DEFAULT : type === 'file' ? MODE_FILE_DEFAULT : MODE_SYMLINK);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new FsError('EINVAL', 'mode', {});
    const owner = attrs.owner ?? 0;
    if (!Number.isInteger(owner) || owner < 0 || owner > 0xffffffff) throw new FsError('EINVAL', 'owner', {});
    if (d.entries!.has(name)) throw new FsError('EEXIST', 'exists', {});
    let n: number;
    if (this.free.size > 0) {
      n = Math.min(...this.free);
      this.free.delete(n);
    } else {
      n = this.nextVnode++;
    }
    const unique = this.nextUnique++;
    const node: Node = newNode(type, mode, owner, unique, this.now);
    if (type === 'symlink') {
      node.target = target;
      node.length = Buffer.byteLength(target, 'utf8');
    }
    if (type === 'dir') {
      node.entries = new Map([['.', n], ['..', dir]]);
      d.linkCount++;
    }
    this.nodes.set(n, node);
    d.entries!.set(name, n);
    this.changed(d, +1);
    return { volume: VOLUME, vnode: n, unique };
  }

  private dropLink(n: number): void {
    const node = this.nodes.get(n)!;
    node.linkCount--;
    if (node.linkCount === 0) this.release(n);
  }

  private removeDir(parent: Node, n: number): void {
    parent.linkCount--;
    this.release(n);
  }

  private release(n: number): void {
    this.nodes.delete(n);
    this.free.add(n);
  }

  private changed(d: Node, delta: number): void {
    d.length += delta;
    d.dataVersion++;
    d.mtime = this.now;
  }

  private dir(n: number): Node {
    const node = this.nodes.get(n)!;
    if (node.type !== 'dir') throw new FsError('ENOTDIR', 'not a directory', {});
    return node;
  }

  private attr(n: number): Attr {
    const node = this.nodes.get(n)!;
    return {
      fid: { volume: VOLUME, vnode: n, unique: node.unique },
      type: node.type, mode: node.mode, owner: node.owner, length: node.length, mtime: node.mtime, linkCount: node.linkCount, dataVersion: node.dataVersion,
    };
  }

  private parentOf(path: string): { dir: number; name: string } {
    const components = split(path);
    const name = components.pop();
    if (name === undefined) throw new FsError('EBUSY', 'root', {});
    return { dir: this.walkComponents(components, true), name };
  }

  private walk(path: string, followLast: boolean): number {
    return this.walkComponents(split(path), followLast);
  }

  private walkComponents(components: string[], followLast: boolean): number {
    let at = 1;
    let follows = 0;
    const queue = components.slice();
    while (queue.length > 0) {
      const name = queue.shift()!;
      checkLookupName(name);
      const next = this.dir(at).entries!.get(name);
      if (next === undefined) throw new FsError('ENOENT', 'no entry', {});
      const node = this.nodes.get(next)!;
      if (queue.length === 0 && !followLast) return next;
      if (node.type !== 'symlink') {
        at = next;
        continue;
      }
      if (++follows > SYMLINK_FOLLOW_MAX) throw new FsError('ELOOP', 'loop', {});
      if (node.target.startsWith('/')) at = 1;
      queue.unshift(...node.target.split('/').filter((c) => c !== ''));
    }
    return at;
  }
}

function newNode(type: VnodeType, mode: number, owner: number, unique: number, now: number): Node {
  return { type, mode, owner, unique, linkCount: type === 'dir' ? 2 : 1, length: type === 'dir' ? 2 : 0, mtime: now, dataVersion: DATA_VERSION_FIRST, target: '' };
}

function split(path: string): string[] {
  if (!path.startsWith('/')) throw new FsError('EINVAL', 'relative', {});
  return path.split('/').filter((c) => c !== '');
}

function sortNames(names: string[]): string[] {
  return names.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
