/** Every operation, its effects on attributes and link counts, and each of its errors. */
import { SimStorage } from '@rvm/core/testing';
import { describe, expect, it } from 'vitest';
import { FsError } from '../src/errors.js';
import { fid } from '../src/fid.js';
import { PathFs } from '../src/path-fs.js';
import { snapshot } from '../src/snapshot.js';
import { codeOf, expectClean, openWorld } from './support.js';

function names(fs: PathFs, path: string): string[] {
  return fs.readdir(path).map((e) => e.name);
}

describe('create, mkdir, symlink', () => {
  it('mkdir makes an empty directory with . and .., and counts it in its parent', () => {
    const { fs, server, clock } = openWorld();
    clock.now = 500;
    const a = fs.mkdir('/a', { mode: 0o700, owner: 7 });
    expect(a).toEqual(fid(1, 2, 2));
    expect(fs.stat('/a')).toMatchObject({ type: 'dir', mode: 0o700, owner: 7, length: 2, linkCount: 2, mtime: 500, dataVersion: 1 });
    expect(server.lookup(a, '.')).toEqual(a);
    expect(server.lookup(a, '..')).toEqual(server.root(1));
    // The root gained an entry (length 3), a link (a's '..') and a data version.
    expect(fs.stat('/')).toMatchObject({ length: 3, linkCount: 3, dataVersion: 2, mtime: 500 });
    expect(names(fs, '/')).toEqual(['a']);
    expect(names(fs, '/a')).toEqual([]);
    expectClean(server);
  });

  it('create makes an empty file with one link; defaults for mode and owner', () => {
    const { fs, server } = openWorld();
    fs.create('/f');
    expect(fs.stat('/f')).toMatchObject({ type: 'file', mode: 0o644, owner: 0, length: 0, linkCount: 1 });
    expect(fs.stat('/')).toMatchObject({ length: 3, linkCount: 2 });
    expectClean(server);
  });

  it('symlink stores its target; paths through it resolve, the last component only when followed', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/a');
    fs.mkdir('/a/b');
    fs.symlink('/a', '/abs');
    fs.symlink('a/b', '/rel');
    fs.symlink('..', '/a/b/up');
    expect(fs.lstat('/abs')).toMatchObject({ type: 'symlink', mode: 0o777, length: 2 });
    expect(fs.readlink('/rel')).toBe('a/b');
    expect(fs.stat('/abs').fid).toEqual(fs.stat('/a').fid);
    expect(fs.resolve('/abs/b')).toEqual(fs.resolve('/a/b'));
    expect(fs.resolve('/rel/up')).toEqual(fs.resolve('/a'));
    expect(fs.resolve('/a/b/../..')).toEqual(server.root(1));
    expect(fs.resolve('/..')).toEqual(server.root(1));
    fs.create('/abs/b/f');
    expect(names(fs, '/a/b')).toEqual(['f', 'up']);
    expectClean(server);
  });

  it('refuses a taken name, a missing or non-directory parent, bad names, modes and paths', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/a');
    fs.create('/f');
    const before = snapshot(server.tables);
    expect(codeOf(() => fs.mkdir('/a'))).toBe('EEXIST');
    expect(codeOf(() => fs.create('/a'))).toBe('EEXIST');
    expect(codeOf(() => fs.symlink('/x', '/f'))).toBe('EEXIST');
    expect(codeOf(() => fs.mkdir('/missing/b'))).toBe('ENOENT');
    expect(codeOf(() => fs.create('/f/g'))).toBe('ENOTDIR');
    expect(codeOf(() => fs.mkdir('/a/.'))).toBe('EINVAL');
    expect(codeOf(() => fs.mkdir('/a/..'))).toBe('EINVAL');
    expect(codeOf(() => fs.mkdir('/'))).toBe('EBUSY');
    expect(codeOf(() => fs.mkdir('a'))).toBe('EINVAL');
    expect(codeOf(() => fs.mkdir('/b', { mode: 0o10000 }))).toBe('EINVAL');
    expect(codeOf(() => fs.create('/b', { owner: -1 }))).toBe('EINVAL');
    expect(codeOf(() => fs.create(`/${'x'.repeat(256)}`))).toBe('ENAMETOOLONG');
    expect(codeOf(() => fs.create('/\0'))).toBe('EINVAL');
    expect(codeOf(() => fs.symlink('x'.repeat(1025), '/s'))).toBe('ENAMETOOLONG');
    expect(codeOf(() => fs.symlink('', '/s'))).toBe('EINVAL');
    fs.create(`/${'é'.repeat(127)}`); // 254 bytes of UTF-8 fit
    fs.unlink(`/${'é'.repeat(127)}`);
    // Nothing changed but the vnode number and uniquifier the create used.
    expect(snapshot(server.tables).entries).toEqual(before.entries);
    expectClean(server);
  });

  it('a loop of symbolic links is ELOOP; a link through a file is ENOTDIR', () => {
    const { fs } = openWorld();
    fs.symlink('/l2', '/l1');
    fs.symlink('/l1', '/l2');
    fs.symlink('self', '/self');
    fs.create('/f');
    fs.symlink('/f', '/tofile');
    expect(codeOf(() => fs.stat('/l1'))).toBe('ELOOP');
    expect(codeOf(() => fs.stat('/self'))).toBe('ELOOP');
    expect(codeOf(() => fs.create('/l1/x'))).toBe('ELOOP');
    expect(fs.lstat('/l1').type).toBe('symlink');
    expect(codeOf(() => fs.create('/tofile/x'))).toBe('ENOTDIR');
    expect(codeOf(() => fs.readlink('/f'))).toBe('EINVAL');
  });
});

