/**
 * fsck finds damage: each test breaks one invariant on purpose by writing
 * the trees directly (as a bug or a bad disk would), and checks that fsck
 * reports exactly the violations that damage implies, with their fields.
 */
import { rawCodec } from '@rvm/structs';
import { describe, expect, it } from 'vitest';
import { fsck, formatViolation } from '../src/fsck.js';
import type { Violation } from '../src/fsck.js';
import { VNODES_TREE } from '../src/tables.js';
import type { Tables } from '../src/tables.js';
import type { World } from './support.js';
import { expectClean, openWorld } from './support.js';

/** A small tree: / (vnode 1), /a (2), /a/b (3), /a/f (4), /g (5), and vnode 6 free after /tmp was removed. */
function sample(): World {
  const world = openWorld();
  const { fs } = world;
  fs.mkdir('/a');
  fs.mkdir('/a/b');
  fs.create('/a/f');
  fs.create('/g');
  fs.create('/tmp');
  fs.unlink('/tmp');
  expectClean(world.server);
  return world;
}

function damage(world: World, fn: (t: Tables) => void): Violation[] {
  world.store.transaction(() => fn(world.server.tables));
  return fsck(world.server.tables).violations;
}

function codes(violations: Violation[]): string[] {
  return violations.map((v) => v.code).sort();
}

/** Changes one vnode record. */
function edit(t: Tables, vnode: number, change: (v: NonNullable<ReturnType<Tables['vnodes']['get']>>) => void): void {
  const record = t.vnodes.get([1, vnode])!;
  change(record);
  t.vnodes.put([1, vnode], record);
}

