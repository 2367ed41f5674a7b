/**
 * Collection<R>: typed records in a primary B-tree (id -> record) with
 * secondary indexes, each a B-tree of [...index key, id] -> null.
 *
 * Invariants (checked by verify()):
 * - Every stored record satisfies the schema of the collection's version and
 *   is stored under its own id.
 * - Each index holds exactly one entry per record, [...keyOf(record), id],
 *   and nothing else; no index tree of another version is left over.
 * A write validates the record first (an invalid one is refused with the
 * schema's issues before any transaction begins), then changes the record
 * and its index entries in one transaction: its own, or the caller's
 * store.transaction() when one is open. So a crash, an abort or a refused
 * record never leaves a record and its indexes out of step.
 */
import { encodeKey, SchemaError } from '@rvm/structs';
import type { BTree, Key, Store } from '@rvm/structs';
import type { IndexDefinition, VersionDefinition, VersionList } from './definition.js';
import { indexTreeName, migrateTo, sortedIndexEntries } from './migrate.js';
import type { IndexTree, MigrationReport } from './migrate.js';
import { RecordsError } from './records-error.js';

export interface IdRange {
  /** Ids >= this. */
  readonly from?: string;
  /** Ids < this. */
  readonly to?: string;
  readonly limit?: number;
  readonly reverse?: boolean;
}

export interface IndexBounds {
  /** The next element of the index key after the equal ones: >= this. */
  readonly from?: Key;
  /** ... and < this. */
  readonly to?: Key;
  readonly limit?: number;
}

interface Index<R> {
  readonly definition: IndexDefinition<R>;
  readonly tree: IndexTree;
}

export class Collection<R> {
  private constructor(
    readonly store: Store,
    readonly name: string,
    private readonly definition: VersionDefinition<R, unknown>,
    private readonly records: BTree<string, R>,
    private readonly indexes: ReadonlyMap<string, Index<R>>,
    /** The migrations this open ran, oldest first (empty when the store was at the version already). */
    readonly migrations: readonly MigrationReport[],
  ) {}

  /** Opens `name` at `version`, migrating it first (migrate.ts). */
  static open<R>(store: Store, name: string, versions: VersionList, version: number): Collection<R> {
    const migrations = migrateTo(store, name, versions, version);
    const definition = versions[version - 1] as unknown as VersionDefinition<R, unknown>;
    const records = store.btree<string, R>(name, { schema: definition.schema });
    const indexes = new Map<string, Index<R>>();
    for (const index of definition.indexes) indexes.set(index.name, { definition: index, tree: store.btree<Key[], null>(indexTreeName(name, index.name)) });
    return new Collection(store, name, definition, records, indexes, migrations);
  }

