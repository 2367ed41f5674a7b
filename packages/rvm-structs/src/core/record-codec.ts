/**
 * The MessagePack codec of one segment: objects are msgpackr records whose key
 * lists (structures) are kept once, in the segment's structure table
 * (structure-table.ts), instead of in every value. Structures opened without a
 * codec, or with `msgpackCodec()`, use it (ValueCodec.inSegment).
 *
 * Value format: byte 0 is VALUE_RECORDS_TAG (0xc1), bytes 1 .. end are one
 * MessagePack value written by msgpackr with records, options MSGPACK_OPTIONS
 * otherwise: byte 0x40 + i (i < STRUCTURE_COUNT_MAX) starts a record of table
 * structure i; a structure that is new when the table is full, or not
 * shareable, is defined inline in the value (msgpackr's fixext "r",
 * ids 0x60 .. 0x7f) and forgotten after the value is read. A value whose first
 * byte is not 0xc1 is plain MessagePack (written before records existed, or
 * by a codec with options) and is read by the plain Packr.
 *
 * Invariants:
 * - The Packr's shared structures are a prefix-equal copy of the persisted
 *   table, except while `synced` is false (then they are reloaded before the
 *   next encode or decode).
 * - A structure msgpackr adds while encoding is appended to the table (the
 *   saveStructures hook) in the open transaction, before the encoded value is
 *   handed back: the value and its structure commit, abort or are lost in a
 *   crash together.
 * - Only a transaction that appended structures (`pendingTx`) can make the
 *   table shorter, by aborting. Once it is no longer the open transaction, the
 *   table is reloaded from the segment: after a commit that is a no-op, after
 *   an abort it drops the structures the segment no longer has.
 *
 * One StructContext per segment is the Store's rule, so one table per segment
 * and one Packr per table; two stores in one process never share structures.
 * Should two contexts share a segment anyway, each checks the table before
 * appending (and encodes again on the reloaded table when it changed), and
 * reloads it when a value names a structure it has not seen.
 */
import { Buffer } from 'node:buffer';
import { Packr, RESERVE_START_SPACE, RESET_BUFFER_MODE } from 'msgpackr';
import type { Transaction } from '@rvm/core';
import { CodecError } from '../codec/codec-error.js';
import { MSGPACK_OPTIONS, plainPackr, VALUE_RECORDS_TAG } from '../codec/msgpack-codec.js';
import type { ValueCodec } from '../codec/value-codec.js';
import type { StructContext } from './struct-context.js';
import {
  entrySize, readTable, shareable, STRUCTURE_COUNT_MAX, STRUCTURES_COUNT, STRUCTURES_HEADER_SIZE, STRUCTURES_MAGIC,
  STRUCTURES_ROOT, STRUCTURES_SIZE, writeEntry,
} from './structure-table.js';
import type { Structure } from './structure-table.js';

/** The smallest table block: room for a few structures before it is moved. */
const TABLE_BLOCK_SIZE_MIN = 256;
/** pack() with one byte reserved in front (for the tag) and msgpackr's buffer reused. */
const PACK_MODE = RESET_BUFFER_MODE | RESERVE_START_SPACE | 1;

/** msgpackr's view of its shared structure list. */
interface SharedStructures extends Array<Structure> {
  sharedLength?: number;
}

export class RecordCodec implements ValueCodec<unknown> {
  private readonly packr: Packr;
  /** The plain Packr reads values without the tag. */
  private readonly plain: Packr = plainPackr();
  private readonly range = { start: 0, end: 0 };
  /** Whether the Packr's structures match the table (see the invariants). */
  private synced = false;
  /** The transaction that appended structures since the last reload, or null. */
  private pendingTx: Transaction | null = null;
  /** The table block (0: none), its structure count and bytes of entries, as last read or written. */
  private tableOffset = 0;
  private tableCount = 0;
  private tableSize = 0;
  /** An error thrown while saving structures, rethrown as it is (not as INVALID_VALUE). */
  private saveError: unknown = null;

  constructor(private readonly ctx: StructContext) {
    this.packr = new Packr({
      ...MSGPACK_OPTIONS,
      useRecords: true,
      structures: [],
      maxSharedStructures: STRUCTURE_COUNT_MAX,
      maxOwnStructures: 32,
      shouldShareStructure: (keys: string[]) => shareable(keys),
      saveStructures: (structures: object[]) => this.save(structures as SharedStructures),
      getStructures: () => this.missing(),
    });
  }

  encode(value: unknown): Uint8Array {
    this.sync();
    this.saveError = null;
    let bytes: Uint8Array;
    try {
      bytes = this.packr.pack(value, PACK_MODE);
    } catch (error) {
      // The Packr may hold a structure the table lacks (a failed save, or one added before a later
      // part failed), and a failed save may have changed the table in this transaction.
      this.synced = false;
      const tx = this.ctx.current;
      if (tx !== null && tx.open) this.pendingTx = tx;
      const saveError = this.saveError;
      this.saveError = null;
      if (saveError !== null) throw saveError;
      throw new CodecError('INVALID_VALUE', `MessagePack cannot encode the value: ${String(error)}`, {}, error);
    }
    bytes[0] = VALUE_RECORDS_TAG;
    return bytes;
  }

  decode(bytes: Uint8Array): unknown {
    return this.decodeRange(bytes, 0, bytes.length);
  }

  decodeRange(bytes: Uint8Array, start: number, end: number): unknown {
    const range = this.range;
    if (start < end && bytes[start] === VALUE_RECORDS_TAG) {
      this.sync();
      range.start = start + 1;
      range.end = end;
      try {
        return this.packr.unpack(bytes, range);
      } catch (error) {
        throw corrupt(error, end - start);
      }
    }
    try {
      if (start === end) return this.plain.unpack(bytes.subarray(start, end));
      range.start = start;
      range.end = end;
      return this.plain.unpack(bytes, range);
    } catch (error) {
      throw corrupt(error, end - start);
    }
  }