describe('fsck', () => {
  it('is clean on a sound tree and counts what it read', () => {
    const report = fsck(sample().server.tables);
    expect(report).toMatchObject({ violations: [], volumeCount: 1, vnodeCount: 5, directoryCount: 3, entryCount: 10, freeCount: 1 });
  });

  it('reports an entry naming no live vnode (DANGLING_ENTRY)', () => {
    const world = sample();
    const violations = damage(world, (t) => {
      t.dirents.put([1, 2, 'ghost'], { vnode: 99, unique: 42 });
      edit(t, 2, (v) => v.length++);
    });
    expect(violations).toEqual([expect.objectContaining({ code: 'DANGLING_ENTRY', volume: 1, vnode: 2, name: 'ghost', actual: 99 })]);
  });

  it('reports an entry naming an earlier incarnation (STALE_ENTRY), and the vnode it no longer reaches', () => {
    const world = sample();
    const violations = damage(world, (t) => t.dirents.put([1, 1, 'g'], { vnode: 5, unique: 4 }));
    expect(codes(violations)).toEqual(['LINK_COUNT', 'ORPHAN', 'STALE_ENTRY']);
    expect(violations.find((v) => v.code === 'STALE_ENTRY')).toMatchObject({ vnode: 1, name: 'g', expected: 5, actual: 4 });
  });

  it('reports a wrong link count with what it should be (LINK_COUNT)', () => {
    const world = sample();
    const violations = damage(world, (t) => edit(t, 4, (v) => (v.linkCount = 3)));
    expect(violations).toEqual([expect.objectContaining({ code: 'LINK_COUNT', vnode: 4, expected: 1, actual: 3 })]);
    expect(formatViolation(violations[0]!)).toBe('LINK_COUNT (volume 1, vnode 4): Vnode 4 has link count 3 but 1 entries name it.');
  });

  it('reports a directory whose .. names the wrong directory (BAD_PARENT), and the link counts that follow', () => {
    const world = sample();
    const violations = damage(world, (t) => t.dirents.put([1, 3, '..'], { vnode: 1, unique: 1 }));
    expect(codes(violations)).toEqual(['BAD_PARENT', 'LINK_COUNT', 'LINK_COUNT']);
    expect(violations.find((v) => v.code === 'BAD_PARENT')).toMatchObject({ vnode: 3, name: '..', expected: 2, actual: 1 });
  });

  it('reports a missing . or one naming another directory (BAD_DOT)', () => {
    const world = sample();
    const violations = damage(world, (t) => {
      t.dirents.delete([1, 3, '.']);
      edit(t, 3, (v) => {
        v.length--;
        v.linkCount--;
      });
    });
    expect(violations).toEqual([expect.objectContaining({ code: 'BAD_DOT', vnode: 3, name: '.' })]);
  });

  it('reports a vnode no path reaches (ORPHAN)', () => {
    const world = sample();
    const violations = damage(world, (t) => {
      t.dirents.delete([1, 2, 'f']);
      edit(t, 2, (v) => v.length--);
      edit(t, 4, (v) => v.linkCount--);
    });
    expect(violations).toEqual([expect.objectContaining({ code: 'ORPHAN', vnode: 4 })]);
  });

  it('reports a cycle of directories and the second name it needs (CYCLE, DIRECTORY_HARD_LINK)', () => {
    const world = sample();
    const violations = damage(world, (t) => {
      // /a/b/up names /a: a directory inside itself.
      t.dirents.put([1, 3, 'up'], { vnode: 2, unique: 2 });
      edit(t, 3, (v) => v.length++);
      edit(t, 2, (v) => v.linkCount++);
    });
    expect(codes(violations)).toEqual(['CYCLE', 'DIRECTORY_HARD_LINK']);
    expect(violations.find((v) => v.code === 'CYCLE')).toMatchObject({ vnode: 3, name: 'up', actual: 2 });
  });

  it('reports a cycle cut off from the root as orphans and a cycle', () => {
    const world = sample();
    const violations = damage(world, (t) => {
      // Unlink /a from the root and make /a/b hold it: a and b contain each other, unreachable.
      t.dirents.delete([1, 1, 'a']);
      edit(t, 1, (v) => {
        v.length--;
        v.linkCount--;
      });
      t.dirents.put([1, 3, 'a'], { vnode: 2, unique: 2 });
      edit(t, 3, (v) => v.length++);
      t.dirents.put([1, 2, '..'], { vnode: 3, unique: 3 });
      edit(t, 3, (v) => v.linkCount++);
    });
    // Every count and parent is consistent: only the cycle and what hangs off it (a, b, a/f) are wrong.
    expect(codes(violations)).toEqual(['CYCLE', 'ORPHAN', 'ORPHAN', 'ORPHAN']);
    expect(violations.filter((v) => v.code === 'ORPHAN').map((v) => v.vnode)).toEqual([2, 3, 4]);
  });

  it('reports a wrong directory length (BAD_LENGTH)', () => {
    const world = sample();
    const violations = damage(world, (t) => edit(t, 1, (v) => (v.length = 7)));
    expect(violations).toEqual([expect.objectContaining({ code: 'BAD_LENGTH', vnode: 1, expected: 4, actual: 7 })]);
  });

  it('reports entries inside a file (ENTRY_IN_NON_DIRECTORY)', () => {
    const world = sample();
    const violations = damage(world, (t) => {
      t.dirents.put([1, 5, 'x'], { vnode: 4, unique: 4 });
      edit(t, 4, (v) => v.linkCount++);
    });
    expect(violations).toEqual([expect.objectContaining({ code: 'ENTRY_IN_NON_DIRECTORY', vnode: 5, name: 'x' })]);
  });

  it('reports vnode numbering errors (FREE_AND_LIVE, VNODE_LOST, FREE_BEYOND_NEXT, VNODE_BEYOND_NEXT, UNIQUE_BEYOND_NEXT)', () => {
    const world = sample();
    expect(damage(world, (t) => t.free.put([1, 4], null))).toEqual([expect.objectContaining({ code: 'FREE_AND_LIVE', vnode: 4 })]);
    const lost = sample();
    expect(damage(lost, (t) => t.free.delete([1, 6]))).toEqual([expect.objectContaining({ code: 'VNODE_LOST', vnode: 6 })]);
    const beyond = sample();
    expect(codes(damage(beyond, (t) => t.free.put([1, 50], null)))).toEqual(['FREE_BEYOND_NEXT']);
    const unique = sample();
    expect(codes(damage(unique, (t) => {
      const volume = t.volumes.get(1)!;
      t.volumes.put(1, { ...volume, nextVnode: 5, nextUnique: 5 });
    }))).toEqual(['FREE_BEYOND_NEXT', 'UNIQUE_BEYOND_NEXT', 'VNODE_BEYOND_NEXT']);
  });

  it('reports a record that does not decode (VNODE_UNREADABLE) and records of no volume (NO_VOLUME)', () => {
    const world = sample();
    const raw = world.store.btree(VNODES_TREE, { codec: rawCodec() });
    world.store.transaction(() => raw.put([1, 5], new Uint8Array([1, 9, 0])));
    const violations = fsck(world.server.tables).violations;
    expect(violations.filter((v) => v.code === 'VNODE_UNREADABLE')).toEqual([expect.objectContaining({ vnode: 5 })]);
    expect(codes(violations)).toEqual(['DANGLING_ENTRY', 'VNODE_LOST', 'VNODE_UNREADABLE']);
    const strays = sample();
    expect(codes(damage(strays, (t) => t.free.put([9, 2], null)))).toEqual(['NO_VOLUME']);
  });

  it('reports a missing root (ROOT_MISSING) and everything it strands', () => {
    const world = sample();
    const violations = damage(world, (t) => t.vnodes.delete([1, 1]));
    expect(violations[0]).toMatchObject({ code: 'VNODE_LOST', vnode: 1 });
    expect(codes(violations)).toContain('ROOT_MISSING');
    expect(violations.filter((v) => v.code === 'ORPHAN').map((v) => v.vnode)).toEqual([2, 3, 4, 5]);
  });
});