describe('link and unlink', () => {
  it('link adds a name and a link; unlink removes them and frees the vnode with the last', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/d');
    const f = fs.create('/f');
    fs.link('/f', '/d/g');
    expect(fs.stat('/d/g')).toMatchObject({ fid: f, linkCount: 2 });
    expectClean(server);
    fs.unlink('/f');
    expect(fs.stat('/d/g')).toMatchObject({ fid: f, linkCount: 1 });
    expectClean(server);
    fs.unlink('/d/g');
    expect(codeOf(() => server.getattr(f))).toBe('ESTALE');
    expect(snapshot(server.tables).free).toEqual([[1, f.vnode]]);
    expectClean(server);
  });

  it('a freed vnode number is reused with a new uniquifier, so the old fid is stale', () => {
    const { fs, server } = openWorld();
    const old = fs.create('/f');
    fs.unlink('/f');
    const reused = fs.create('/g');
    expect(reused.vnode).toBe(old.vnode);
    expect(reused.unique).toBeGreaterThan(old.unique);
    expect(codeOf(() => server.getattr(old))).toBe('ESTALE');
    expect(codeOf(() => server.link(server.root(1), 'h', old))).toBe('ESTALE');
    expect(server.getattr(reused).fid).toEqual(reused);
    expectClean(server);
  });

  it('link does not follow a symbolic link at the end of the existing path', () => {
    const { fs, server } = openWorld();
    fs.create('/f');
    const s = fs.symlink('/f', '/s');
    fs.link('/s', '/s2');
    expect(fs.lstat('/s2')).toMatchObject({ fid: s, linkCount: 2 });
    expectClean(server);
  });

  it('refuses links to directories, taken names, missing sources; unlink of directories and missing names', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/d');
    fs.create('/f');
    expect(codeOf(() => fs.link('/d', '/d2'))).toBe('EPERM');
    expect(codeOf(() => fs.link('/f', '/d'))).toBe('EEXIST');
    expect(codeOf(() => fs.link('/nope', '/g'))).toBe('ENOENT');
    expect(codeOf(() => fs.link('/f', '/d/.'))).toBe('EINVAL');
    expect(codeOf(() => fs.unlink('/d'))).toBe('EISDIR');
    expect(codeOf(() => fs.unlink('/nope'))).toBe('ENOENT');
    expect(codeOf(() => fs.unlink('/'))).toBe('EBUSY');
    expect(codeOf(() => fs.unlink('/d/..'))).toBe('EINVAL');
    expectClean(server);
  });

  it('refuses a link across volumes (EXDEV)', () => {
    const { fs, server } = openWorld();
    const f = fs.create('/f');
    const other = server.createVolume('u.jan');
    expect(codeOf(() => server.link(other.root, 'f', f))).toBe('EXDEV');
    expect(codeOf(() => server.rename(server.root(1), 'f', other.root, 'f'))).toBe('EXDEV');
    expectClean(server);
  });
});

