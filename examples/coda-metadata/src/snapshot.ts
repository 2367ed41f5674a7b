/**
 * Snapshot: the whole stored state of the file server as plain sorted arrays,
 * for comparing the store with a model (the tests' in-memory file server) and
 * a recovered store with the state after a prefix of operations. Two states
 * are equal if and only if their snapshots are deeply equal.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Tables } from './tables.js';
import type { Vnode } from './vnode-layout.js';
import type { VolumeRecord } from './volume-layout.js';

export interface Snapshot {
  /** [volume id, record], by id. */
  readonly volumes: [number, VolumeRecord][];
  /** [volume, vnode, record], by volume then vnode. */
  readonly vnodes: [number, number, Vnode][];
  /** [volume, directory vnode, name, vnode, unique], by volume, directory, then name in UTF-8 byte order. */
  readonly entries: [number, number, string, number, number][];
  /** [volume, vnode] of free vnode numbers, in order. */
  readonly free: [number, number][];
}

export function snapshot(tables: Tables): Snapshot {
  return {
    volumes: [...tables.volumes.range()].map(([id, record]) => [id, record]),
    vnodes: [...tables.vnodes.range()].map(([[volume, vnode], record]) => [volume, vnode, record]),
    entries: [...tables.dirents.range()].map(([[volume, dir, name], target]) => [volume, dir, name, target.vnode, target.unique]),
    free: [...tables.free.keys()].map(([volume, vnode]) => [volume, vnode]),
  };
}

/** The first difference between two snapshots, in words, or null when they are equal. */
export function snapshotDifference(actual: Snapshot, expected: Snapshot): string | null {
  for (const part of ['volumes', 'vnodes', 'entries', 'free'] as const) {
    const a: unknown[] = actual[part];
    const b: unknown[] = expected[part];
    const count = Math.max(a.length, b.length);
    for (let i = 0; i < count; i++) {
      if (!isDeepStrictEqual(a[i], b[i])) return `${part}[${i}]: ${JSON.stringify(a[i])} but expected ${JSON.stringify(b[i])}`;
    }
  }
  return null;
}