  get version(): number {
    return this.definition.version;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: string): R | undefined {
    return this.records.get(id);
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  /** Writes `input` (inserting or replacing by id) with its index entries; returns the record as stored. */
  put(input: unknown): R {
    const record = this.parse(input);
    this.store.transaction(() => this.write(record));
    return record;
  }

  /** Like put, but DUPLICATE_ID when the id exists. */
  insert(input: unknown): R {
    const record = this.parse(input);
    const id = this.definition.idOf(record);
    if (this.records.has(id)) throw new RecordsError('DUPLICATE_ID', `"${id}" exists already in ${this.name}. Use put() to replace it or update() to change it.`, { id });
    this.store.transaction(() => this.write(record));
    return record;
  }

  /** Replaces the record `id` with change(record): NOT_FOUND when missing; the id may not change. */
  update(id: string, change: (record: R) => unknown): R {
    const current = this.records.get(id);
    if (current === undefined) throw new RecordsError('NOT_FOUND', `No record "${id}" in ${this.name}.`, { id });
    const record = this.parse(change(current));
    if (this.definition.idOf(record) !== id) throw new RecordsError('INVALID_ARGUMENT', `update() may not change the id ("${id}"); delete and insert instead.`, { id });
    this.store.transaction(() => this.write(record));
    return record;
  }

  /** Deletes the record `id` and its index entries; returns whether it was there. */
  delete(id: string): boolean {
    const current = this.records.get(id);
    if (current === undefined) return false;
    this.store.transaction(() => {
      for (const { definition, tree } of this.indexes.values()) tree.delete([...definition.keyOf(current), id]);
      this.records.delete(id);
    });
    return true;
  }

  /** Records by id, in id order. */
  *range(options: IdRange = {}): Generator<R> {
    const { from, to, limit, reverse } = options;
    yield* this.records.values({ ...(from === undefined ? {} : { gte: from }), ...(to === undefined ? {} : { lt: to }), ...(limit === undefined ? {} : { limit }), reverse: reverse === true });
  }

  /**
   * Records whose index key starts with `equal`, in index order; `bounds`
   * narrows the next element of the key to [from, to).
   */
  *find(indexName: string, equal: readonly Key[], bounds: IndexBounds = {}): Generator<R> {
    const index = this.indexes.get(indexName);
    if (index === undefined) {
      throw new RecordsError('UNKNOWN_INDEX', `${this.name} has no index "${indexName}" at version ${this.version}; it has ${[...this.indexes.keys()].join(', ')}.`, { index: indexName });
    }
    const prefix = equal.map((element) => encodeKey(element));
    const to = bounds.to === undefined ? undefined : encodeKey(bounds.to);
    let remaining = bounds.limit ?? Infinity;
    for (const key of index.tree.keys({ gte: bounds.from === undefined ? [...equal] : [...equal, bounds.from] })) {
      if (remaining <= 0) return;
      for (let i = 0; i < prefix.length; i++) if (Buffer.compare(encodeKey(key[i]!), prefix[i]!) !== 0) return;
      if (to !== undefined && Buffer.compare(encodeKey(key[prefix.length]!), to) >= 0) return;
      const record = this.records.get(key[key.length - 1] as string);
      if (record === undefined) throw new RecordsError('INDEX_MISMATCH', `Index "${indexName}" names "${String(key[key.length - 1])}", which is not in ${this.name}. Run verify().`, { index: indexName });
      remaining--;
      yield record;
    }
  }

  /** Checks the invariants at the top of this file; throws INDEX_MISMATCH or SchemaError. */
  verify(): void {
    const validating = this.store.btree<string, R>(this.name, { schema: this.definition.schema, validateOnRead: true });
    const records: Array<[string, R]> = [];
    for (const [id, record] of validating.range()) {
      if (this.definition.idOf(record) !== id) throw new RecordsError('INDEX_MISMATCH', `The record stored under "${id}" has id "${this.definition.idOf(record)}".`, { id });
      records.push([id, record]);
    }
    for (const { definition, tree } of this.indexes.values()) {
      const expected = sortedIndexEntries(definition, records).map(([key]) => encodeKey(key));
      let position = 0;
      for (const key of tree.keys()) {
        const bytes = encodeKey(key);
        if (position >= expected.length || Buffer.compare(bytes, expected[position]!) !== 0) {
          throw new RecordsError('INDEX_MISMATCH', `Index "${definition.name}" of ${this.name} holds ${JSON.stringify(key)}, which no record gives at that place.`, { index: definition.name, position });
        }
        position++;
      }
      if (position !== expected.length) {
        throw new RecordsError('INDEX_MISMATCH', `Index "${definition.name}" of ${this.name} has ${position} entries for ${expected.length} records.`, { index: definition.name, entryCount: position, recordCount: expected.length });
      }
    }
    const expectedTrees = new Set([...this.indexes.keys()].map((name) => indexTreeName(this.name, name)));
    for (const name of this.store.names()) {
      if (name.startsWith(indexTreeName(this.name, '')) && !expectedTrees.has(name)) {
        throw new RecordsError('INDEX_MISMATCH', `The store holds index "${name}", which version ${this.version} of ${this.name} does not have.`, { tree: name });
      }
    }
  }

  /** Validates before anything is written: an invalid record is refused with zod's issues. */
  private parse(input: unknown): R {
    const result = this.definition.schema.safeParse(input);
    if (!result.success) throw new SchemaError(result.error.issues, 'encode');
    return result.data;
  }

  /** In the open transaction: replaces the record and moves its index entries. */
  private write(record: R): void {
    const id = this.definition.idOf(record);
    const old = this.records.get(id);
    for (const { definition, tree } of this.indexes.values()) {
      if (old !== undefined) tree.delete([...definition.keyOf(old), id]);
      tree.put([...definition.keyOf(record), id], null);
    }
    this.records.put(id, record);
  }
}