describe('rmdir', () => {
  it('removes an empty directory and its link in the parent', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/a');
    const b = fs.mkdir('/a/b');
    expect(fs.stat('/a').linkCount).toBe(3);
    fs.rmdir('/a/b');
    expect(fs.stat('/a')).toMatchObject({ linkCount: 2, length: 2 });
    expect(codeOf(() => server.getattr(b))).toBe('ESTALE');
    expectClean(server);
  });

  it('refuses a non-empty directory, a non-directory, a missing name and the root', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/a');
    fs.create('/a/f');
    expect(codeOf(() => fs.rmdir('/a'))).toBe('ENOTEMPTY');
    expect(codeOf(() => fs.rmdir('/a/f'))).toBe('ENOTDIR');
    expect(codeOf(() => fs.rmdir('/a/nope'))).toBe('ENOENT');
    expect(codeOf(() => fs.rmdir('/'))).toBe('EBUSY');
    expect(codeOf(() => fs.rmdir('/a/.'))).toBe('EINVAL');
    fs.unlink('/a/f');
    fs.rmdir('/a');
    expect(names(fs, '/')).toEqual([]);
    expectClean(server);
  });
});

describe('rename', () => {
  it('renames within a directory', () => {
    const { fs, server } = openWorld();
    const f = fs.create('/f');
    fs.rename('/f', '/g');
    expect(names(fs, '/')).toEqual(['g']);
    expect(fs.stat('/g').fid).toEqual(f);
    expect(fs.stat('/')).toMatchObject({ length: 3 });
    expectClean(server);
  });

  it('moves a directory across directories: its .. and both link counts follow', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/a');
    fs.mkdir('/b');
    const c = fs.mkdir('/a/c');
    fs.create('/a/c/f');
    fs.rename('/a/c', '/b/c2');
    expect(server.lookup(c, '..')).toEqual(fs.resolve('/b'));
    expect(fs.stat('/a')).toMatchObject({ linkCount: 2, length: 2 });
    expect(fs.stat('/b')).toMatchObject({ linkCount: 3, length: 3 });
    expect(names(fs, '/b/c2')).toEqual(['f']);
    expect(fs.resolve('/b/c2/..')).toEqual(fs.resolve('/b'));
    expectClean(server);
  });

  it('replaces an existing file (freeing it) and an existing empty directory', () => {
    const { fs, server } = openWorld();
    fs.create('/f');
    const g = fs.create('/g');
    fs.rename('/f', '/g');
    expect(codeOf(() => server.getattr(g))).toBe('ESTALE');
    expect(names(fs, '/')).toEqual(['g']);
    expectClean(server);
    fs.mkdir('/a');
    fs.mkdir('/b');
    fs.mkdir('/b/x');
    const empty = fs.mkdir('/a/x');
    fs.rename('/b/x', '/a/x');
    expect(codeOf(() => server.getattr(empty))).toBe('ESTALE');
    expect(fs.stat('/a')).toMatchObject({ linkCount: 3, length: 3 });
    expect(fs.stat('/b')).toMatchObject({ linkCount: 2, length: 2 });
    expectClean(server);
  });

  it('replacing one of a file\'s names keeps the file while it has another', () => {
    const { fs, server } = openWorld();
    const f = fs.create('/f');
    fs.link('/f', '/f2');
    fs.create('/g');
    fs.rename('/g', '/f2');
    expect(fs.stat('/f')).toMatchObject({ fid: f, linkCount: 1 });
    expectClean(server);
  });

  it('is a no-op onto itself or onto another name of the same file', () => {
    const { fs, server } = openWorld();
    fs.create('/f');
    fs.link('/f', '/g');
    const before = snapshot(server.tables);
    fs.rename('/f', '/f');
    fs.rename('/f', '/g');
    expect(snapshot(server.tables)).toEqual(before);
  });

  it('refuses to move a directory into itself or below itself (EINVAL)', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/a');
    fs.mkdir('/a/b');
    fs.symlink('/a/b', '/link');
    expect(codeOf(() => fs.rename('/a', '/a/x'))).toBe('EINVAL');
    expect(codeOf(() => fs.rename('/a', '/a/b/x'))).toBe('EINVAL');
    expect(codeOf(() => fs.rename('/a', '/link/x'))).toBe('EINVAL');
    expect(codeOf(() => fs.rename('/a/b', '/a/b/c'))).toBe('EINVAL');
    fs.rename('/a/b', '/b'); // up is fine
    expectClean(server);
  });

  it('refuses wrong kinds over each other, a non-empty target, a missing source, and the root', () => {
    const { fs, server } = openWorld();
    fs.mkdir('/d');
    fs.mkdir('/full');
    fs.create('/full/x');
    fs.create('/f');
    expect(codeOf(() => fs.rename('/d', '/f'))).toBe('ENOTDIR');
    expect(codeOf(() => fs.rename('/f', '/d'))).toBe('EISDIR');
    expect(codeOf(() => fs.rename('/d', '/full'))).toBe('ENOTEMPTY');
    expect(codeOf(() => fs.rename('/nope', '/x'))).toBe('ENOENT');
    expect(codeOf(() => fs.rename('/f', '/nope/x'))).toBe('ENOENT');
    expect(codeOf(() => fs.rename('/', '/x'))).toBe('EBUSY');
    expect(codeOf(() => fs.rename('/f', '/'))).toBe('EBUSY');
    expect(codeOf(() => fs.rename('/d/..', '/x'))).toBe('EINVAL');
    expect(codeOf(() => fs.rename('/f', '/d/.'))).toBe('EINVAL');
    expectClean(server);
  });
});

