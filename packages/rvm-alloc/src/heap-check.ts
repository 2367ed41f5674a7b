/**
 * check(): the heap's invariants (layout.ts), verified from the bytes alone.
 * Returns the first violation with its offset. It walks every block and every
 * free list, so it costs O(blocks) time and memory: for tests and diagnosis.
 */
import { isValidHeader } from './block-header.js';
import { checkHeader } from './heap-header.js';
import { BITMAP_OFFSET, BITMAP_WORD, BLOCK_SIZE_MIN, BLOCKS_OFFSET, FENCE_SIZE, HEADS_OFFSET, HEADS_WORD, HEAP_SIZE_WORD, INUSE, PREV_INUSE, ROOT_COUNT, ROOT_ENTRY_SIZE, sizeOf } from './layout.js';
import { rootEntryOffset, rootName, ROOT_NAME_SIZE_MAX } from './roots.js';
import { BIN_COUNT, binIndex } from './size-class.js';

export interface HeapViolation {
  /** The segment offset of the damaged or inconsistent field. */
  readonly offset: number;
  readonly problem: string;
}

export function findViolation(bytes: Buffer, words: Uint32Array): HeapViolation | null {
  const header = checkHeader(words, bytes.length);
  if (header !== null) return { offset: header.offset, problem: header.problem };
  const heapSize = words[HEAP_SIZE_WORD]!;
  const fence = heapSize - FENCE_SIZE;

  // 1. The blocks tile [BLOCKS_OFFSET, fence): each header valid, sizes sane, flags mirrored, free blocks coalesced.
  const freeBlocks = new Map<number, number>();
  const allocated = new Set<number>();
  let allocatedSize = 0;
  let freeSize = 0;
  let prevInUse = true;
  let b = BLOCKS_OFFSET;
  while (b < fence) {
    if (!isValidHeader(words, b)) return { offset: b, problem: 'the block header check does not match (the block before overran its end, or the header was overwritten)' };
    const sizeFlags = words[b >>> 2]!;
    const size = sizeOf(sizeFlags);
    if ((sizeFlags & 4) !== 0) return { offset: b, problem: 'reserved flag bit 2 is set' };
    if (size < BLOCK_SIZE_MIN) return { offset: b, problem: `block size ${size} is below the minimum ${BLOCK_SIZE_MIN}` };
    if (b + size > fence) return { offset: b, problem: `block of ${size} bytes runs past the fence at ${fence}` };
    if (((sizeFlags & PREV_INUSE) !== 0) !== prevInUse) return { offset: b, problem: `PREV_INUSE is ${(sizeFlags & PREV_INUSE) !== 0} but the block before is ${prevInUse ? 'allocated' : 'free'}` };
    if ((sizeFlags & INUSE) !== 0) {
      allocated.add(b);
      allocatedSize += size;
      prevInUse = true;
    } else {
      if (!prevInUse) return { offset: b, problem: 'two adjacent free blocks (a free was not coalesced)' };
      const footer = words[(b + size - 4) >>> 2]!;
      if (footer !== size) return { offset: b + size - 4, problem: `the footer of the free block at ${b} is ${footer}, not its size ${size}` };
      freeBlocks.set(b, size);
      freeSize += size;
      prevInUse = false;
    }
    b += size;
  }
  if (((words[fence >>> 2]! & PREV_INUSE) !== 0) !== prevInUse) return { offset: fence, problem: `the fence's PREV_INUSE does not match the last block (${prevInUse ? 'allocated' : 'free'})` };
  // Conservation: every byte between the header and the fence is in exactly one block.
  if (allocatedSize + freeSize !== fence - BLOCKS_OFFSET) return { offset: BLOCKS_OFFSET, problem: `blocks hold ${allocatedSize + freeSize} bytes, not ${fence - BLOCKS_OFFSET}` };

  // 2. Every free block is on exactly one list, the one of its class; links agree; the bitmap mirrors the heads.
  const listed = new Set<number>();
  for (let bin = 0; bin < BIN_COUNT; bin++) {
    const head = words[HEADS_WORD + bin]!;
    const bit = (words[BITMAP_WORD + (bin >>> 5)]! >>> (bin & 31)) & 1;
    if ((head !== 0) !== (bit === 1)) return { offset: BITMAP_OFFSET + (bin >>> 5) * 4, problem: `the bitmap bit of free list ${bin} is ${bit} but the list is ${head === 0 ? 'empty' : 'not empty'}` };
    let prev = 0;
    let linkOffset = HEADS_OFFSET + bin * 4;
    for (let f = head; f !== 0; f = words[(f + 8) >>> 2]!) {
      const size = freeBlocks.get(f);
      if (size === undefined) return { offset: linkOffset, problem: `free list ${bin} links to ${f}, which is not a free block` };
      if (listed.has(f)) return { offset: linkOffset, problem: `free block ${f} is linked twice (a cycle or two lists)` };
      listed.add(f);
      if (binIndex(size) !== bin) return { offset: f, problem: `free block of ${size} bytes is on list ${bin}, not ${binIndex(size)}` };
      if (words[(f + 12) >>> 2] !== prev) return { offset: f + 12, problem: `the previous link of free block ${f} is ${words[(f + 12) >>> 2]}, not ${prev}` };
      prev = f;
      linkOffset = f + 8;
    }
  }
  if (listed.size !== freeBlocks.size) {
    for (const f of freeBlocks.keys()) if (!listed.has(f)) return { offset: f, problem: 'free block is on no free list (leaked)' };
  }

  // 3. Roots: unused entries are zero, names are well formed, offsets are allocated blocks.
  for (let index = 0; index < ROOT_COUNT; index++) {
    const entry = rootEntryOffset(index);
    const nameStart = entry + 4;
    if (bytes[nameStart] === 0) {
      for (let k = entry; k < entry + ROOT_ENTRY_SIZE; k++) if (bytes[k] !== 0) return { offset: k, problem: `unused root entry ${index} is not all zeros` };
      continue;
    }
    let end = nameStart;
    while (end < nameStart + ROOT_NAME_SIZE_MAX && bytes[end] !== 0) end++;
    for (let k = end; k < nameStart + ROOT_NAME_SIZE_MAX; k++) if (bytes[k] !== 0) return { offset: k, problem: `root entry ${index} has bytes after the end of its name` };
    const offset = words[entry >>> 2]!;
    if (!allocated.has(offset - 8)) return { offset: entry, problem: `root "${rootName(bytes, index)}" points to ${offset}, which is not an allocated block` };
  }
  return null;
}
