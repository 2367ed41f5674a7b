/**
 * Heap: a recoverable allocator inside a segment. Its metadata lives in the
 * segment's bytes only (layout.ts), and every change goes through the caller's
 * transaction, so allocations, frees and roots commit, abort and survive
 * crashes together with the caller's own writes.
 *
 * Invariants:
 * - Nothing about the heap is cached in memory: abort and crash recovery
 *   restore the segment bytes, and the next call reads them. HeapMemory keeps
 *   only a view of the current Buffer and which granules the current
 *   transaction has declared.
 * - A call validates its arguments and finds its blocks before it writes; if
 *   it throws after writing (CONFLICT from setRange, HEAP_CORRUPT met midway),
 *   its writes are rolled back. Either way a failed call changes nothing but
 *   the segment's size (growth is durable at once).
 * - The heap's size only grows. The segment may be larger than the heap
 *   (growth whose transaction aborted); the next growth adopts those bytes.
 */
import { randomBytes } from 'node:crypto';
import type { Rvm, Transaction } from '@rvm/core';
import { RvmError, Segment } from '@rvm/core';
import { readHeader } from './block-header.js';
import { extendBlock, extendHeap, releaseBlock, shrinkBlock, takeBlock } from './block-ops.js';
import { findFit, pushFree } from './free-lists.js';
import { findViolation } from './heap-check.js';
import { HeapError } from './heap-error.js';
import { checkHeader, hasMagic, writeHeader as writeHeapHeader } from './heap-header.js';
import { HeapMemory, viewOf } from './heap-memory.js';
import type { HeapBlock, HeapStats } from './heap-walk.js';
import { computeStats, listBlocks } from './heap-walk.js';
import {
  ALLOC_SIZE_MAX, BLOCK_HEADER_SIZE, BLOCK_SIZE_MIN, BLOCKS_OFFSET, blockSizeFor, FENCE_SIZE, headerCheck, HEAP_SIZE_MAX, HEAP_SIZE_MIN, HEAP_SIZE_WORD,
  INUSE, PREV_INUSE, ROOT_COUNT, SALT_WORD, sizeOf,
} from './layout.js';
import { writeHeader as writeBlockHeader } from './block-header.js';
import { encodeRootName, findRoot, findUnusedRoot, rootEntryOffset, rootName } from './roots.js';

export interface HeapOptions {
  /**
   * When no free block fits, grow the segment (by half the heap, at least
   * 64 KiB and what the request needs) up to this many bytes; grow() may not
   * pass it either. Default: no automatic growth, grow() up to HEAP_SIZE_MAX.
   */
  readonly sizeMax?: number;
}

export interface HeapFormatOptions extends HeapOptions {
  /** Format even when the segment already holds a heap (its blocks are lost when the transaction commits). Default false. */
  readonly overwrite?: boolean;
  /**
   * The salt of the block checks (layout.ts), a u32. Default random, and never
   * the salt of the heap being overwritten. Set it only to make byte-identical
   * heaps (golden images, tests).
   */
  readonly salt?: number;
}

/** Smallest automatic growth step. */
const GROW_SIZE_MIN = 64 * 1024;
const GROW_ALIGNMENT = 4096;

export class Heap {
  private readonly mem: HeapMemory;

  private constructor(
    readonly rvm: Rvm,
    readonly segment: Segment,
    /** The limit of growth, or null: no automatic growth. */
    readonly sizeMax: number | null,
  ) {
    this.mem = new HeapMemory(segment);
  }