describe('setattr, getattr, lookup, readdir', () => {
  it('changes mode and owner; a new length bumps the data version and mtime; an explicit mtime wins', () => {
    const { fs, server, clock } = openWorld();
    clock.now = 10;
    fs.create('/f');
    clock.now = 20;
    expect(fs.setattr('/f', { mode: 0o600, owner: 1000 })).toMatchObject({ mode: 0o600, owner: 1000, dataVersion: 1, mtime: 10 });
    expect(fs.setattr('/f', { length: 4096 })).toMatchObject({ length: 4096, dataVersion: 2, mtime: 20 });
    expect(fs.setattr('/f', { length: 4096 })).toMatchObject({ dataVersion: 2 });
    expect(fs.setattr('/f', { mtime: 5 })).toMatchObject({ mtime: 5 });
    expect(fs.stat('/f')).toMatchObject({ mode: 0o600, owner: 1000, length: 4096, dataVersion: 2, mtime: 5 });
    expectClean(server);
  });

  it('follows a symbolic link; refuses a length for directories and links, and bad values', () => {
    const { fs } = openWorld();
    fs.mkdir('/d');
    fs.create('/f');
    fs.symlink('/f', '/s');
    expect(fs.setattr('/s', { mode: 0o400 }).fid).toEqual(fs.resolve('/f'));
    expect(codeOf(() => fs.setattr('/d', { length: 1 }))).toBe('EISDIR');
    expect(fs.setattr('/s', { length: 1 }).fid).toEqual(fs.resolve('/f'));
  });

  it('refuses a length for a symbolic link (lstat target) and out-of-range values', () => {
    const { fs, server } = openWorld();
    fs.create('/f');
    const s = fs.symlink('/f', '/s');
    expect(codeOf(() => server.setattr(s, { length: 1 }))).toBe('EINVAL');
    expect(codeOf(() => fs.setattr('/f', { length: -1 }))).toBe('EINVAL');
    expect(codeOf(() => fs.setattr('/f', { length: 1.5 }))).toBe('EINVAL');
    expect(codeOf(() => fs.setattr('/f', { mode: -1 }))).toBe('EINVAL');
    expect(codeOf(() => fs.setattr('/f', { owner: 2 ** 32 }))).toBe('EINVAL');
    expect(codeOf(() => fs.setattr('/f', { mtime: -5 }))).toBe('EINVAL');
    expect(codeOf(() => fs.setattr('/nope', { mode: 0 }))).toBe('ENOENT');
  });

  it('lookup and readdir by fid: ENOTDIR on a file, ENOENT for a missing name, names in byte order', () => {
    const { fs, server } = openWorld();
    const f = fs.create('/f');
    for (const n of ['b', 'a', 'Z', 'é', '-']) fs.create(`/${n}`);
    expect(names(fs, '/')).toEqual(['-', 'Z', 'a', 'b', 'f', 'é']);
    expect(codeOf(() => server.lookup(f, 'x'))).toBe('ENOTDIR');
    expect(codeOf(() => server.readdir(f))).toBe('ENOTDIR');
    expect(codeOf(() => server.lookup(server.root(1), 'x'))).toBe('ENOENT');
    expect(codeOf(() => server.lookup(server.root(1), 'a/b'))).toBe('EINVAL');
    expect(codeOf(() => server.getattr(fid(1, 999, 1)))).toBe('ESTALE');
    expect(codeOf(() => server.root(42))).toBe('ENOENT');
  });
});

