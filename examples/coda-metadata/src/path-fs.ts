/**
 * The file server by path, for one volume: what the shell, the workload and
 * the tests call. Each mutation resolves its paths and runs its fid
 * operation inside one transaction, so it is atomic as a whole.
 */
import type { Fid } from './fid.js';
import type { Attr, CreateAttrs, DirEntry, FileServer, SetAttrs } from './fs-ops.js';
import { resolve, resolveParent } from './path.js';

/** The mutations by path; PathFs implements it, and so does the tests' in-memory model. */
export interface Namespace {
  mkdir(path: string, attrs?: CreateAttrs): Fid;
  create(path: string, attrs?: CreateAttrs): Fid;
  symlink(target: string, path: string, attrs?: CreateAttrs): Fid;
  /** A new name `path` for what `existing` names (a symbolic link at its end is not followed, as in link(2)). */
  link(existing: string, path: string): void;
  unlink(path: string): void;
  rmdir(path: string): void;
  rename(from: string, to: string): void;
  /** Follows a symbolic link at the end, as chmod(2) does. */
  setattr(path: string, attrs: SetAttrs): Attr;
}

export class PathFs implements Namespace {
  constructor(
    readonly server: FileServer,
    readonly volume: number,
  ) {}

  mkdir(path: string, attrs?: CreateAttrs): Fid {
    return this.server.transaction(() => {
      const { dir, name } = resolveParent(this.server, this.volume, path);
      return this.server.mkdir(dir, name, attrs);
    });
  }

  create(path: string, attrs?: CreateAttrs): Fid {
    return this.server.transaction(() => {
      const { dir, name } = resolveParent(this.server, this.volume, path);
      return this.server.create(dir, name, attrs);
    });
  }

  symlink(target: string, path: string, attrs?: CreateAttrs): Fid {
    return this.server.transaction(() => {
      const { dir, name } = resolveParent(this.server, this.volume, path);
      return this.server.symlink(dir, name, target, attrs);
    });
  }

  link(existing: string, path: string): void {
    this.server.transaction(() => {
      const target = resolve(this.server, this.volume, existing, false);
      const { dir, name } = resolveParent(this.server, this.volume, path);
      this.server.link(dir, name, target);
    });
  }

  unlink(path: string): void {
    this.server.transaction(() => {
      const { dir, name } = resolveParent(this.server, this.volume, path);
      this.server.unlink(dir, name);
    });
  }

  rmdir(path: string): void {
    this.server.transaction(() => {
      const { dir, name } = resolveParent(this.server, this.volume, path);
      this.server.rmdir(dir, name);
    });
  }

  rename(from: string, to: string): void {
    this.server.transaction(() => {
      const source = resolveParent(this.server, this.volume, from);
      const target = resolveParent(this.server, this.volume, to);
      this.server.rename(source.dir, source.name, target.dir, target.name);
    });
  }

  setattr(path: string, attrs: SetAttrs): Attr {
    return this.server.transaction(() => this.server.setattr(resolve(this.server, this.volume, path, true), attrs));
  }

  // ----------------------------------------------------------------- reads

  resolve(path: string, followLast = true): Fid {
    return resolve(this.server, this.volume, path, followLast);
  }

  stat(path: string): Attr {
    return this.server.getattr(this.resolve(path, true));
  }

  lstat(path: string): Attr {
    return this.server.getattr(this.resolve(path, false));
  }

  readdir(path: string): DirEntry[] {
    return this.server.readdir(this.resolve(path, true));
  }

  readlink(path: string): string {
    return this.server.readlink(this.resolve(path, false));
  }
}