  /**
   * Formats an empty heap over the whole segment (up to HEAP_SIZE_MAX bytes)
   * inside `tx`. Refuses a segment that already holds a heap (HEAP_EXISTS)
   * unless `overwrite` is set.
   */
  static format(rvm: Rvm, tx: Transaction, segment: Segment, options: HeapFormatOptions = {}): Heap {
    checkSegment(segment, 'format');
    if (segment.size < HEAP_SIZE_MIN) {
      throw new HeapError('INVALID_ARGUMENT', `Segment "${segment.name}" has ${segment.size} bytes; a heap needs at least ${HEAP_SIZE_MIN}. Grow it with rvm.grow() first.`, { segment: segment.name, size: segment.size });
    }
    const heapSize = Math.min(segment.size - (segment.size % 8), HEAP_SIZE_MAX);
    const heap = new Heap(rvm, segment, sizeMaxOption(options, heapSize));
    const formatted = hasMagic(heap.mem.words);
    if (options.overwrite !== true && formatted) {
      throw new HeapError('HEAP_EXISTS', `Segment "${segment.name}" already holds a heap. Open it with Heap.open(), or pass { overwrite: true } to format it anyway.`, { segment: segment.name });
    }
    let salt = options.salt ?? randomBytes(4).readUInt32LE(0);
    if (typeof salt !== 'number' || !Number.isInteger(salt) || salt < 0 || salt > 0xffff_ffff) {
      throw new HeapError('INVALID_ARGUMENT', `Option salt must be an integer from 0 to 2^32 - 1; got ${String(salt)}.`, { salt });
    }
    // Headers of the heap formatted over must not be valid in the new one.
    if (formatted && salt === heap.mem.words[SALT_WORD]) salt = (salt + 1) >>> 0;
    const mem = heap.mem;
    mem.begin(tx);
    try {
      // Declare everything first, so that nothing can fail once writing starts.
      const fence = heapSize - FENCE_SIZE;
      mem.declare(0, BLOCKS_OFFSET + 16);
      mem.declare(fence - 4, 12);
      writeHeapHeader(mem, heapSize, salt);
      pushFree(mem, BLOCKS_OFFSET, fence - BLOCKS_OFFSET);
      writeBlockHeader(mem, fence, INUSE);
    } catch (e) {
      mem.rollback();
      throw e;
    }
    mem.end();
    return heap;
  }

  /** Opens the heap in `segment`, checking its magic number, version and geometry (not its blocks: see check()). */
  static open(rvm: Rvm, segment: Segment, options: HeapOptions = {}): Heap {
    checkSegment(segment, 'open');
    const words = viewOf(segment.bytes);
    const problem = checkHeader(words, segment.size);
    if (problem !== null) {
      const remedy =
        problem.code === 'NOT_A_HEAP' ? 'Format it with Heap.format(), or open the segment that holds the heap.'
        : problem.code === 'VERSION_MISMATCH' ? 'Open it with the library version that wrote it.'
        : 'Restore the segment from a backup.';
      throw new HeapError(problem.code, `Segment "${segment.name}": ${problem.problem}. ${remedy}`, { segment: segment.name, offset: problem.offset, problem: problem.problem });
    }
    return new Heap(rvm, segment, sizeMaxOption(options, words[HEAP_SIZE_WORD]!));
  }

  /** Whether the segment starts with a heap's magic number. */
  static isFormatted(segment: Segment): boolean {
    checkSegment(segment, 'isFormatted');
    return hasMagic(viewOf(segment.bytes));
  }

  /** Bytes of the segment the heap manages (the segment may be larger). */
  get heapSize(): number {
    this.mem.refresh();
    return this.mem.words[HEAP_SIZE_WORD]!;
  }

  /**
   * Allocates at least `size` bytes inside `tx`; returns the offset of the
   * first byte in the segment (never 0, a multiple of 8). The bytes hold old
   * contents: declare them with tx.setRange before writing them.
   */
  alloc(tx: Transaction, size: number): number {
    const blockSize = checkedBlockSize(size, 'alloc');
    const mem = this.mem;
    mem.begin(tx);
    try {
      let b = findFit(mem.words, blockSize);
      if (b === 0) b = this.growFor(blockSize, size);
      const a = takeBlock(mem, b, blockSize);
      mem.end();
      return a + BLOCK_HEADER_SIZE;
    } catch (e) {
      mem.rollback();
      throw e;
    }
  }

  /** Frees the block at `offset` (as returned by alloc) inside `tx`, coalescing it with free neighbours. */
  free(tx: Transaction, offset: number): void {
    const b = this.liveBlock(offset, 'free');
    const mem = this.mem;
    mem.begin(tx);
    try {
      releaseBlock(mem, b);
    } catch (e) {
      mem.rollback();
      throw e;
    }
    mem.end();
  }

