/**
 * The block operations every heap call is made of: take (part of) a free
 * block, release an allocated block (coalescing with both neighbours), resize
 * a block in place, and add space at the end of the heap. They run inside an
 * operation of HeapMemory (every write declared and journalled) and keep the
 * invariants of layout.ts: blocks tile the heap, free blocks are coalesced and
 * on the list of their class, PREV_INUSE mirrors the block before.
 */
import { assert } from './assert.js';
import { corrupt, readHeader, setPrevInUse, writeHeader } from './block-header.js';
import { pushFree, unlink } from './free-lists.js';
import type { HeapMemory } from './heap-memory.js';
import { BLOCK_SIZE_MIN, BLOCKS_OFFSET, FENCE_SIZE, HEAP_SIZE_OFFSET, HEAP_SIZE_WORD, INUSE, PREV_INUSE, sizeOf } from './layout.js';
import { binIndex } from './size-class.js';

/**
 * Allocates `size` bytes (a block size) from the free block at `b`, which has
 * at least that many; returns the allocated block's offset. A remainder of at
 * least BLOCK_SIZE_MIN stays free: the allocation is carved from the end of
 * the free block, so the remainder keeps its place (and, usually, its list).
 */
export function takeBlock(mem: HeapMemory, b: number, size: number): number {
  const words = mem.words;
  const sizeFlags = readHeader(words, b);
  if ((sizeFlags & INUSE) !== 0) corrupt(b, 'a block on a free list is marked in use');
  const blockSize = sizeOf(sizeFlags);
  assert(blockSize >= size, 'takeBlock: the free block fits');
  const next = b + blockSize;
  const rest = blockSize - size;
  if (rest < BLOCK_SIZE_MIN) {
    unlink(mem, b, blockSize);
    writeHeader(mem, b, blockSize + INUSE + PREV_INUSE);
    setPrevInUse(mem, next, true);
    return b;
  }
  if (binIndex(rest) === binIndex(blockSize)) {
    writeHeader(mem, b, rest + PREV_INUSE);
    mem.declare(b + rest - 4, 4);
    mem.put(b + rest - 4, rest);
  } else {
    unlink(mem, b, blockSize);
    pushFree(mem, b, rest);
  }
  const a = b + rest;
  // PREV_INUSE clear: the block before (the remainder) is free.
  writeHeader(mem, a, size + INUSE);
  setPrevInUse(mem, next, true);
  return a;
}

/** Frees the allocated block at `b` (validated by the caller), coalescing it with free neighbours. */
export function releaseBlock(mem: HeapMemory, b: number): void {
  const words = mem.words;
  const sizeFlags = words[b >>> 2]!;
  assert((sizeFlags & INUSE) !== 0, 'releaseBlock: the block is allocated');
  const size = sizeOf(sizeFlags);
  let start = b;
  let total = size;
  let prevSize = 0;
  if ((sizeFlags & PREV_INUSE) === 0) {
    prevSize = words[(b - 4) >>> 2]!;
    const p = b - prevSize;
    if (prevSize < BLOCK_SIZE_MIN || (prevSize & 7) !== 0 || p < BLOCKS_OFFSET) corrupt(b - 4, 'the footer of the free block before is not a valid size');
    const prevFlags = readHeader(words, p);
    if ((prevFlags & INUSE) !== 0 || sizeOf(prevFlags) !== prevSize) corrupt(p, 'the block before is not the free block its footer describes');
    start = p;
    total += prevSize;
  }
  const next = b + size;
  const nextFlags = readHeader(words, next);
  const nextFree = (nextFlags & INUSE) === 0;
  if (nextFree) {
    const nextSize = sizeOf(nextFlags);
    unlink(mem, next, nextSize);
    total += nextSize;
  }
  if (start === b) {
    pushFree(mem, b, total);
  } else {
    // The freed header stays readable as free, so that a second free() of it is a DOUBLE_FREE.
    writeHeader(mem, b, size);
    if (binIndex(total) === binIndex(prevSize)) {
      writeHeader(mem, start, total + PREV_INUSE);
      mem.declare(start + total - 4, 4);
      mem.put(start + total - 4, total);
    } else {
      unlink(mem, start, prevSize);
      pushFree(mem, start, total);
    }
  }
  // After a forward merge the block after is already marked as following a free block.
  if (!nextFree) setPrevInUse(mem, next, false);
}