  /** The structures the Packr holds (tests). */
  structureCount(): number {
    this.sync();
    return (this.packr as unknown as { structures: SharedStructures }).structures.sharedLength ?? 0;
  }

  // ---------------------------------------------------------------- private

  private sync(): void {
    if (this.synced) {
      const pending = this.pendingTx;
      if (pending === null || (pending === this.ctx.current && pending.open)) return;
    }
    this.reload();
  }

  /** Replaces the Packr's structures with the segment's table. */
  private reload(): void {
    const ctx = this.ctx;
    const offset = ctx.heap.getRoot(STRUCTURES_ROOT);
    const table: SharedStructures = offset === 0 ? [] : readTable(ctx.bytes, offset, ctx.heap.usableSize(offset));
    table.sharedLength = table.length;
    // msgpackr rebuilds its transitions from a list that has none.
    (this.packr as unknown as { structures: SharedStructures }).structures = table;
    this.tableOffset = offset;
    this.tableCount = table.length;
    this.tableSize = offset === 0 ? 0 : ctx.bytes.readUInt32LE(offset + STRUCTURES_SIZE);
    // A reload inside the transaction that changed the table (after a failed save) is valid only as long as it.
    const pending = this.pendingTx;
    this.pendingTx = pending !== null && pending === ctx.current && pending.open ? pending : null;
    this.synced = true;
  }

  /** msgpackr's saveStructures: appends structures tableCount .. sharedLength to the table in the open transaction. */
  private save(structures: SharedStructures): boolean {
    try {
      return this.append(structures);
    } catch (error) {
      this.saveError = error;
      throw error;
    }
  }

  /**
   * msgpackr's getStructures, called while decoding a record id that no structure has. The
   * table may have grown through another context on this segment: reload it. If it did not
   * grow, the value is damaged.
   */
  private missing(): SharedStructures {
    const countBefore = this.tableCount;
    this.reload();
    if (this.tableCount <= countBefore) {
      throw new CodecError('VALUE_CORRUPT', 'A value refers to a record structure its segment does not have.', { structureCount: this.tableCount });
    }
    return (this.packr as unknown as { structures: SharedStructures }).structures;
  }

  /** Whether the segment's table is the one this codec last read or wrote (it is, unless another context changed it). */
  private tableCurrent(): boolean {
    const ctx = this.ctx;
    const offset = ctx.heap.getRoot(STRUCTURES_ROOT);
    if (offset !== this.tableOffset) return false;
    if (offset === 0) return true;
    const bytes = ctx.bytes;
    return bytes.readUInt32LE(offset + STRUCTURES_COUNT) === this.tableCount && bytes.readUInt32LE(offset + STRUCTURES_SIZE) === this.tableSize;
  }

  /** Returns false (msgpackr then encodes again with the table reloaded) when the table changed under this codec. */
  private append(structures: SharedStructures): boolean {
    const ctx = this.ctx;
    const tx = ctx.tx();
    const count = structures.sharedLength ?? 0;
    const from = this.tableCount;
    if (count <= from) return true;
    if (!this.tableCurrent()) {
      this.reload();
      return false;
    }
    let added = 0;
    for (let i = from; i < count; i++) added += entrySize(structures[i]!);
    const entries = Buffer.allocUnsafe(added);
    let at = 0;
    for (let i = from; i < count; i++) at = writeEntry(entries, at, structures[i]!);
    const size = this.tableSize + added;
    const old = this.tableOffset;
    if (old !== 0 && STRUCTURES_HEADER_SIZE + size <= ctx.heap.usableSize(old)) {
      ctx.writeBytes(old + STRUCTURES_HEADER_SIZE + this.tableSize, entries, 0, added);
      const header = Buffer.allocUnsafe(8);
      header.writeUInt32LE(count, 0);
      header.writeUInt32LE(size, 4);
      ctx.writeBytes(old + STRUCTURES_COUNT, header, 0, 8);
    } else {
      const block = ctx.alloc(Math.max(TABLE_BLOCK_SIZE_MIN, 2 * (STRUCTURES_HEADER_SIZE + size)));
      const image = Buffer.alloc(STRUCTURES_HEADER_SIZE + size);
      image.writeUInt32LE(STRUCTURES_MAGIC, 0);
      image.writeUInt32LE(count, STRUCTURES_COUNT);
      image.writeUInt32LE(size, STRUCTURES_SIZE);
      if (old !== 0) ctx.bytes.copy(image, STRUCTURES_HEADER_SIZE, old + STRUCTURES_HEADER_SIZE, old + STRUCTURES_HEADER_SIZE + this.tableSize);
      entries.copy(image, STRUCTURES_HEADER_SIZE + this.tableSize);
      ctx.writeBytes(block, image, 0, image.length);
      try {
        ctx.heap.setRoot(tx, STRUCTURES_ROOT, block);
      } catch (error) {
        ctx.free(block); // ROOTS_FULL: leave nothing behind for a caller that catches and commits
        throw error;
      }
      if (old !== 0) ctx.free(old);
      this.tableOffset = block;
    }
    this.tableCount = count;
    this.tableSize = size;
    this.pendingTx = tx;
    return true;
  }
}

function corrupt(error: unknown, size: number): CodecError {
  if (error instanceof CodecError) return error;
  return new CodecError('VALUE_CORRUPT', `bytes are not one MessagePack value: ${String(error)}`, { size }, error);
}
