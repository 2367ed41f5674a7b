/**
 * Schema versions and migrations. The version of a collection is stored in
 * the same segment as its records, in the B-tree META under
 * "<collection>.version", and changes only in the transaction that rewrites
 * the records and indexes to match it.
 *
 * Opening a collection at version T when the store holds version S:
 *
 *   stored S            records exist   what open does
 *   none                no              create the trees and store T: one transaction
 *   none                yes             VERSION_MISSING (not written by this library)
 *   S > T               -               VERSION_TOO_NEW (open it with newer code)
 *   S = T               -               nothing
 *   S < T               -               steps S->S+1, ..., T-1->T, one transaction each
 *
 * One step reads every record with version S's schema (validating it), converts
 * it with version S+1's migrate(), writes it with version S+1's schema
 * (validating it), rebuilds every index of S+1, drops the indexes S+1 no
 * longer has, and stores S+1, all in one flush transaction. RVM commits a
 * transaction whole or not at all, also across a crash, so after any crash the
 * store holds version S with every record, index and the marker of S, or S+1
 * with all of S+1's: never a mix. A crashed migration simply runs again at the
 * next open. A record that fails a schema aborts the step, and the store stays
 * at S.
 *
 * Cost: a step holds the collection in memory and logs every record twice
 * (old and new bytes), so one transaction must stay under RVM's 512 MiB limit
 * (LIMIT_EXCEEDED): see the README's caveats for larger collections.
 */
import { encodeKey, Store } from '@rvm/structs';
import type { BTree, Key } from '@rvm/structs';
import type { IndexDefinition, VersionDefinition, VersionList } from './definition.js';
import { RecordsError } from './records-error.js';

export const META = 'meta';

export interface MigrationReport {
  readonly from: number;
  readonly to: number;
  readonly recordCount: number;
  readonly durationMs: number;
}

export function versionKey(collection: string): string {
  return `${collection}.version`;
}

export function indexTreeName(collection: string, index: string): string {
  return `${collection}.by-${index}`;
}

/** The version stored for `collection`, or undefined when none is. Creates nothing. */
export function storedVersion(store: Store, collection: string): number | undefined {
  if (!store.has(META)) return undefined;
  return store.btree<string, number>(META).get(versionKey(collection));
}

/** Brings `collection` to version `target` (see the table above); returns the steps it ran. */
export function migrateTo(store: Store, collection: string, versions: VersionList, target: number): MigrationReport[] {
  versions.forEach((definition, index) => {
    if (definition.version !== index + 1) throw new RecordsError('INVALID_ARGUMENT', `Version definitions must be 1, 2, 3, ... in order; position ${index} holds version ${definition.version}.`, { index });
  });
  if (!Number.isInteger(target) || target < 1 || target > versions.length) {
    throw new RecordsError('INVALID_ARGUMENT', `The version to open must be from 1 to ${versions.length}; got ${String(target)}.`, { version: target });
  }
  const stored = storedVersion(store, collection);
  if (stored === undefined) {
    if (store.has(collection)) {
      throw new RecordsError('VERSION_MISSING', `The store has a "${collection}" collection but no schema version for it: it was not written by this library. Open it with the code that wrote it.`, { collection });
    }
    store.transaction(() => {
      store.btree(collection);
      for (const index of versions[target - 1]!.indexes) store.btree(indexTreeName(collection, index.name));
      store.btree<string, number>(META).put(versionKey(collection), target);
    }, { flush: true });
    return [];
  }
  if (stored > target) {
    throw new RecordsError('VERSION_TOO_NEW', `The store holds "${collection}" at schema version ${stored}; this code knows versions up to ${target}. Open it with newer code (a migration cannot be undone).`, { collection, stored, version: target });
  }
  const reports: MigrationReport[] = [];
  for (let version = stored; version < target; version++) {
    reports.push(step(store, collection, versions[version - 1]!, versions[version]!));
  }
  return reports;
}

/** One step, version `from` to `to`, in one transaction. */
function step(store: Store, collection: string, from: VersionDefinition<unknown, unknown>, to: VersionDefinition<unknown, unknown>): MigrationReport {
  const migrate = to.migrate;
  if (migrate === undefined) throw new RecordsError('INVALID_ARGUMENT', `Version ${to.version} has no migrate() from version ${from.version}.`, { version: to.version });
  const startMs = performance.now();
  const recordCount = store.transaction(() => {
    const reader = store.btree<string, unknown>(collection, { schema: from.schema, validateOnRead: true });
    const writer = store.btree<string, unknown>(collection, { schema: to.schema });
    const records: Array<[string, unknown]> = [];
    for (const [id, old] of [...reader.range()]) {
      const record = migrate.call(to, old);
      if (to.idOf(record) !== id) {
        throw new RecordsError('INVALID_ARGUMENT', `The migration to version ${to.version} changed the id of "${id}" to "${to.idOf(record)}"; a migration keeps ids.`, { id });
      }
      writer.put(id, record);
      records.push([id, record]);
    }
    const kept = new Set(to.indexes.map((index) => index.name));
    for (const index of from.indexes) if (!kept.has(index.name)) store.drop(indexTreeName(collection, index.name));
    for (const index of to.indexes) {
      const tree = store.btree<Key[], null>(indexTreeName(collection, index.name));
      tree.clear();
      tree.bulkLoad(sortedIndexEntries(index, records));
    }
    store.btree<string, number>(META).put(versionKey(collection), to.version);
    return records.length;
  }, { flush: true });
  return { from: from.version, to: to.version, recordCount, durationMs: performance.now() - startMs };
}

/** The entries of `index` for `records`, in the tree's key order (what bulkLoad needs). */
export function sortedIndexEntries<R>(index: IndexDefinition<R>, records: ReadonlyArray<readonly [string, R]>): Array<[Key[], null]> {
  const keyed = records.map(([id, record]) => {
    const key: Key[] = [...index.keyOf(record), id];
    return { key, bytes: encodeKey(key) };
  });
  keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  return keyed.map(({ key }) => [key, null]);
}

export type IndexTree = BTree<Key[], null>;
