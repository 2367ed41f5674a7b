/**
 * The on-disk format of a B-tree, version 1. A tree is a header block and
 * nodes, all heap blocks of one segment (@rvm/alloc); every offset is a byte
 * offset from the start of the segment, every integer little-endian unless
 * noted.
 *
 * TREE HEADER (a 32-byte heap block; its offset is the tree's identity)
 *  offset size field
 *       0    4 magic      0x54425652, the bytes "RVBT": readable in a hex dump, and
 *                         read with the wrong byte order it becomes "TBVR"
 *       4    2 version    BTREE_FORMAT_VERSION
 *       6    2 reserved   zero
 *       8    4 nodeSize   bytes of every node: a power of two, NODE_SIZE_MIN .. NODE_SIZE_MAX
 *      12    4 root       the root node (always present; an empty tree has an empty leaf)
 *      16    4 height     levels: 1 when the root is a leaf
 *      20   12 reserved   zero
 *
 *  The header holds no entry count: a count would be written by every insert
 *  and delete, one more range in every transaction and the same bytes in all
 *  of them, which costs RVM's commit path about a third of a single put's
 *  time. size() adds up the leaves' counts instead (and caches the sum).
 *
 * NODE (a heap block of nodeSize usable bytes), a slotted page:
 *  offset size field
 *       0    1 kind        NODE_LEAF or NODE_BRANCH
 *       1    1 prefixSize  p <= PREFIX_SIZE_MAX: every key in the node starts with prefix[0, p)
 *       2    2 count       slots: entries of a leaf, separators of a branch (children = count + 1)
 *       4    2 cellsStart  the lowest byte of the cell area; the free gap is [slotsEnd, cellsStart)
 *       6    2 garbageSize bytes of the cell area that belong to no slot (deleted or replaced cells)
 *       8    4 child0      branch: the child left of the first separator; leaf: zero
 *      12    2 magic       NODE_MAGIC, so that a stray pointer is caught by verify()
 *      14    2 reserved    zero
 *      16   16 prefix      the common prefix bytes, zero past p
 *      32    . slots       count x { u16 cell offset in the node, u8 hint[2] }, sorted by key
 *       .    . free gap
 *  cellsStart  . cells     in any order, with garbage between them
 *
 *  hint: bytes p and p + 1 of the slot's key (zero past its end), so that a
 *  binary search compares two bytes in the slot array and reads a key only when
 *  the hints are equal (the key's cell is usually on another cache line).
 *  Because every key of the node starts with the prefix, hint(a) < hint(b)
 *  implies a < b (zero padding keeps that true for short keys).
 *
 * LEAF CELL                              BRANCH CELL
 *  0  2 keySize k                         0  2 keySize k
 *  2  4 valueInfo: inline size, or        2  4 child: the subtree of keys >= this separator
 *       VALUE_BLOB                        6  k separator bytes
 *  6  k key (an encoded key, codec/)
 *  .  . the value's bytes, or a u32 blob offset (core/blob.ts) when valueInfo = VALUE_BLOB
 *
 * Rules. A tree is valid if and only if:
 * - the header has the magic, version 1, a valid nodeSize, and height >= 1;
 * - every node reachable from the root is reached exactly once, has the magic
 *   and the kind its depth calls for (leaves exactly at depth height - 1), and
 *   32 + 4 * count <= cellsStart <= nodeSize;
 * - its cells lie in [cellsStart, nodeSize), do not overlap, and their sizes
 *   plus garbageSize equal nodeSize - cellsStart;
 * - its keys are strictly ascending, start with its prefix, match their hints;
 * - the keys of the subtree under separator i of a branch are >= it and < the
 *   next separator (bounds inherited from above), and child0's are < separator 0;
 *   separators need not be keys (a split keeps the shortest byte string that
 *   divides the two halves);
 * - every leaf except the root holds at least one entry (a branch may have
 *   no separator: it then has one child, child0);
 * - every blob offset is a live heap block holding the value.
 * Nodes are never partly valid: every change is made inside the caller's
 * transaction, so recovery restores whole transactions (RVM's atomicity).
 */

export const BTREE_MAGIC = 0x54425652;
export const BTREE_FORMAT_VERSION = 1;

export const TREE_MAGIC = 0;
export const TREE_VERSION = 4;
export const TREE_NODE_SIZE = 8;
export const TREE_ROOT = 12;
export const TREE_HEIGHT = 16;
export const TREE_HEADER_SIZE = 32;

export const NODE_LEAF = 1;
export const NODE_BRANCH = 2;
export const NODE_MAGIC = 0xb7ee;

export const NODE_KIND = 0;
export const NODE_PREFIX_SIZE = 1;
export const NODE_COUNT = 2;
export const NODE_CELLS_START = 4;
export const NODE_GARBAGE = 6;
export const NODE_CHILD0 = 8;
export const NODE_MAGIC_FIELD = 12;
export const NODE_PREFIX = 16;
export const NODE_HEADER_SIZE = 32;
export const PREFIX_SIZE_MAX = 16;

export const SLOT_SIZE = 4;
export const CELL_KEY_SIZE = 0;
export const CELL_INFO = 2;
export const CELL_HEADER_SIZE = 6;
export const BLOB_REF_SIZE = 4;
/** valueInfo of a leaf cell whose value is out of line. */
export const VALUE_BLOB = 0xffff_ffff;

export const NODE_SIZE_MIN = 512;
/** Cell offsets are u16, so a node is at most 32 KiB. */
export const NODE_SIZE_MAX = 32 * 1024;
/** Chosen by bench/run.ts (node sizes compared on the 1M-entry workload); see README. */
export const NODE_SIZE_DEFAULT = 4096;

/** Levels at most; a tree this tall would need more nodes than a 4 GiB segment holds. */
export const HEIGHT_MAX = 48;

/** Values longer than this are refused (VALUE_TOO_LARGE), as by the hash map and the list. */
export const VALUE_SIZE_MAX = 16 * 1024 * 1024;

/**
 * A cell with its slot takes at most a quarter of a node's space, so a split
 * always leaves two halves that fit and a branch holds at least three
 * separators.
 */
export function cellSizeMaxFor(nodeSize: number): number {
  return ((nodeSize - NODE_HEADER_SIZE) >>> 2) - SLOT_SIZE;
}

/** The longest encoded key: a leaf cell with it and a blob reference fits cellSizeMax. */
export function keySizeMaxFor(nodeSize: number): number {
  return cellSizeMaxFor(nodeSize) - CELL_HEADER_SIZE - BLOB_REF_SIZE;
}

export function isValidNodeSize(nodeSize: number): boolean {
  return Number.isInteger(nodeSize) && nodeSize >= NODE_SIZE_MIN && nodeSize <= NODE_SIZE_MAX && (nodeSize & (nodeSize - 1)) === 0;
}
