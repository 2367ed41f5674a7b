/**
 * List<V>: a persistent sequence in a segment, on a counted B+-tree of
 * encoded elements (format.ts, tree.ts). Values go through a ValueCodec
 * (MessagePack by default). Positions follow Array: `at` accepts negative
 * positions and returns undefined out of range; pop and shift of an empty
 * list return undefined; insert, remove and set refuse a position out of
 * range with INDEX_OUT_OF_RANGE.
 *
 * Invariants (besides the format's validity rule, checked by verify()):
 * - Nothing about the list is cached in memory across calls: every call reads
 *   the header afresh, so abort and crash recovery need no notice.
 * - A mutation encodes and validates its value before it writes, and
 *   allocates every block it needs before it writes, so a refused value or a
 *   full heap (OUT_OF_SPACE) leaves the list unchanged.
 * - Every mutation increments changeCount in the same transaction.
 * - A value is decoded before the record it comes from is removed, so a
 *   value that does not decode (VALUE_CORRUPT) is not removed either. Codecs
 *   must not use the list whose values they encode or decode.
 */
import type { ValueCodec } from '../codec/value-codec.js';
import { BLOB_HEADER_SIZE, writeBlob } from '../core/blob.js';
import { decodeRange } from '../core/decode-view.js';
import type { StructContext } from '../core/struct-context.js';
import { StructError } from '../core/struct-error.js';
import type { ValueOptions } from '../core/value-options.js';
import { resolveValueCodec } from '../core/value-options.js';
import { ListCursor, ListIterator } from './cursor.js';
import {
  BLOB_REF_SIZE, CELL_BLOB, corrupt, ELEMENT_INLINE_MAX, ELEMENT_SIZE_MAX, HEADER_MAGIC, HEADER_ROOT, HEADER_SIZE, HEADER_VERSION, LEAF_DATA_SIZE,
  LEAF_SIZE, LENGTH_MAX, LIST_FORMAT_VERSION, LIST_MAGIC, NODE_HEADER_SIZE, NODE_SKIP_SIZE, NODE_USED_SIZE, RECORD_FIELD_SIZE,
} from './format.js';
import { freeList, inspectList, type ListStats } from './inspect.js';
import { EDGE_END, EDGE_MIDDLE, EDGE_START, ListTree, recordScratch } from './tree.js';

export type ListOptions<V> = ValueOptions<V>;

/** A leaf's records after the one being replaced, composed behind the new record. */
const tailScratch = Buffer.allocUnsafeSlow(LEAF_SIZE + ELEMENT_INLINE_MAX);

export class List<V = unknown> implements Iterable<V> {
  /** @internal */
  readonly _tree: ListTree;
  private destroyed = false;

  private constructor(
    readonly ctx: StructContext,
    /** The offset of the list's header block: its identity in the segment. */
    readonly headerOffset: number,
    private readonly codec: ValueCodec<V>,
  ) {
    this._tree = new ListTree(ctx, headerOffset);
  }

  /**
   * Allocates and writes an empty list in the current transaction; returns the
   * offset of its header, to keep (in a catalog or a heap root) and pass to open().
   */
  static create<V>(ctx: StructContext, _options: ListOptions<V> = {}): number {
    ctx.tx();
    const header = ctx.alloc(HEADER_SIZE);
    let leaf: number;
    try {
      leaf = ctx.alloc(LEAF_SIZE);
    } catch (e) {
      ctx.free(header);
      throw e;
    }
    ctx.fill(leaf, NODE_HEADER_SIZE, 0);
    const image = Buffer.alloc(HEADER_SIZE);
    image.writeUInt32LE(LIST_MAGIC, HEADER_MAGIC);
    image.writeUInt16LE(LIST_FORMAT_VERSION, HEADER_VERSION);
    image.writeUInt32LE(leaf, HEADER_ROOT);
    ctx.writeBytes(header, image, 0, HEADER_SIZE);
    return header;
  }

