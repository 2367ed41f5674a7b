/**
 * The on-disk format of a heap, version 1. A heap owns a whole segment (or its
 * first `heapSize` bytes): a header at offset 0, then blocks that tile the
 * rest, then an 8-byte fence. Every field is a little-endian u32; every offset
 * is a byte offset from the start of the segment, so the heap works wherever
 * the segment is loaded.
 *
 * HEAP HEADER
 *  offset size field
 *       0    4 magic         0x484d5652, the bytes "RVMH": readable in a hex dump, and
 *                            read with the wrong byte order it becomes "HMVR"
 *       4    4 version       HEAP_FORMAT_VERSION
 *       8    4 heapSize      bytes of the segment the heap manages: a multiple of 8,
 *                            >= HEAP_SIZE_MIN, <= the segment's size (a segment grown
 *                            by a transaction that then aborted or crashed is larger;
 *                            the next growth of the heap adopts the extra bytes)
 *      12    4 blocksOffset  BLOCKS_OFFSET, the first block; pins the layout below
 *      16    4 binCount      BIN_COUNT; pins the size classes (size-class.ts)
 *      20    4 rootCount     ROOT_COUNT
 *      24    4 salt          chosen at random by format (a different one when formatting over a
 *                            heap): mixed into every block check, so that headers left in the
 *                            segment by an earlier heap are never valid in this one
 *      28    4 reserved      zero
 *      32   40 binBitmap     10 words; bit (i & 31) of word (i >> 5) is set iff free
 *                            list i is not empty (bits past BIN_COUNT are zero)
 *      72 1208 binHeads      BIN_COUNT offsets: the first block of each free list, 0 if empty
 *    1280 1024 roots         ROOT_COUNT entries of 32 bytes (roots.ts)
 *    2304      the first block
 *
 * BLOCK at offset b (a multiple of 8); the offset the caller sees is b + 8
 *  offset size field
 *       0    4 sizeFlags     block size (a multiple of 8, >= BLOCK_SIZE_MIN) | INUSE (bit 0)
 *                            | PREV_INUSE (bit 1, the block before this one is allocated);
 *                            bit 2 is zero
 *       4    4 check         headerCheck(b, sizeFlags, salt)
 *   free blocks only:
 *       8    4 next          the next block of its free list, 0 at the end
 *      12    4 prev          the previous block of its free list, 0 for the head
 *  size-4    4 footer        the block size, so that the block after it can find its start
 *   allocated blocks: bytes 8 .. size are the caller's (usable size = size - 8).
 *
 * FENCE at heapSize - 8: a header with size 0, INUSE set, PREV_INUSE as for a
 * block, and a valid check. It stops the walk and coalescing at the end.
 *
 * Rules.
 * - A header at b is valid iff its check equals headerCheck(b, sizeFlags, salt).
 *   The check mixes in the offset and the heap's salt, so a header copied
 *   elsewhere, zeros, payload bytes, or headers of an earlier heap in the same
 *   segment are not valid (except by a 2^-32 coincidence), and free() tells a
 *   block start from an interior or never-allocated offset.
 * - free() clears INUSE of the block it frees even when the block is absorbed
 *   by a free neighbour, and a header is only written with INUSE set when its
 *   block is allocated (or as the fence, size 0). So a valid header with INUSE
 *   set and a non-zero size is a live block; a valid header with INUSE clear
 *   is a free block or the stale start of a freed one; a valid header of size
 *   0 is the fence or a stale fence that growth left inside a block.
 * - Conservation: starting at BLOCKS_OFFSET, adding each block's size lands
 *   exactly on the fence; every block is allocated or free, and every free
 *   block is on exactly one free list, the one of its size class.
 * - No two free blocks are adjacent (frees coalesce with both neighbours), and
 *   PREV_INUSE of each block and of the fence equals INUSE of the block before.
 */

export const HEAP_MAGIC = 0x484d5652;
export const HEAP_FORMAT_VERSION = 1;

export const MAGIC_OFFSET = 0;
export const VERSION_OFFSET = 4;
export const HEAP_SIZE_OFFSET = 8;
export const BLOCKS_OFFSET_OFFSET = 12;
export const BIN_COUNT_OFFSET = 16;
export const ROOT_COUNT_OFFSET = 20;
export const SALT_OFFSET = 24;
export const RESERVED_OFFSET = 28;
export const BITMAP_OFFSET = 32;
export const BITMAP_WORD_COUNT = 10;
export const HEADS_OFFSET = 72;
export const ROOTS_OFFSET = 1280;
export const ROOT_COUNT = 32;
export const ROOT_ENTRY_SIZE = 32;
export const BLOCKS_OFFSET = 2304;

/** Word indexes (byte offset / 4) of the header fields the hot path reads. */
export const HEAP_SIZE_WORD = HEAP_SIZE_OFFSET >>> 2;
export const SALT_WORD = SALT_OFFSET >>> 2;
export const BITMAP_WORD = BITMAP_OFFSET >>> 2;
export const HEADS_WORD = HEADS_OFFSET >>> 2;

export const INUSE = 1;
export const PREV_INUSE = 2;
/** sizeFlags bits that are not part of the size. */
export const FLAG_MASK = 7;

export const ALIGNMENT = 8;
export const BLOCK_HEADER_SIZE = 8;
export const FENCE_SIZE = 8;
/** Header, two links and a footer. */
export const BLOCK_SIZE_MIN = 24;

export const HEAP_SIZE_MIN = BLOCKS_OFFSET + BLOCK_SIZE_MIN + FENCE_SIZE;
/** heapSize is a u32 and a multiple of 8. A segment holds at most 2^32 bytes. */
export const HEAP_SIZE_MAX = 2 ** 32 - ALIGNMENT;
/** The largest block any heap can hold, and the largest alloc() request. */
export const BLOCK_SIZE_MAX = HEAP_SIZE_MAX - BLOCKS_OFFSET - FENCE_SIZE;
export const ALLOC_SIZE_MAX = BLOCK_SIZE_MAX - BLOCK_HEADER_SIZE;

/**
 * The check word of a block header: murmur3's finaliser over the offset,
 * sizeFlags and the heap's salt. Returns an unsigned 32-bit value.
 */
export function headerCheck(offset: number, sizeFlags: number, salt: number): number {
  let h = Math.imul(offset ^ salt, 0x9e3779b1) ^ sizeFlags;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The block size for a request of `size` bytes (already validated: an integer in 1 .. ALLOC_SIZE_MAX). */
export function blockSizeFor(size: number): number {
  const s = size < 0x3fff_fff0 ? (size + BLOCK_HEADER_SIZE + ALIGNMENT - 1) & ~(ALIGNMENT - 1) : Math.floor((size + BLOCK_HEADER_SIZE + ALIGNMENT - 1) / ALIGNMENT) * ALIGNMENT;
  return s < BLOCK_SIZE_MIN ? BLOCK_SIZE_MIN : s;
}

/** The size field of a header word (works for sizes >= 2^31, where `& ~7` would go negative). */
export function sizeOf(sizeFlags: number): number {
  return sizeFlags - (sizeFlags & FLAG_MASK);
}
