/**
 * Path resolution within one volume, in the manner of a Unix namei: a path is
 * absolute ('/a/b'), empty components and trailing slashes are ignored, '.'
 * and '..' are looked up like any name (every directory holds both, and the
 * root's '..' is itself), and a symbolic link met before the last component
 * is followed (its target read relative to the directory holding it, or
 * from the root when it starts with '/'). The last component is followed
 * only when asked (stat does, lstat, unlink, rename and link do not). More
 * than SYMLINK_FOLLOW_MAX links in one resolution is ELOOP, which also ends
 * a loop of links.
 *
 * Resolution reads only, so it needs no transaction; the path operations
 * (path-fs.ts) resolve inside their operation's transaction.
 */
import { FsError } from './errors.js';
import type { Fid } from './fid.js';
import type { FileServer } from './fs-ops.js';

/** As Linux's MAXSYMLINKS. */
export const SYMLINK_FOLLOW_MAX = 40;

/** The components of an absolute path; EINVAL for a relative one. */
export function splitPath(path: string): string[] {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new FsError('EINVAL', `"${String(path)}" is not an absolute path; paths start with '/'.`, { path });
  }
  return path.split('/').filter((c) => c !== '');
}

/** The fid `path` names in `volume`; with followLast, a symbolic link at the end is followed too. */
export function resolve(server: FileServer, volume: number, path: string, followLast: boolean): Fid {
  return walk(server, volume, splitPath(path), followLast);
}

/** The directory that holds the last component of `path`, and that component (EBUSY for the root, which has none). */
export function resolveParent(server: FileServer, volume: number, path: string): { dir: Fid; name: string } {
  const components = splitPath(path);
  const name = components.pop();
  if (name === undefined) throw new FsError('EBUSY', 'The volume root has no entry in any directory: it cannot be created, removed or renamed.', { path });
  return { dir: walk(server, volume, components, true), name };
}

function walk(server: FileServer, volume: number, components: string[], followLast: boolean): Fid {
  const root = server.root(volume);
  let at = root;
  const queue = components.slice();
  let followCount = 0;
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const next = server.lookup(at, name);
    const last = queue.length === 0;
    if (last && !followLast) return next;
    const attr = server.getattr(next);
    if (attr.type !== 'symlink') {
      at = next;
      continue;
    }
    followCount++;
    if (followCount > SYMLINK_FOLLOW_MAX) {
      throw new FsError('ELOOP', `More than ${SYMLINK_FOLLOW_MAX} symbolic links while resolving; a link may point at itself.`, { followCount });
    }
    const target = server.readlink(next);
    if (target.startsWith('/')) at = root;
    queue.unshift(...target.split('/').filter((c) => c !== ''));
  }
  return at;
}
