/**
 * The kinds of collection a Store keeps in its catalog, by the name stored
 * with each collection. A kind knows how to create a collection (returning
 * the offset of its header block), open a handle on one, check it, and free
 * it; adding a kind is adding an entry here. Names are stored on disk: never
 * rename one.
 */
import { BTree } from '../btree/btree.js';
import type { BTreeOptions } from '../btree/btree.js';
import type { StructContext } from '../core/struct-context.js';
import { HashMap } from '../hash-map/hash-map.js';
import type { HashMapOptions } from '../hash-map/hash-map.js';
import { List } from '../list/list.js';
import type { ListOptions } from '../list/list.js';

export interface CollectionKind<H = unknown, O = unknown> {
  /** Allocates an empty collection in the context's transaction; returns its header offset. */
  create(ctx: StructContext, options: O | undefined): number;
  /** A handle on the collection whose header is at `headerOffset`. */
  open(ctx: StructContext, headerOffset: number, options: O | undefined): H;
  /** Frees every block of the collection in the context's transaction; the handle is dead afterwards. */
  destroy(handle: H): void;
  /** Checks the collection's invariants; throws STRUCT_CORRUPT. Returns the usable bytes of the blocks it owns. */
  verify(handle: H): number;
  /** Makes the handle refuse further use, as after destroy(): its collection was dropped or its creation aborted. */
  invalidate(handle: H): void;
}

export const BTREE_KIND: CollectionKind<BTree, BTreeOptions<unknown>> = {
  create: (ctx, options) => BTree.create(ctx, options),
  open: (ctx, headerOffset, options) => BTree.open(ctx, headerOffset, options),
  destroy: (handle) => handle.destroy(),
  verify: (handle) => handle.stats().blockSize,
  invalidate: (handle) => handle._invalidate(),
};

export const HASH_MAP_KIND: CollectionKind<HashMap, HashMapOptions<unknown>> = {
  create: (ctx, options) => HashMap.create(ctx, options),
  open: (ctx, headerOffset, options) => HashMap.open(ctx, headerOffset, options),
  destroy: (handle) => handle.destroy(),
  verify: (handle) => handle.stats().blockSize,
  invalidate: (handle) => markDestroyed(handle),
};

export const LIST_KIND: CollectionKind<List, ListOptions<unknown>> = {
  create: (ctx, options) => List.create(ctx, options),
  open: (ctx, headerOffset, options) => List.open(ctx, headerOffset, options),
  destroy: (handle) => handle.destroy(),
  verify: (handle) => handle.stats().blockSize,
  invalidate: (handle) => markDestroyed(handle),
};

/**
 * HashMap and List keep a private `destroyed` flag that destroy() sets and
 * every call checks; setting it is how their handles are retired.
 */
function markDestroyed(handle: object): void {
  const invalidator = (handle as { _invalidate?: () => void })._invalidate;
  if (typeof invalidator === 'function') invalidator.call(handle);
  else Reflect.set(handle, 'destroyed', true);
}

/** Every kind by its stored name. */
export const COLLECTION_KINDS: Readonly<Record<string, CollectionKind<never, never>>> = Object.freeze({
  btree: BTREE_KIND as CollectionKind<never, never>,
  'hash-map': HASH_MAP_KIND as CollectionKind<never, never>,
  list: LIST_KIND as CollectionKind<never, never>,
});