  /**
   * Opens the list whose header is at `headerOffset`, checking its magic
   * number (WRONG_KIND: something else is there) and version. The whole
   * structure is checked by verify(), not here.
   */
  static open<V = unknown>(ctx: StructContext, headerOffset: number, options: ListOptions<V> = {}): List<V> {
    const bytes = ctx.bytes;
    if (!Number.isInteger(headerOffset) || headerOffset <= 0 || headerOffset % 8 !== 0 || headerOffset + HEADER_SIZE > bytes.length) {
      throw new StructError('INVALID_ARGUMENT', `List.open: ${String(headerOffset)} is not the offset of a block in segment "${ctx.segment.name}".`, { headerOffset });
    }
    if (bytes.readUInt32LE(headerOffset + HEADER_MAGIC) !== LIST_MAGIC) {
      throw new StructError('WRONG_KIND', `The block at offset ${headerOffset} is not a List (its magic number is 0x${bytes.readUInt32LE(headerOffset).toString(16)}). Open it as the kind it was created as.`, { headerOffset });
    }
    const version = bytes.readUInt16LE(headerOffset + HEADER_VERSION);
    if (version !== LIST_FORMAT_VERSION) {
      throw corrupt(headerOffset, headerOffset, `format version ${version}; this library reads version ${LIST_FORMAT_VERSION}`);
    }
    return new List<V>(ctx, headerOffset, resolveValueCodec(options, ctx));
  }

  get length(): number {
    this.checkLive();
    return this._tree.length();
  }

  /** The element at `index` (negative counts from the end), or undefined outside the list. */
  at(index: number): V | undefined {
    this.checkLive();
    checkInteger(index, 'at');
    const length = this._tree.length();
    const position = index < 0 ? index + length : index;
    if (position < 0 || position >= length) return undefined;
    return this._decodeAt(this._tree.locate(position));
  }

  /** Appends `value`; returns the new length. */
  push(value: V): number {
    this.checkLive();
    return this._insertValue(this._tree.length(), value);
  }

  /** Inserts `value` at position 0; returns the new length. */
  unshift(value: V): number {
    this.checkLive();
    return this._insertValue(0, value);
  }

  /** Removes and returns the last element, or undefined when the list is empty. */
  pop(): V | undefined {
    this.checkLive();
    this.ctx.tx();
    const length = this._tree.length();
    return length === 0 ? undefined : this._removeValue(length - 1);
  }

  /** Removes and returns the first element, or undefined when the list is empty. */
  shift(): V | undefined {
    this.checkLive();
    this.ctx.tx();
    return this._tree.length() === 0 ? undefined : this._removeValue(0);
  }

  /** Inserts `value` before position `index` (0 .. length). */
  insert(index: number, value: V): void {
    this.checkLive();
    this.checkPosition(index, true, 'insert');
    this._insertValue(index, value);
  }

  /** Removes and returns the element at `index` (0 .. length - 1). */
  remove(index: number): V {
    this.checkLive();
    this.ctx.tx();
    this.checkPosition(index, false, 'remove');
    return this._removeValue(index);
  }

  /** Replaces the element at `index` (0 .. length - 1). */
  set(index: number, value: V): void {
    this.checkLive();
    this.checkPosition(index, false, 'set');
    this._setValue(index, value);
  }

  /** Removes every element in the current transaction, freeing all blocks but one leaf. */
  clear(): void {
    this.checkLive();
    this.ctx.tx();
    const kept = freeList(this.ctx, this.headerOffset, true);
    this.ctx.fill(kept, NODE_HEADER_SIZE, 0);
    const image = Buffer.alloc(6);
    image.writeUInt32LE(kept, 2);
    this.ctx.writeBytes(this.headerOffset + 6, image, 0, 6);
    this._tree.finish(-this._tree.length());
  }

  /**
   * Frees every block of the list, its header included, in the current
   * transaction. The instance (and its cursors) cannot be used afterwards.
   */
  destroy(): void {
    this.checkLive();
    this.ctx.tx();
    freeList(this.ctx, this.headerOffset, false);
    this.ctx.free(this.headerOffset);
    this.destroyed = true;
  }

  /** Checks every invariant of the format (format.ts); throws STRUCT_CORRUPT with { offset, problem } at the first violation. */
  verify(): void {
    this.checkLive();
    inspectList(this.ctx, this.headerOffset);
  }

