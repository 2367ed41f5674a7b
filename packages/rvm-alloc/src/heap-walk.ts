/**
 * Walks the blocks of a heap in address order, for stats() and blocks(). The
 * walk stops with HEAP_CORRUPT at a header it cannot trust rather than loop.
 */
import { corrupt, isValidHeader } from './block-header.js';
import { BLOCK_HEADER_SIZE, BLOCK_SIZE_MIN, BLOCKS_OFFSET, FENCE_SIZE, HEAP_SIZE_WORD, INUSE, sizeOf } from './layout.js';
import { BIN_COUNT, binIndex, binSizeMax, binSizeMin } from './size-class.js';

/** A block as the caller sees it. */
export interface HeapBlock {
  /** The offset alloc() returned for it (the block starts 8 bytes before). */
  readonly offset: number;
  /** Usable bytes: the block size minus its 8-byte header. */
  readonly size: number;
  readonly allocated: boolean;
}

export interface HeapClassStats {
  /** Smallest and largest block size (header included) of the class. */
  readonly blockSizeMin: number;
  readonly blockSizeMax: number;
  readonly allocatedCount: number;
  readonly freeCount: number;
}

export interface HeapStats {
  /** Bytes of the segment the heap manages, header and fence included. */
  readonly heapSize: number;
  /** Bytes available to blocks: heapSize minus the header and the fence. */
  readonly capacity: number;
  /** Bytes in allocated blocks, their headers included. */
  readonly allocatedSize: number;
  /** Bytes callers can use in allocated blocks (allocatedSize minus 8 per block). */
  readonly usableSize: number;
  readonly freeSize: number;
  readonly allocatedCount: number;
  readonly freeCount: number;
  /** The largest free block, header included. */
  readonly freeBlockSizeMax: number;
  /** The largest alloc() that succeeds without growing the heap. */
  readonly allocSizeMax: number;
  /** 1 - freeBlockSizeMax / freeSize: 0 when all free space is one block (or none), near 1 when it is in crumbs. */
  readonly fragmentation: number;
  /** Block counts per size class, for the classes that have any block, smallest first. */
  readonly classes: readonly HeapClassStats[];
}

/** Calls visit(blockOffset, blockSize, allocated) for each block in address order. */
function walk(words: Uint32Array, visit: (b: number, size: number, allocated: boolean) => void): void {
  const fence = words[HEAP_SIZE_WORD]! - FENCE_SIZE;
  for (let b = BLOCKS_OFFSET; b < fence; ) {
    if (!isValidHeader(words, b)) corrupt(b, 'the block header check does not match');
    const sizeFlags = words[b >>> 2]!;
    const size = sizeOf(sizeFlags);
    if (size < BLOCK_SIZE_MIN || b + size > fence) corrupt(b, `block size ${size} does not fit between ${b} and the fence`);
    visit(b, size, (sizeFlags & INUSE) !== 0);
    b += size;
  }
}

export function listBlocks(words: Uint32Array): HeapBlock[] {
  const blocks: HeapBlock[] = [];
  walk(words, (b, size, allocated) => blocks.push({ offset: b + BLOCK_HEADER_SIZE, size: size - BLOCK_HEADER_SIZE, allocated }));
  return blocks;
}

export function computeStats(words: Uint32Array): HeapStats {
  const heapSize = words[HEAP_SIZE_WORD]!;
  const allocatedCounts = new Array<number>(BIN_COUNT).fill(0);
  const freeCounts = new Array<number>(BIN_COUNT).fill(0);
  let allocatedSize = 0;
  let allocatedCount = 0;
  let freeSize = 0;
  let freeCount = 0;
  let freeBlockSizeMax = 0;
  walk(words, (_b, size, allocated) => {
    const bin = binIndex(size);
    if (allocated) {
      allocatedSize += size;
      allocatedCount++;
      allocatedCounts[bin]!++;
    } else {
      freeSize += size;
      freeCount++;
      freeCounts[bin]!++;
      if (size > freeBlockSizeMax) freeBlockSizeMax = size;
    }
  });
  const classes: HeapClassStats[] = [];
  for (let bin = 0; bin < BIN_COUNT; bin++) {
    if (allocatedCounts[bin] === 0 && freeCounts[bin] === 0) continue;
    classes.push({ blockSizeMin: binSizeMin(bin), blockSizeMax: binSizeMax(bin), allocatedCount: allocatedCounts[bin]!, freeCount: freeCounts[bin]! });
  }
  return {
    heapSize,
    capacity: heapSize - BLOCKS_OFFSET - FENCE_SIZE,
    allocatedSize,
    usableSize: allocatedSize - allocatedCount * BLOCK_HEADER_SIZE,
    freeSize,
    allocatedCount,
    freeCount,
    freeBlockSizeMax,
    allocSizeMax: freeBlockSizeMax === 0 ? 0 : freeBlockSizeMax - BLOCK_HEADER_SIZE,
    fragmentation: freeSize === 0 ? 0 : 1 - freeBlockSizeMax / freeSize,
    classes,
  };
}