/** Shrinks the allocated block at `b` to `size` bytes, freeing the tail (at least BLOCK_SIZE_MIN). */
export function shrinkBlock(mem: HeapMemory, b: number, size: number): void {
  const sizeFlags = mem.words[b >>> 2]!;
  const blockSize = sizeOf(sizeFlags);
  assert(blockSize - size >= BLOCK_SIZE_MIN, 'shrinkBlock: the tail can be a block');
  writeHeader(mem, b, size + (sizeFlags & (INUSE | PREV_INUSE)));
  const tail = b + size;
  writeHeader(mem, tail, blockSize - size + INUSE + PREV_INUSE);
  releaseBlock(mem, tail);
}

/**
 * Grows the allocated block at `b` to at least `size` bytes by absorbing the
 * free block after it, which must be large enough (the caller checked).
 */
export function extendBlock(mem: HeapMemory, b: number, size: number): void {
  const words = mem.words;
  const sizeFlags = words[b >>> 2]!;
  const blockSize = sizeOf(sizeFlags);
  const next = b + blockSize;
  const nextSize = sizeOf(words[next >>> 2]!);
  const total = blockSize + nextSize;
  assert(total >= size, 'extendBlock: the neighbour is large enough');
  unlink(mem, next, nextSize);
  const flags = sizeFlags & (INUSE | PREV_INUSE);
  if (total - size >= BLOCK_SIZE_MIN) {
    writeHeader(mem, b, size + flags);
    // The block after the new free tail already has PREV_INUSE clear (it followed a free block).
    pushFree(mem, b + size, total - size);
  } else {
    writeHeader(mem, b, total + flags);
    setPrevInUse(mem, b + total, true);
  }
}

/**
 * Moves the fence from the heap's current end to `heapSize` (the segment is
 * already that large) and makes the space between a free block, merged with
 * the free block at the old end if there is one. Returns that block's offset.
 */
export function extendHeap(mem: HeapMemory, heapSize: number): number {
  const words = mem.words;
  const oldSize = words[HEAP_SIZE_WORD]!;
  const oldFence = oldSize - FENCE_SIZE;
  assert(heapSize > oldSize && heapSize <= mem.bytes.length && (heapSize & 7) === 0, 'extendHeap: a larger, aligned size within the segment');
  const fenceFlags = readHeader(words, oldFence);
  let start = oldFence;
  let size = heapSize - oldSize;
  if ((fenceFlags & PREV_INUSE) === 0) {
    const lastSize = words[(oldFence - 4) >>> 2]!;
    const last = oldFence - lastSize;
    if (lastSize < BLOCK_SIZE_MIN || (lastSize & 7) !== 0 || last < BLOCKS_OFFSET) corrupt(oldFence - 4, 'the footer of the last block is not a valid size');
    const lastFlags = readHeader(words, last);
    if ((lastFlags & INUSE) !== 0 || sizeOf(lastFlags) !== lastSize) corrupt(last, 'the last block is not the free block its footer describes');
    unlink(mem, last, lastSize);
    start = last;
    size += lastSize;
  }
  assert(size >= BLOCK_SIZE_MIN, 'extendHeap: the new free block is a block');
  mem.declare(HEAP_SIZE_OFFSET, 4);
  mem.put(HEAP_SIZE_OFFSET, heapSize);
  pushFree(mem, start, size);
  writeHeader(mem, heapSize - FENCE_SIZE, INUSE);
  return start;
}