  /**
   * Resizes the block at `offset` to at least `size` bytes inside `tx`, in
   * place when it shrinks or the block after it is free and large enough,
   * otherwise by moving it (the old usable bytes are copied). Returns the new
   * offset. On OUT_OF_SPACE the old block is unchanged.
   */
  realloc(tx: Transaction, offset: number, size: number): number {
    const blockSize = checkedBlockSize(size, 'realloc');
    const b = this.liveBlock(offset, 'realloc');
    const mem = this.mem;
    mem.begin(tx);
    try {
      const current = sizeOf(mem.words[b >>> 2]!);
      if (blockSize <= current) {
        if (current - blockSize >= BLOCK_SIZE_MIN) shrinkBlock(mem, b, blockSize);
        mem.end();
        return offset;
      }
      const next = b + current;
      if (this.nextFits(b, current, blockSize)) {
        extendBlock(mem, b, blockSize);
        mem.end();
        return offset;
      }
      let q = findFit(mem.words, blockSize);
      if (q === 0) {
        q = this.growFor(blockSize, size);
        // Growth may have made the block after this one a large enough free block.
        if (next === q && this.nextFits(b, current, blockSize)) {
          extendBlock(mem, b, blockSize);
          mem.end();
          return offset;
        }
      }
      const a = takeBlock(mem, q, blockSize);
      const length = current - BLOCK_HEADER_SIZE;
      mem.declare(a + BLOCK_HEADER_SIZE, length);
      // Freeing the old block writes links over its first 8 bytes and a footer over its last 4: keep them.
      let words = mem.words;
      const head0 = words[offset >>> 2]!;
      const head1 = words[(offset + 4) >>> 2]!;
      const tail = words[(offset + length - 4) >>> 2]!;
      releaseBlock(mem, b);
      // Nothing can fail from here on, so the copy (not journalled) cannot be left half-undone.
      mem.bytes.copy(mem.bytes, a + BLOCK_HEADER_SIZE, offset, offset + length);
      words = mem.words;
      words[(a + 8) >>> 2] = head0;
      words[(a + 12) >>> 2] = head1;
      words[(a + 8 + length - 4) >>> 2] = tail;
      mem.end();
      return a + BLOCK_HEADER_SIZE;
    } catch (e) {
      mem.rollback();
      throw e;
    }
  }

  /** The usable bytes of the allocated block at `offset` (at least what was asked for). */
  usableSize(offset: number): number {
    const b = this.liveBlock(offset, 'usableSize');
    return sizeOf(this.mem.words[b >>> 2]!) - BLOCK_HEADER_SIZE;
  }

  /**
   * Grows the heap to `size` bytes (rounded down to a multiple of 8) inside
   * `tx`, growing the segment first if it is smaller. The segment's growth is
   * durable at once; the heap's, with the transaction.
   */
  grow(tx: Transaction, size: number): void {
    if (typeof size !== 'number' || !Number.isInteger(size)) throw new HeapError('INVALID_ARGUMENT', `grow needs an integer size; got ${String(size)}.`, { size });
    const target = size - (size % 8);
    const heapSize = this.heapSize;
    const limit = this.sizeMax ?? HEAP_SIZE_MAX;
    if (target === heapSize) return;
    if (target < heapSize + BLOCK_SIZE_MIN) {
      throw new HeapError('INVALID_ARGUMENT', `grow(${size}): the heap has ${heapSize} bytes and grows by at least ${BLOCK_SIZE_MIN}; it cannot shrink.`, { size, heapSize });
    }
    if (target > limit) {
      throw new HeapError('LIMIT_EXCEEDED', `grow(${size}) passes the heap's limit of ${limit} bytes${this.sizeMax === null ? '' : ' (sizeMax)'}. Open the heap with a larger sizeMax.`, { size, heapSize, sizeMax: limit });
    }
    const mem = this.mem;
    mem.begin(tx);
    try {
      this.extendTo(target);
    } catch (e) {
      mem.rollback();
      throw e;
    }
    mem.end();
  }

  /** The offset stored under root `name`, or 0 when there is none. */
  getRoot(name: string): number {
    const padded = encodeRootName(name);
    this.checkMapped();
    const index = findRoot(this.mem.bytes, padded);
    return index < 0 ? 0 : this.mem.words[rootEntryOffset(index) >>> 2]!;
  }

