/**
 * The catalog of a Store: a B-tree under the heap root "catalog" from each
 * collection's name to { kind, header }, where kind names an entry of
 * COLLECTION_KINDS and header is the offset of the collection's header block.
 * The heap's 32 roots would be too few for applications; the catalog holds
 * any number of collections under one root.
 *
 * Entries are read back through a schema, so a damaged entry is reported as
 * STRUCT_CORRUPT rather than opening something at a wrong offset.
 */
import { z } from 'zod';
import { BTree } from '../btree/btree.js';
import { isCodecError } from '../codec/codec-error.js';
import { msgpackCodec } from '../codec/msgpack-codec.js';
import { schemaCodec } from '../codec/schema.js';
import type { StructContext } from '../core/struct-context.js';
import { StructError } from '../core/struct-error.js';

export const CATALOG_ROOT = 'catalog';
/** The longest collection name, in UTF-16 units (the catalog key is the encoded string). */
export const NAME_LENGTH_MAX = 200;

const entrySchema = z.object({ kind: z.string().min(1), header: z.number().int().positive() });
export type CatalogEntry = z.infer<typeof entrySchema>;

// Plain MessagePack (a codec with options is not replaced by the segment's record codec): the
// catalog stays readable without the value structure table.
const entryCodec = schemaCodec(entrySchema, msgpackCodec<unknown>({}), { validateOnRead: true });

export class Catalog {
  private constructor(readonly tree: BTree<string, CatalogEntry>) {}

  /** Creates an empty catalog in the context's transaction and stores it under the heap root. */
  static create(ctx: StructContext): Catalog {
    const header = BTree.create(ctx, { codec: entryCodec });
    ctx.heap.setRoot(ctx.tx(), CATALOG_ROOT, header);
    return new Catalog(BTree.open<string, CatalogEntry>(ctx, header, { codec: entryCodec }));
  }

  /** Opens the catalog of the heap, or returns null when the heap has none. */
  static open(ctx: StructContext): Catalog | null {
    const header = ctx.heap.getRoot(CATALOG_ROOT);
    if (header === 0) return null;
    return new Catalog(BTree.open<string, CatalogEntry>(ctx, header, { codec: entryCodec }));
  }

  get(name: string): CatalogEntry | undefined {
    try {
      return this.tree.get(name);
    } catch (e) {
      if (isCodecError(e)) {
        throw new StructError('STRUCT_CORRUPT', `The catalog entry of "${name}" does not decode (${e.code}). Restore the store from a backup.`, { name, cause: e });
      }
      throw e;
    }
  }

  put(name: string, entry: CatalogEntry): void {
    this.tree.put(name, entry);
  }

  delete(name: string): boolean {
    return this.tree.delete(name);
  }

  /** Every name with its entry, in name order (the order of encoded keys: UTF-8 byte order). */
  entries(): Array<[string, CatalogEntry]> {
    return [...this.tree.range()];
  }
}

/** Refuses a collection name that is not a non-empty string of at most NAME_LENGTH_MAX units. */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > NAME_LENGTH_MAX) {
    throw new StructError('INVALID_ARGUMENT', `A collection name is a string of 1 to ${NAME_LENGTH_MAX} characters; got ${typeof name === 'string' ? `${name.length} characters` : typeof name}.`, { name });
  }
}
