/**
 * Size classes (bins) of free blocks, part of the on-disk format: a free block
 * of size s is on free list binIndex(s).
 *
 * - Small bins 0 .. 125 hold exactly one block size each, 24 .. 1024 in steps
 *   of 8, so a small request whose bin is not empty is served by popping the
 *   head: constant time, exact fit.
 * - Large bins 126 .. 301 split each power of two [2^k, 2^(k+1)), k = 10 .. 31,
 *   into 8 equal ranges (blocks in one bin differ by less than 12.5%). A large
 *   request takes the best fit among the first SCAN_COUNT_MAX blocks of its
 *   own bin, else the smallest of the first SCAN_COUNT_MAX blocks of the next
 *   non-empty bin, where every block fits (found through the bitmap in
 *   constant time). That is TLSF's good fit with a bounded best-fit search.
 */

export const SMALL_SIZE_MAX = 1024;
export const SMALL_BIN_COUNT = 126;
export const BIN_COUNT = SMALL_BIN_COUNT + 22 * 8;
/** Blocks a large-bin search examines before it settles for the best so far. */
export const SCAN_COUNT_MAX = 32;

/** The bin of a block of `size` bytes (a multiple of 8, >= 24, < 2^32). */
export function binIndex(size: number): number {
  if (size <= SMALL_SIZE_MAX) return (size >>> 3) - 3;
  const k = 31 - Math.clz32(size);
  return SMALL_BIN_COUNT + ((k - 10) << 3) + ((size >>> (k - 3)) & 7);
}

/** The smallest block size bin `bin` can hold. */
export function binSizeMin(bin: number): number {
  if (bin < SMALL_BIN_COUNT) return (bin + 3) << 3;
  const large = bin - SMALL_BIN_COUNT;
  const k = 10 + (large >>> 3);
  const size = (8 + (large & 7)) * 2 ** (k - 3);
  return size <= SMALL_SIZE_MAX ? SMALL_SIZE_MAX + 8 : size;
}

/** The largest block size bin `bin` can hold. */
export function binSizeMax(bin: number): number {
  if (bin < SMALL_BIN_COUNT) return (bin + 3) << 3;
  if (bin === BIN_COUNT - 1) return 2 ** 32 - 8;
  return binSizeMin(bin + 1) - 8;
}
