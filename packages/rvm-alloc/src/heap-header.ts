/**
 * The heap header (layout.ts): written by format, validated by open and check.
 * Bytes read from the segment are untrusted: validation returns a problem,
 * it never asserts.
 */
import { isValidHeader } from './block-header.js';
import type { HeapMemory } from './heap-memory.js';
import {
  BIN_COUNT_OFFSET, BITMAP_OFFSET, BITMAP_WORD, BITMAP_WORD_COUNT, BLOCKS_OFFSET, BLOCKS_OFFSET_OFFSET, FENCE_SIZE, FLAG_MASK,
  HEAP_FORMAT_VERSION, HEAP_MAGIC, HEAP_SIZE_MAX, HEAP_SIZE_MIN, HEAP_SIZE_OFFSET, INUSE, MAGIC_OFFSET, RESERVED_OFFSET,
  ROOT_COUNT, ROOT_COUNT_OFFSET, SALT_OFFSET, VERSION_OFFSET,
} from './layout.js';
import { BIN_COUNT } from './size-class.js';

export interface HeaderProblem {
  readonly code: 'NOT_A_HEAP' | 'VERSION_MISMATCH' | 'HEAP_CORRUPT';
  readonly offset: number;
  readonly problem: string;
}

/** Whether the segment starts with the heap magic number. */
export function hasMagic(words: Uint32Array): boolean {
  return words.length > 0 && words[MAGIC_OFFSET >>> 2] === HEAP_MAGIC;
}

/** The first problem of the header (and fence) of the heap in `words` (a view of a whole segment), or null. */
export function checkHeader(words: Uint32Array, segmentSize: number): HeaderProblem | null {
  if (segmentSize < HEAP_SIZE_MIN) {
    return hasMagic(words)
      ? { code: 'HEAP_CORRUPT', offset: 0, problem: `the segment has ${segmentSize} bytes, fewer than the smallest heap (${HEAP_SIZE_MIN})` }
      : { code: 'NOT_A_HEAP', offset: 0, problem: `the segment has ${segmentSize} bytes, fewer than the smallest heap (${HEAP_SIZE_MIN})` };
  }
  const magic = words[MAGIC_OFFSET >>> 2]!;
  if (magic !== HEAP_MAGIC) return { code: 'NOT_A_HEAP', offset: MAGIC_OFFSET, problem: `the magic number is 0x${magic.toString(16)}, not 0x${HEAP_MAGIC.toString(16)}` };
  const version = words[VERSION_OFFSET >>> 2]!;
  if (version !== HEAP_FORMAT_VERSION) return { code: 'VERSION_MISMATCH', offset: VERSION_OFFSET, problem: `format version ${version}; this library reads version ${HEAP_FORMAT_VERSION}` };
  const heapSize = words[HEAP_SIZE_OFFSET >>> 2]!;
  if ((heapSize & 7) !== 0 || heapSize < HEAP_SIZE_MIN || heapSize > HEAP_SIZE_MAX) {
    return { code: 'HEAP_CORRUPT', offset: HEAP_SIZE_OFFSET, problem: `heapSize ${heapSize} is not a multiple of 8 from ${HEAP_SIZE_MIN} to ${HEAP_SIZE_MAX}` };
  }
  if (heapSize > segmentSize) return { code: 'HEAP_CORRUPT', offset: HEAP_SIZE_OFFSET, problem: `heapSize ${heapSize} exceeds the segment's ${segmentSize} bytes` };
  const geometry: Array<[number, number, string]> = [
    [BLOCKS_OFFSET_OFFSET, BLOCKS_OFFSET, 'blocksOffset'],
    [BIN_COUNT_OFFSET, BIN_COUNT, 'binCount'],
    [ROOT_COUNT_OFFSET, ROOT_COUNT, 'rootCount'],
    [RESERVED_OFFSET, 0, 'reserved'],
  ];
  for (const [offset, expected, field] of geometry) {
    const value = words[offset >>> 2]!;
    if (value !== expected) return { code: 'HEAP_CORRUPT', offset, problem: `${field} is ${value}, not ${expected}` };
  }
  for (let word = 0; word < BITMAP_WORD_COUNT; word++) {
    const first = word * 32;
    const used = BIN_COUNT - first >= 32 ? 0xffff_ffff : BIN_COUNT <= first ? 0 : 2 ** (BIN_COUNT - first) - 1;
    const value = words[BITMAP_WORD + word]!;
    if (value > used || (value & ~used) !== 0) return { code: 'HEAP_CORRUPT', offset: BITMAP_OFFSET + word * 4, problem: `bitmap word ${word} (0x${value.toString(16)}) marks lists past the last (${BIN_COUNT - 1})` };
  }
  const fence = heapSize - FENCE_SIZE;
  if (!isValidHeader(words, fence)) return { code: 'HEAP_CORRUPT', offset: fence, problem: 'the fence header check does not match' };
  const fenceFlags = words[fence >>> 2]!;
  if (fenceFlags - (fenceFlags & FLAG_MASK) !== 0 || (fenceFlags & INUSE) === 0 || (fenceFlags & 4) !== 0) {
    return { code: 'HEAP_CORRUPT', offset: fence, problem: `the fence header 0x${fenceFlags.toString(16)} is not size 0 and in use` };
  }
  return null;
}

/** Writes a header for an empty heap of `heapSize` bytes (no blocks yet): zero lists, no roots. */
export function writeHeader(mem: HeapMemory, heapSize: number, salt: number): void {
  mem.declare(0, BLOCKS_OFFSET);
  mem.bytes.fill(0, 0, BLOCKS_OFFSET);
  const words = mem.words;
  words[MAGIC_OFFSET >>> 2] = HEAP_MAGIC;
  words[VERSION_OFFSET >>> 2] = HEAP_FORMAT_VERSION;
  words[HEAP_SIZE_OFFSET >>> 2] = heapSize;
  words[BLOCKS_OFFSET_OFFSET >>> 2] = BLOCKS_OFFSET;
  words[BIN_COUNT_OFFSET >>> 2] = BIN_COUNT;
  words[ROOT_COUNT_OFFSET >>> 2] = ROOT_COUNT;
  words[SALT_OFFSET >>> 2] = salt;
}