describe('volumes', () => {
  it('creates volumes with their own roots and vnode numbering; refuses taken and bad names', () => {
    const { server } = openWorld();
    const jan = server.createVolume('u.jan');
    expect(jan).toMatchObject({ id: 2, name: 'u.jan', root: fid(2, 1, 1), nextVnode: 2 });
    const janFs = new PathFs(server, jan.id);
    expect(janFs.mkdir('/src')).toEqual(fid(2, 2, 2));
    expect(server.volumes().map((v) => v.name)).toEqual(['root', 'u.jan']);
    expect(server.volume('u.jan').id).toBe(2);
    expect(codeOf(() => server.createVolume('u.jan'))).toBe('EEXIST');
    expect(codeOf(() => server.createVolume('a/b'))).toBe('EINVAL');
    expect(codeOf(() => server.createVolume(''))).toBe('EINVAL');
    expect(codeOf(() => server.volume('nope'))).toBe('ENOENT');
    expectClean(server);
  });
});

describe('transactions', () => {
  it('each operation is one transaction; a failed one aborts and changes nothing', () => {
    const { fs, store, server } = openWorld();
    const counters = () => store.rvm.query().counters;
    const commits = counters().commits;
    fs.mkdir('/a');
    fs.rename('/a', '/b');
    expect(counters().commits - commits).toBe(2);
    const before = Buffer.from(store.segment.bytes);
    expect(codeOf(() => fs.mkdir('/b'))).toBe('EEXIST');
    expect(counters().commits - commits).toBe(2);
    expect(store.inTransaction).toBe(false);
    expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
    expectClean(server);
  });

  it('operations inside server.transaction commit or abort together', () => {
    const { fs, server } = openWorld();
    expect(() =>
      server.transaction(() => {
        fs.mkdir('/a');
        fs.create('/a/f');
        throw new FsError('EINVAL', 'changed my mind');
      }),
    ).toThrow(FsError);
    expect(names(fs, '/')).toEqual([]);
    server.transaction(() => {
      fs.mkdir('/a');
      fs.create('/a/f');
    });
    expect(names(fs, '/a')).toEqual(['f']);
    expectClean(server);
  });

  it('survives close and reopen unchanged', () => {
    const storage = new SimStorage();
    const first = openWorld(storage);
    first.fs.mkdir('/a');
    first.fs.create('/a/f');
    first.fs.symlink('/a/f', '/s');
    const before = snapshot(first.server.tables);
    first.store.close();
    const again = openWorld(storage);
    expect(snapshot(again.server.tables)).toEqual(before);
    again.store.verify();
    expectClean(again.server);
  });
});