  /** Verifies the list and reports its shape: height, nodes, blobs, fill. */
  stats(): ListStats {
    this.checkLive();
    return inspectList(this.ctx, this.headerOffset);
  }

  /**
   * A cursor at `index` (0 .. length; at length it stands past the end). It
   * moves with next/prev/seek and inserts, removes and replaces where it
   * stands; it throws ITERATOR_INVALIDATED once the list changed other than
   * through it (seek re-arms it).
   */
  cursor(index = 0): ListCursor<V> {
    this.checkLive();
    this.checkPosition(index, true, 'cursor');
    return new ListCursor(this, index);
  }

  values(): ListIterator<V> {
    this.checkLive();
    return new ListIterator(this);
  }

  [Symbol.iterator](): ListIterator<V> {
    return this.values();
  }

  /** Every element, in order. */
  toArray(): V[] {
    const result: V[] = [];
    for (const value of this) result.push(value);
    return result;
  }

  // ------------------------------------------------------------ for cursors

  /** @internal Whether destroy() ran (or the Store retired this handle). */
  get _destroyed(): boolean {
    return this.destroyed;
  }

  /**
   * @internal Retires the handle as destroy() does, without freeing anything:
   * the Store calls it when the collection was dropped through another handle
   * or its creation was aborted. Every later call throws NOT_FOUND, and its
   * iterators ITERATOR_INVALIDATED.
   */
  _invalidate(): void {
    this.destroyed = true;
  }

  /** @internal The value of the record at `pos`. */
  _decodeAt(pos: number): V {
    const bytes = this.ctx.bytes;
    const field = bytes.readUInt16LE(pos);
    if (field !== CELL_BLOB) return decodeRange(this.codec, bytes, pos + RECORD_FIELD_SIZE, pos + RECORD_FIELD_SIZE + field);
    const blob = bytes.readUInt32LE(pos + RECORD_FIELD_SIZE);
    if (blob === 0 || blob + BLOB_HEADER_SIZE > bytes.length || blob + BLOB_HEADER_SIZE + bytes.readUInt32LE(blob) > bytes.length) {
      throw corrupt(this.headerOffset, pos, `an element refers to blob ${blob}, outside the segment`);
    }
    return decodeRange(this.codec, bytes, blob + BLOB_HEADER_SIZE, blob + BLOB_HEADER_SIZE + bytes.readUInt32LE(blob));
  }

  /** @internal Inserts `value` at `index` (checked by the caller); returns the new length. */
  _insertValue(index: number, value: V): number {
    const ctx = this.ctx;
    ctx.tx();
    const encoded = this.codec.encode(value);
    const length = this._tree.length();
    if (length >= LENGTH_MAX) {
      throw new StructError('INDEX_OUT_OF_RANGE', `The list holds ${length} elements, the most a List can hold.`, { length, lengthMax: LENGTH_MAX });
    }
    const blob = this.prepareRecord(encoded);
    try {
      this._tree.insert(index, this.recordSize(encoded, blob), index === length ? EDGE_END : index === 0 ? EDGE_START : EDGE_MIDDLE);
    } catch (e) {
      if (blob !== 0) ctx.free(blob);
      throw e;
    }
    this._tree.finish(1);
    return length + 1;
  }

  /** @internal Removes and returns the element at `index` (checked by the caller). */
  _removeValue(index: number): V {
    const ctx = this.ctx;
    ctx.tx();
    const tree = this._tree;
    const pos = tree.locate(index);
    const leaf = tree.leaf;
    const value = this._decodeAt(pos);
    // The codec ran (a schema may read this list): descend again if that moved the path.
    if (tree.leaf !== leaf || tree.leafPos !== pos) tree.locate(index);
    const bytes = ctx.bytes;
    const blob = bytes.readUInt16LE(pos) === CELL_BLOB ? bytes.readUInt32LE(pos + RECORD_FIELD_SIZE) : 0;
    tree.removeLocated();
    if (blob !== 0) ctx.free(blob);
    tree.finish(-1);
    return value;
  }

