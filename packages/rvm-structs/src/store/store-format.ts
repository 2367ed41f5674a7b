/**
 * The format version of a Store as a whole, so that a library refuses a store
 * written in a format it does not know (FORMAT_UNSUPPORTED) instead of
 * misreading it or reporting it corrupt. Each part keeps its own version or
 * tag as well (B-tree, hash map and list headers, value format byte); this one
 * covers what no part can: which parts a store may hold.
 *
 * The heap root "store-format" points at a block:
 *
 * STORE FORMAT BLOCK (STORE_FORMAT_SIZE bytes)
 *  offset size field
 *       0    4 magic     0x46535652, the bytes "RVSF"
 *       4    2 version   the store format version (below)
 *       6   10 reserved  zero
 *
 * Versions:
 *  1  the catalog (catalog.ts) of B-trees (format 1), hash maps and lists
 *     (format 1), values in value format 1 or 2 (records, with the structure
 *     table under the root "value-structures"; core/record-codec.ts).
 *
 * Rules. A store is valid if and only if its root is absent (a store made
 * before this block existed, in version 1 otherwise: Store.open adds the
 * block) or points at a live block of at least STORE_FORMAT_SIZE bytes with
 * the magic, a version from 1, and zero reserved bytes. A library opens
 * versions up to its STORE_FORMAT_VERSION. A change that an older library
 * would misread raises the version, and the library that first writes such a
 * change to a store raises the store's version in the same transaction.
 */
import type { StructContext } from '../core/struct-context.js';
import { StructError } from '../core/struct-error.js';

export const STORE_FORMAT_ROOT = 'store-format';
export const STORE_FORMAT_MAGIC = 0x46535652;
export const STORE_FORMAT_VERSION = 1;
export const STORE_FORMAT_SIZE = 16;

const FORMAT_MAGIC = 0;
const FORMAT_VERSION = 4;
const FORMAT_RESERVED = 6;

/** Writes the block for STORE_FORMAT_VERSION in the context's transaction and sets the root. */
export function writeStoreFormat(ctx: StructContext): void {
  const block = ctx.alloc(STORE_FORMAT_SIZE);
  const image = Buffer.alloc(STORE_FORMAT_SIZE);
  image.writeUInt32LE(STORE_FORMAT_MAGIC, FORMAT_MAGIC);
  image.writeUInt16LE(STORE_FORMAT_VERSION, FORMAT_VERSION);
  ctx.writeBytes(block, image, 0, STORE_FORMAT_SIZE);
  // ROOTS_FULL: both callers then end the transaction without committing it, which frees the block.
  ctx.heap.setRoot(ctx.tx(), STORE_FORMAT_ROOT, block);
}

/**
 * Checks the store's format block; returns its version, or 0 when the store
 * has none. Throws FORMAT_UNSUPPORTED for a version above
 * STORE_FORMAT_VERSION and STRUCT_CORRUPT for a damaged block.
 */
export function checkStoreFormat(ctx: StructContext, dir: string): number {
  const heap = ctx.heap;
  const block = heap.getRoot(STORE_FORMAT_ROOT);
  if (block === 0) return 0;
  const bytes = ctx.bytes;
  const size = heap.usableSize(block);
  const magic = size >= STORE_FORMAT_SIZE ? bytes.readUInt32LE(block + FORMAT_MAGIC) : 0;
  const version = size >= STORE_FORMAT_SIZE ? bytes.readUInt16LE(block + FORMAT_VERSION) : 0;
  if (magic !== STORE_FORMAT_MAGIC || version < 1) {
    throw new StructError('STRUCT_CORRUPT', `The store format block of ${dir} (offset ${block}, ${size} bytes) is damaged. Restore the store from a backup.`, { block, size, magic, version });
  }
  if (version > STORE_FORMAT_VERSION) {
    throw new StructError('FORMAT_UNSUPPORTED', `The store in ${dir} has format version ${version}; this version of @rvm/structs reads versions up to ${STORE_FORMAT_VERSION}. Open it with a newer version of the library; the store was not changed.`, { version, supported: STORE_FORMAT_VERSION });
  }
  // Reserved in the versions this library knows (a later version may use them).
  for (let i = FORMAT_RESERVED; i < STORE_FORMAT_SIZE; i++) {
    if (bytes[block + i] !== 0) {
      throw new StructError('STRUCT_CORRUPT', `The store format block of ${dir} (offset ${block}) has a non-zero reserved byte ${i}. Restore the store from a backup.`, { block, byte: i });
    }
  }
  return version;
}
