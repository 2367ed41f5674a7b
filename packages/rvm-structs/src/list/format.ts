/**
 * The on-disk format of a List, version 1: a counted B+-tree (a rope) whose
 * leaves hold encoded elements packed in order and whose internal nodes hold,
 * for each child, how many elements lie under it. Position i is found by
 * walking down and subtracting counts: at, insert and remove cost O(log n)
 * node visits; push, pop, shift and unshift write one leaf and one count per
 * level (a tree of 64-way nodes over ~1 KiB leaves is at most 4 levels deep
 * below 10^8 elements). Every block is a heap block (@rvm/alloc); every field
 * is little-endian; every offset is a byte offset in the segment.
 *
 * HEADER (HEADER_SIZE bytes; its offset is the list's identity)
 *  offset size field
 *       0    4 magic        0x5453494c, the bytes "LIST": readable in a hex dump, and
 *                           read with the wrong byte order it becomes "TSIL"
 *       4    2 version      LIST_FORMAT_VERSION
 *       6    1 height       levels of internal nodes above the leaves: 0 when the root is a leaf
 *       7    1 reserved     zero
 *       8    4 root         the root node
 *      12    4 length       elements in the list
 *      16    4 changeCount  + 1 (mod 2^32) per mutation; cursors and iterators compare it
 *      20   12 reserved     zero
 *
 * NODE HEADER (the first NODE_HEADER_SIZE bytes of every node)
 *       0    1 level        0 for a leaf; an internal node's level is its height above the leaves
 *       1    1 reserved     zero
 *       2    2 count        records (leaf) or children (internal node)
 *       4    2 usedSize     leaf: bytes of records; internal node: count * ENTRY_SIZE
 *       6    2 skipSize     leaf: free bytes before the records, which fill
 *                           [8 + skipSize, 8 + skipSize + usedSize) exactly; internal node: zero
 *
 * LEAF (a block of LEAF_SIZE bytes): records from offset 8 + skipSize, in list order.
 * Removing a leaf's first record grows skipSize instead of moving the others,
 * and an insertion at the front fills that gap, so shift and unshift write a
 * few bytes, not the leaf (a queue's cost does not depend on the leaf size).
 *       0    2 field        the element's encoded size 0 .. ELEMENT_INLINE_MAX (the bytes follow),
 *                           or CELL_BLOB (0xffff): a 4-byte blob offset follows (core/blob.ts)
 *       2    . cell
 *
 * INTERNAL NODE (a block of INTERNAL_SIZE bytes): entries from offset 8, in list order
 *       0    4 child        the child node, one level lower
 *       4    4 count        elements under the child (>= 1)
 *
 * A list is valid if and only if: the header has the magic and version above
 * and height <= HEIGHT_MAX; every node is a live heap block reached exactly
 * once, with level = its height above the leaves (all leaves at the same
 * depth); each leaf's records tile [8 + skipSize, 8 + skipSize + usedSize)
 * with skipSize + usedSize <= LEAF_DATA_SIZE and count records, each inline cell at most
 * ELEMENT_INLINE_MAX bytes and each blob longer than that, up to
 * ELEMENT_SIZE_MAX; each internal node has 1 .. FANOUT_MAX children and each
 * entry's count equals the elements under its child; every node but the root
 * holds at least one element (only the root may be an empty leaf, when the
 * list is empty; an internal root has at least two children); and length is
 * the number of elements under the root.
 *
 * Balance (not part of validity, kept by the operations): a node that
 * shrinks merges with a sibling when the two fit in MERGE_*_MAX, so adjacent
 * siblings together stay fuller than that and the tree stays O(log n) deep.
 */
import { StructError } from '../core/struct-error.js';

export const LIST_MAGIC = 0x5453494c;
export const LIST_FORMAT_VERSION = 1;

export const HEADER_MAGIC = 0;
export const HEADER_VERSION = 4;
export const HEADER_HEIGHT = 6;
export const HEADER_ROOT = 8;
export const HEADER_LENGTH = 12;
export const HEADER_CHANGE_COUNT = 16;
export const HEADER_SIZE = 32;

export const NODE_LEVEL = 0;
export const NODE_COUNT = 2;
export const NODE_USED_SIZE = 4;
export const NODE_SKIP_SIZE = 6;
export const NODE_HEADER_SIZE = 8;

export const LEAF_SIZE = 1024;
export const LEAF_DATA_SIZE = LEAF_SIZE - NODE_HEADER_SIZE;
export const RECORD_FIELD_SIZE = 2;
export const CELL_BLOB = 0xffff;
export const BLOB_REF_SIZE = 4;
/** Encoded elements up to this size live in the leaf; larger ones in a blob. */
export const ELEMENT_INLINE_MAX = 250;
/** The largest encoded element accepted (VALUE_TOO_LARGE past it). */
export const ELEMENT_SIZE_MAX = 16 * 1024 * 1024;
export const RECORD_SIZE_MAX = RECORD_FIELD_SIZE + ELEMENT_INLINE_MAX;

export const ENTRY_SIZE = 8;
export const FANOUT_MAX = 64;
export const INTERNAL_SIZE = NODE_HEADER_SIZE + FANOUT_MAX * ENTRY_SIZE;

/** Two sibling leaves merge when their records fit in this many bytes. */
export const MERGE_LEAF_SIZE_MAX = (LEAF_DATA_SIZE * 3) >> 2;
/** Two sibling internal nodes merge when their children fit in this count. */
export const MERGE_FANOUT_MAX = (FANOUT_MAX * 3) >> 2;

/** Far more than 2^32 elements need; bounds the walks over untrusted bytes. */
export const HEIGHT_MAX = 24;
/** The length is a u32. */
export const LENGTH_MAX = 0xffff_ffff;

/** The size of the record whose field is `field`. */
export function recordSizeOf(field: number): number {
  return RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
}

/** A STRUCT_CORRUPT error for the list at `header`, naming the offending offset. */
export function corrupt(header: number, offset: number, problem: string): StructError {
  return new StructError(
    'STRUCT_CORRUPT',
    `List at offset ${header}: ${problem} (at offset ${offset}). The segment is damaged or another structure wrote over this one; restore it from a backup.`,
    { structure: 'List', header, offset, problem },
  );
}