  /** @internal Replaces the element at `index` (checked by the caller). */
  _setValue(index: number, value: V): void {
    const ctx = this.ctx;
    ctx.tx();
    const encoded = this.codec.encode(value);
    const tree = this._tree;
    const blob = this.prepareRecord(encoded);
    const size = this.recordSize(encoded, blob);
    const pos = tree.locate(index);
    const leaf = tree.leaf;
    const bytes = ctx.bytes;
    const field = bytes.readUInt16LE(pos);
    const oldSize = RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
    const oldBlob = field === CELL_BLOB ? bytes.readUInt32LE(pos + RECORD_FIELD_SIZE) : 0;
    const used = bytes.readUInt16LE(leaf + NODE_USED_SIZE);
    const skip = bytes.readUInt16LE(leaf + NODE_SKIP_SIZE);
    if (skip + used - oldSize + size <= LEAF_DATA_SIZE) {
      // In place: the new record followed by the records after the old one, written at once; only
      // the span that changes is declared (the record's changed bytes when the size stays).
      const tailStart = pos + oldSize;
      const tailEnd = leaf + NODE_HEADER_SIZE + skip + used;
      recordScratch.copy(tailScratch, 0, 0, size);
      bytes.copy(tailScratch, size, tailStart, tailEnd);
      ctx.writeBytesChanged(pos, tailScratch, 0, size + tailEnd - tailStart);
      if (size !== oldSize) ctx.writeU16(leaf + NODE_USED_SIZE, used - oldSize + size);
    } else {
      // The leaf cannot hold it: insert the new record after the old one (allocating first), then remove the old.
      const length = tree.length();
      try {
        tree.insert(index + 1, size, index + 1 === length ? EDGE_END : EDGE_MIDDLE);
      } catch (e) {
        if (blob !== 0) ctx.free(blob);
        throw e;
      }
      tree.locate(index);
      tree.removeLocated();
    }
    if (oldBlob !== 0) ctx.free(oldBlob);
    tree.finish(0);
  }

  // ---------------------------------------------------------------- private

  private checkLive(): void {
    if (this.destroyed) {
      throw new StructError('NOT_FOUND', `The List at offset ${this.headerOffset} was destroyed. Create a new one.`, { headerOffset: this.headerOffset });
    }
  }

  private checkPosition(index: number, end: boolean, operation: string): void {
    checkInteger(index, operation);
    const length = this._tree.length();
    if (index < 0 || index > length || (!end && index === length)) {
      throw new StructError('INDEX_OUT_OF_RANGE', `${operation}(${index}): the position must be from 0 to ${end ? length : length - 1} (the list has ${length} elements).`, { index, length });
    }
  }

  /**
   * Checks the encoded size, writes a blob when the value is too large to be
   * inline (returns its offset, else 0), and composes the record in recordScratch.
   */
  private prepareRecord(encoded: Uint8Array): number {
    const size = encoded.length;
    if (size > ELEMENT_SIZE_MAX) {
      throw new StructError('VALUE_TOO_LARGE', `The encoded element has ${size} bytes; a List element may have at most ${ELEMENT_SIZE_MAX}. Store it in pieces.`, { size, sizeMax: ELEMENT_SIZE_MAX });
    }
    if (size <= ELEMENT_INLINE_MAX) {
      recordScratch.writeUInt16LE(size, 0);
      recordScratch.set(encoded, RECORD_FIELD_SIZE);
      return 0;
    }
    const blob = writeBlob(this.ctx, encoded, 0, size);
    recordScratch.writeUInt16LE(CELL_BLOB, 0);
    recordScratch.writeUInt32LE(blob, RECORD_FIELD_SIZE);
    return blob;
  }

  private recordSize(encoded: Uint8Array, blob: number): number {
    return RECORD_FIELD_SIZE + (blob !== 0 ? BLOB_REF_SIZE : encoded.length);
  }
}

function checkInteger(index: number, operation: string): void {
  if (!Number.isInteger(index)) {
    throw new StructError('INVALID_ARGUMENT', `${operation}(${String(index)}): a position must be an integer.`, { index });
  }
}
