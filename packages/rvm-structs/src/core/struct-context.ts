/**
 * What every persistent structure stands on: one mapped segment, the heap in
 * it, and the transaction that mutations run in. Every write a structure makes
 * goes through the write helpers here, which declare the bytes with setRange
 * before changing them; a structure never writes segment bytes any other way,
 * so a forgotten setRange is impossible by construction.
 *
 * Rules for structure code:
 * - Read `ctx.bytes` afresh after anything that can allocate: an allocation
 *   may grow the segment, which replaces its Buffer.
 * - Keep no cache of segment contents across calls unless it is invalidated
 *   on abort (ctx.generation changes whenever a transaction ends, commit or
 *   abort, and whenever the segment grows).
 */
import type { Rvm, Segment, Transaction } from '@rvm/core';
import { AssertionError } from '@rvm/core';
import type { Heap } from '@rvm/alloc';
import { StructError } from './struct-error.js';
import { copyRange } from './copy.js';
import { RecordCodec } from './record-codec.js';

const EMPTY_VIEW: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/** A DataView of the last bytes asked for, made again only when the bytes change. */
class DataViewCache {
  private bytes: Uint8Array | null = null;
  private view = EMPTY_VIEW;

  of(bytes: Uint8Array): DataView<ArrayBufferLike> {
    if (bytes !== this.bytes) {
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      this.bytes = bytes;
    }
    return this.view;
  }

  /** Drops the view, so that it keeps no memory alive. */
  forget(): void {
    this.bytes = null;
    this.view = EMPTY_VIEW;
  }
}

export class StructContext {
  /** The transaction mutations run in, or null. Set by the Store (store.ts) around transaction(fn). */
  current: Transaction | null = null;
  /**
   * Changes whenever cached knowledge of segment contents may be stale: a
   * transaction ended (abort restores bytes) or the segment grew.
   */
  generation = 0;
  /**
   * Counts mutations of structures made through this context (in memory
   * only). An iterator that resumes by seeking again (the B-tree's) compares
   * it and `generation` with the values it saw, to know when the nodes it
   * stood on may have changed.
   */
  mutationCount = 0;

  private recordCodec: RecordCodec | null = null;

  constructor(
    readonly rvm: Rvm,
    readonly segment: Segment,
    readonly heap: Heap,
  ) {}

  /** The segment's MessagePack codec with its shared structure table (record-codec.ts), made on first use. */
  records(): RecordCodec {
    this.recordCodec ??= new RecordCodec(this);
    return this.recordCodec;
  }

  /** The segment's memory. Do not keep it across an allocation (growth replaces it). */
  get bytes(): Buffer {
    return this.segment.bytes;
  }

  /** The open transaction; throws NO_TRANSACTION when there is none. */
  tx(): Transaction {
    const tx = this.current;
    if (tx === null || !tx.open) {
      throw new StructError('NO_TRANSACTION', 'This mutation needs an open transaction: run it inside store.transaction(() => ...).');
    }
    return tx;
  }

  /** Declares bytes [offset, offset + length) in the current transaction. */
  declare(offset: number, length: number): void {
    this.tx().setRange(this.segment, offset, length);
  }

  writeU8(offset: number, value: number): void {
    this.declare(offset, 1);
    this.segment.bytes[offset] = value;
  }

  writeU16(offset: number, value: number): void {
    this.declare(offset, 2);
    this.segment.bytes.writeUInt16LE(value, offset);
  }

  writeU32(offset: number, value: number): void {
    this.declare(offset, 4);
    this.segment.bytes.writeUInt32LE(value, offset);
  }

  writeF64(offset: number, value: number): void {
    this.declare(offset, 8);
    this.segment.bytes.writeDoubleLE(value, offset);
  }

  /** Copies source[start, end) to the segment at `offset`. */
  writeBytes(offset: number, source: Uint8Array, start: number, end: number): void {
    this.declare(offset, end - start);
    copyRange(source, start, end, this.segment.bytes, offset);
  }