  /** Stores `offset` (an allocated block, or 0 to remove the root) under `name` inside `tx`. */
  setRoot(tx: Transaction, name: string, offset: number): void {
    const padded = encodeRootName(name);
    if (offset !== 0) this.liveBlock(offset, 'setRoot');
    const mem = this.mem;
    mem.begin(tx);
    let index = findRoot(mem.bytes, padded);
    if (index < 0 && offset !== 0) {
      index = findUnusedRoot(mem.bytes);
      if (index < 0) {
        mem.end();
        throw new HeapError('ROOTS_FULL', `All ${ROOT_COUNT} roots are in use. Remove one with setRoot(tx, name, 0), or keep a directory structure under one root.`, { name });
      }
    }
    if (index >= 0) {
      const entry = rootEntryOffset(index);
      mem.declare(entry, 32);
      mem.bytes.fill(0, entry, entry + 32);
      if (offset !== 0) {
        mem.words[entry >>> 2] = offset;
        padded.copy(mem.bytes, entry + 4);
      }
    }
    mem.end();
  }

  /** Every root, in table order. */
  roots(): Array<{ name: string; offset: number }> {
    this.checkMapped();
    const result: Array<{ name: string; offset: number }> = [];
    for (let index = 0; index < ROOT_COUNT; index++) {
      const name = rootName(this.mem.bytes, index);
      if (name !== '') result.push({ name, offset: this.mem.words[rootEntryOffset(index) >>> 2]! });
    }
    return result;
  }

  /** Capacity, allocated and free bytes, largest free block, counts per size class, fragmentation. O(blocks). */
  stats(): HeapStats {
    this.checkMapped();
    return computeStats(this.mem.words);
  }

  /** Every block in address order. O(blocks). */
  blocks(): HeapBlock[] {
    this.checkMapped();
    return listBlocks(this.mem.words);
  }

  /**
   * Verifies the heap's invariants (layout.ts): header, every block header,
   * conservation (the blocks tile the heap), coalescing, free lists, bitmap
   * and roots. Returns the first violation, with its offset, or null.
   */
  check(): string | null {
    this.checkMapped();
    const violation = findViolation(this.mem.bytes, this.mem.words);
    return violation === null ? null : `offset ${violation.offset}: ${violation.problem}`;
  }

  /** Like check(), but throws HEAP_CORRUPT with { offset, problem } for a violation. */
  verify(): void {
    this.checkMapped();
    const violation = findViolation(this.mem.bytes, this.mem.words);
    if (violation !== null) {
      throw new HeapError('HEAP_CORRUPT', `Heap in segment "${this.segment.name}" fails its check at offset ${violation.offset}: ${violation.problem}.`, { segment: this.segment.name, offset: violation.offset, problem: violation.problem });
    }
  }

  // ---------------------------------------------------------------- private

  private checkMapped(): void {
    if (!this.segment.mapped) {
      throw new RvmError('SEGMENT_NOT_MAPPED', `The heap's segment "${this.segment.name}" is no longer mapped. Map it again and open the heap with Heap.open().`, { segment: this.segment.name });
    }
    this.mem.refresh();
  }

