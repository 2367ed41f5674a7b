/**
 * Reading and writing block headers (layout.ts): validated reads, declared and
 * journalled writes, and the HEAP_CORRUPT error for metadata that fails
 * validation.
 */
import { HeapError } from './heap-error.js';
import type { HeapMemory } from './heap-memory.js';
import { BLOCK_SIZE_MIN, BLOCKS_OFFSET, FENCE_SIZE, headerCheck, PREV_INUSE, SALT_WORD } from './layout.js';

/** Throws HEAP_CORRUPT. Out of line so that the hot paths stay small. */
export function corrupt(offset: number, problem: string): never {
  throw new HeapError('HEAP_CORRUPT', `The heap is damaged at offset ${offset}: ${problem}. The operation changed nothing; heap.check() reports the first violation. Restore the segment from a backup.`, { offset, problem });
}

/** Whether the header at `b` carries a valid check. */
export function isValidHeader(words: Uint32Array, b: number): boolean {
  const index = b >>> 2;
  return words[index + 1] === headerCheck(b, words[index]!, words[SALT_WORD]!);
}

/** The sizeFlags of the header at `b`, which must be valid (else HEAP_CORRUPT). */
export function readHeader(words: Uint32Array, b: number): number {
  const index = b >>> 2;
  const sizeFlags = words[index]!;
  if (words[index + 1] !== headerCheck(b, sizeFlags, words[SALT_WORD]!)) corrupt(b, 'the block header check does not match');
  return sizeFlags;
}

/** Writes the header at `b` (sizeFlags as a non-negative number) with its check. */
export function writeHeader(mem: HeapMemory, b: number, sizeFlags: number): void {
  mem.declare(b, 8);
  mem.put(b, sizeFlags);
  mem.put(b + 4, headerCheck(b, sizeFlags, mem.words[SALT_WORD]!));
}

/** Sets or clears PREV_INUSE in the (valid) header at `b`. */
export function setPrevInUse(mem: HeapMemory, b: number, inUse: boolean): void {
  const sizeFlags = readHeader(mem.words, b);
  const has = (sizeFlags & PREV_INUSE) !== 0;
  if (has === inUse) return;
  writeHeader(mem, b, inUse ? sizeFlags + PREV_INUSE : sizeFlags - PREV_INUSE);
}

/** Whether `offset` may be a free-list link of a heap of `heapSize` bytes: 0 or an aligned block offset. */
export function isLink(offset: number, heapSize: number): boolean {
  return offset === 0 || ((offset & 7) === 0 && offset >= BLOCKS_OFFSET && offset + BLOCK_SIZE_MIN <= heapSize - FENCE_SIZE);
}