  /**
   * Makes the segment at `offset` hold source[start, end), declaring only the
   * span from the first to the last byte that differs (nothing when none
   * does). Returns the bytes declared. Each declared byte costs the commit
   * several times over (an undo copy, a copy into the log batch, the log
   * write and its checksum, later the truncation), each compared one about
   * 0.7 ns (four at a time through DataViews; a byte loop takes 2 ns): an
   * update that rewrites a record with a few changed fields (a counter, a
   * timestamp) logs those bytes instead of the record. The bytes compared
   * and the bytes no longer declared are the same ones, so the comparison
   * never costs more than it saves. The source must not be the segment.
   */
  writeBytesChanged(offset: number, source: Uint8Array, start: number, end: number): number {
    const bytes = this.segment.bytes;
    const view = this.segmentView.of(bytes);
    const sourceView = this.sourceView.of(source);
    const shift = offset - start;
    let first = start;
    while (first + 4 <= end && view.getInt32(first + shift, true) === sourceView.getInt32(first, true)) first += 4;
    while (first < end && bytes[first + shift] === source[first]) first++;
    if (first === end) return 0;
    let last = end;
    while (last - 4 >= first && view.getInt32(last - 4 + shift, true) === sourceView.getInt32(last - 4, true)) last -= 4;
    while (bytes[last - 1 + shift] === source[last - 1]) last--;
    this.declare(first + shift, last - first);
    copyRange(source, first, last, bytes, first + shift);
    return last - first;
  }

  /**
   * The segment memory and the source that writeBytesChanged last read. One
   * source is kept: the callers pass their own scratch buffer each time, so a
   * view is made again only when a program switches between structures.
   */
  private readonly segmentView = new DataViewCache();
  private readonly sourceView = new DataViewCache();

  /** Moves segment bytes [from, from + length) to `to` (regions may overlap). */
  moveBytes(to: number, from: number, length: number): void {
    if (length === 0) return;
    this.declare(to, length);
    this.segment.bytes.copyWithin(to, from, from + length);
  }

  fill(offset: number, length: number, value: number): void {
    this.declare(offset, length);
    this.segment.bytes.fill(value, offset, offset + length);
  }

  writeF32(offset: number, value: number): void {
    this.declare(offset, 4);
    this.segment.bytes.writeFloatLE(value, offset);
  }

  writeBigU64(offset: number, value: bigint): void {
    this.declare(offset, 8);
    this.segment.bytes.writeBigUInt64LE(value, offset);
  }

  writeBigI64(offset: number, value: bigint): void {
    this.declare(offset, 8);
    this.segment.bytes.writeBigInt64LE(value, offset);
  }

  // ------------------------------------------------------------ write window
  //
  // A hot path that changes several fields of one region (a B-tree node's
  // header and slots) declares the region once with openWindow and writes the
  // fields with put*, which check that they stay inside the window of the
  // current transaction instead of declaring again. A put outside the window,
  // or after the window's transaction ended, throws an AssertionError: an
  // undeclared write stays impossible by construction.

  private windowTx: Transaction | null = null;
  private windowStart = 0;
  private windowEnd = 0;

  /** Declares [offset, offset + length) and makes it the window that put* calls write in. */
  openWindow(offset: number, length: number): void {
    this.declare(offset, length);
    this.windowTx = this.current;
    this.windowStart = offset;
    this.windowEnd = offset + length;
  }

  putU8(offset: number, value: number): void {
    this.checkWindow(offset, 1);
    this.segment.bytes[offset] = value;
  }

  putU16(offset: number, value: number): void {
    this.checkWindow(offset, 2);
    const bytes = this.segment.bytes;
    bytes[offset] = value;
    bytes[offset + 1] = value >>> 8;
  }

  putU32(offset: number, value: number): void {
    this.checkWindow(offset, 4);
    this.segment.bytes.writeUInt32LE(value >>> 0, offset);
  }

  /** Copies source[start, end) into the window at `offset`. */
  putBytes(offset: number, source: Uint8Array, start: number, end: number): void {
    this.checkWindow(offset, end - start);
    copyRange(source, start, end, this.segment.bytes, offset);
  }

  /** Moves segment bytes [from, from + length) to `to`, which must lie in the window (the source need not). */
  putMove(to: number, from: number, length: number): void {
    if (length === 0) return;
    this.checkWindow(to, length);
    this.segment.bytes.copyWithin(to, from, from + length);
  }

  private checkWindow(offset: number, length: number): void {
    const tx = this.windowTx;
    if (tx === null || tx !== this.current || !tx.open || offset < this.windowStart || offset + length > this.windowEnd) {
      throw new AssertionError(`assertion failed: a put of bytes ${offset}..${offset + length} lies outside the open write window ${this.windowStart}..${this.windowEnd} of the current transaction`);
    }
  }

  alloc(size: number): number {
    const bytes = this.segment.bytes;
    const offset = this.heap.alloc(this.tx(), size);
    if (this.segment.bytes !== bytes) {
      this.generation++;
      // The view of the memory the segment had would keep it alive.
      this.segmentView.forget();
    }
    return offset;
  }

  free(offset: number): void {
    this.heap.free(this.tx(), offset);
  }
}