  /** The block offset of the allocated block whose caller offset is `offset`; throws when it is none. */
  private liveBlock(offset: number, operation: string): number {
    this.checkMapped();
    const words = this.mem.words;
    const fence = words[HEAP_SIZE_WORD]! - FENCE_SIZE;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset % 8 !== 0 || offset < BLOCKS_OFFSET + BLOCK_HEADER_SIZE || offset - BLOCK_HEADER_SIZE + BLOCK_SIZE_MIN > fence) {
      throw new HeapError('INVALID_OFFSET', `${operation}(${String(offset)}): not a block offset of this heap (blocks lie between ${BLOCKS_OFFSET + BLOCK_HEADER_SIZE} and ${fence}, at multiples of 8). Pass an offset that alloc() returned.`, { offset, operation });
    }
    const b = offset - BLOCK_HEADER_SIZE;
    const sizeFlags = words[b >>> 2]!;
    const size = sizeOf(sizeFlags);
    if (words[(b >>> 2) + 1] !== headerCheck(b, sizeFlags, words[SALT_WORD]!) || size === 0) {
      throw new HeapError('INVALID_OFFSET', `${operation}(${offset}): no block starts there; it is inside a block or was never allocated. Pass an offset that alloc() returned.`, { offset, operation });
    }
    if (size < BLOCK_SIZE_MIN || b + size > fence || (sizeFlags & 4) !== 0) {
      throw new HeapError('HEAP_CORRUPT', `${operation}(${offset}): the block header there is damaged (size ${size}). Run heap.check(); restore the segment from a backup.`, { offset, operation, size });
    }
    if ((sizeFlags & INUSE) === 0) {
      if (operation === 'free') {
        throw new HeapError('DOUBLE_FREE', `free(${offset}): the block is already free (a double free, or a stale pointer to a freed block). Nothing was changed.`, { offset });
      }
      throw new HeapError('INVALID_OFFSET', `${operation}(${offset}): the block there is free, not allocated (a stale pointer). Pass a live block.`, { offset, operation, free: true });
    }
    return b;
  }

  /** Whether the block after the allocated block at `b` (of `current` bytes) is free and large enough to extend it to `blockSize`. */
  private nextFits(b: number, current: number, blockSize: number): boolean {
    const words = this.mem.words;
    const nextFlags = readHeader(words, b + current);
    return (nextFlags & INUSE) === 0 && current + sizeOf(nextFlags) >= blockSize;
  }

  /**
   * Grows the heap so that a block of `blockSize` bytes fits (inside the
   * current operation); returns the free block at the end. OUT_OF_SPACE,
   * before anything changes, when growth is off or would pass sizeMax.
   */
  private growFor(blockSize: number, requested: number): number {
    const words = this.mem.words;
    const heapSize = words[HEAP_SIZE_WORD]!;
    const fence = heapSize - FENCE_SIZE;
    const fenceFlags = words[fence >>> 2]!;
    // A free block at the end merges with the new space.
    const tail = (fenceFlags & PREV_INUSE) === 0 ? words[(fence - 4) >>> 2]! : 0;
    const needed = heapSize + (tail > 0 ? Math.max(blockSize - tail, 8) : blockSize);
    const sizeMax = this.sizeMax;
    if (sizeMax === null || needed > sizeMax) {
      throw new HeapError(
        'OUT_OF_SPACE',
        `No free block holds ${requested} bytes and the heap (${heapSize} bytes) ${sizeMax === null ? 'does not grow automatically' : `may not grow past sizeMax ${sizeMax}`}. Free blocks, call heap.grow(), or open the heap with a larger sizeMax. Nothing was changed; the transaction can go on or abort.`,
        { size: requested, blockSize, heapSize, sizeMax },
      );
    }
    let target = Math.max(needed, heapSize + Math.floor(heapSize / 2), heapSize + GROW_SIZE_MIN);
    target = Math.ceil(target / GROW_ALIGNMENT) * GROW_ALIGNMENT;
    // Bytes the segment already has past the heap (an aborted growth) cost nothing to adopt.
    const segmentSize = this.segment.size;
    target = Math.min(Math.max(target, segmentSize - (segmentSize % 8)), sizeMax);
    return this.extendTo(target);
  }

  /** Grows the segment if needed, then the heap to `target` bytes (inside the current operation). */
  private extendTo(target: number): number {
    if (this.segment.size < target) this.rvm.grow(this.segment, target);
    this.mem.refresh();
    return extendHeap(this.mem, target);
  }
}

function checkSegment(segment: Segment, operation: string): void {
  if (!(segment instanceof Segment)) throw new HeapError('INVALID_ARGUMENT', `Heap.${operation} needs a Segment returned by rvm.map().`, { operation });
  if (!segment.mapped) throw new RvmError('SEGMENT_NOT_MAPPED', `Heap.${operation}: segment "${segment.name}" is not mapped. Map it with rvm.map() first.`, { segment: segment.name });
}

function sizeMaxOption(options: HeapOptions, heapSize: number): number | null {
  const sizeMax = options.sizeMax;
  if (sizeMax === undefined) return null;
  if (typeof sizeMax !== 'number' || !Number.isInteger(sizeMax) || sizeMax < heapSize || sizeMax > HEAP_SIZE_MAX) {
    throw new HeapError('INVALID_ARGUMENT', `Option sizeMax must be an integer from the heap's size (${heapSize}) to ${HEAP_SIZE_MAX}; got ${String(sizeMax)}.`, { sizeMax, heapSize });
  }
  return sizeMax - (sizeMax % 8);
}

function checkedBlockSize(size: number, operation: string): number {
  if (typeof size !== 'number' || !(size >= 1 && size <= ALLOC_SIZE_MAX) || Math.floor(size) !== size) {
    throw new HeapError('INVALID_SIZE', `${operation}(${String(size)}): the size must be an integer from 1 to ${ALLOC_SIZE_MAX}.`, { size, operation });
  }
  return blockSizeFor(size);
}
