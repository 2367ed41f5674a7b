/**
 * The segregated free lists: one doubly linked list per size class
 * (size-class.ts), heads and a non-empty bitmap in the heap header. Push and
 * unlink are constant time; finding a fit is constant time for small requests
 * and bounded (SCAN_COUNT_MAX blocks) for large ones.
 */
import { corrupt, isLink, writeHeader } from './block-header.js';
import type { HeapMemory } from './heap-memory.js';
import { BITMAP_OFFSET, BITMAP_WORD, BITMAP_WORD_COUNT, HEADS_OFFSET, HEADS_WORD, HEAP_SIZE_WORD, PREV_INUSE, sizeOf } from './layout.js';
import { BIN_COUNT, binIndex, SCAN_COUNT_MAX, SMALL_BIN_COUNT } from './size-class.js';

/** Makes the block at `b` a free block of `size` bytes (header, links, footer) at the head of its list. */
export function pushFree(mem: HeapMemory, b: number, size: number): void {
  const words = mem.words;
  const bin = binIndex(size);
  const headOffset = HEADS_OFFSET + bin * 4;
  const head = words[headOffset >>> 2]!;
  // The block before a free block is allocated: free blocks are always coalesced.
  writeHeader(mem, b, size + PREV_INUSE);
  mem.declare(b + 8, 8);
  mem.put(b + 8, head);
  mem.put(b + 12, 0);
  const footer = b + size - 4;
  mem.declare(footer, 4);
  mem.put(footer, size);
  if (head !== 0) {
    mem.declare(head + 12, 4);
    mem.put(head + 12, b);
  } else {
    setBinBit(mem, bin, true);
  }
  mem.declare(headOffset, 4);
  mem.put(headOffset, b);
}

/** Takes the free block at `b` (of `size` bytes) off its list. Its own links are left as they are. */
export function unlink(mem: HeapMemory, b: number, size: number): void {
  const words = mem.words;
  const heapSize = words[HEAP_SIZE_WORD]!;
  const next = words[(b + 8) >>> 2]!;
  const prev = words[(b + 12) >>> 2]!;
  if (!isLink(next, heapSize) || !isLink(prev, heapSize)) corrupt(b, 'a free-list link points outside the heap');
  if (prev !== 0) {
    if (words[(prev + 8) >>> 2] !== b) corrupt(prev, 'the next link of a free block does not point back');
    mem.declare(prev + 8, 4);
    mem.put(prev + 8, next);
  } else {
    const bin = binIndex(size);
    const headOffset = HEADS_OFFSET + bin * 4;
    if (words[headOffset >>> 2] !== b) corrupt(b, 'a free block without a previous link is not the head of its list');
    mem.declare(headOffset, 4);
    mem.put(headOffset, next);
    if (next === 0) setBinBit(mem, bin, false);
  }
  if (next !== 0) {
    if (words[(next + 12) >>> 2] !== b) corrupt(next, 'the previous link of a free block does not point back');
    mem.declare(next + 12, 4);
    mem.put(next + 12, prev);
  }
}

function setBinBit(mem: HeapMemory, bin: number, on: boolean): void {
  const offset = BITMAP_OFFSET + (bin >>> 5) * 4;
  const old = mem.words[offset >>> 2]!;
  const bit = 1 << (bin & 31);
  const value = on ? old | bit : old & ~bit;
  mem.declare(offset, 4);
  mem.put(offset, value);
}

/**
 * A free block of at least `size` bytes, or 0 when none is found. Reads only.
 * Small requests: the head of their exact bin, else of the next non-empty bin.
 * Large requests: the best fit among the first SCAN_COUNT_MAX blocks of their
 * bin, else the smallest among the first SCAN_COUNT_MAX of the next non-empty bin.
 */
export function findFit(words: Uint32Array, size: number): number {
  const bin = binIndex(size);
  const heapSize = words[HEAP_SIZE_WORD]!;
  const head = words[HEADS_WORD + bin]!;
  if (head !== 0) {
    if (bin < SMALL_BIN_COUNT) return head;
    const b = bestFit(words, head, size, heapSize);
    if (b !== 0) return b;
  }
  const next = nextNonEmptyBin(words, bin + 1);
  if (next < 0) return 0;
  const nextHead = words[HEADS_WORD + next]!;
  if (nextHead === 0) corrupt(BITMAP_OFFSET, `the bitmap marks free list ${next} non-empty but its head is 0`);
  if (next < SMALL_BIN_COUNT) return nextHead;
  return bestFit(words, nextHead, size, heapSize);
}

function bestFit(words: Uint32Array, head: number, size: number, heapSize: number): number {
  let best = 0;
  let bestSize = 0;
  let b = head;
  for (let n = 0; b !== 0 && n < SCAN_COUNT_MAX; n++) {
    if (!isLink(b, heapSize)) corrupt(b, 'a free-list link points outside the heap');
    const blockSize = sizeOf(words[b >>> 2]!);
    if (blockSize >= size && (best === 0 || blockSize < bestSize || (blockSize === bestSize && b < best))) {
      best = b;
      bestSize = blockSize;
      if (blockSize === size) break;
    }
    b = words[(b + 8) >>> 2]!;
  }
  return best;
}

/** The first bin >= `from` whose bitmap bit is set, or -1. */
export function nextNonEmptyBin(words: Uint32Array, from: number): number {
  let word = from >>> 5;
  if (word >= BITMAP_WORD_COUNT) return -1;
  let bits = words[BITMAP_WORD + word]! & (-1 << (from & 31));
  while (bits === 0) {
    word++;
    if (word === BITMAP_WORD_COUNT) return -1;
    bits = words[BITMAP_WORD + word]! | 0;
  }
  const bin = (word << 5) + 31 - Math.clz32(bits & -bits);
  if (bin >= BIN_COUNT) corrupt(BITMAP_OFFSET, `the bitmap marks free list ${bin}, past the last (${BIN_COUNT - 1})`);
  return bin;
}
