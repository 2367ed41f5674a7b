/**
 * BTree<K, V>: an ordered map in a segment (format.ts). Keys are any `Key`
 * (codec/key-format.ts), ordered by their encoded bytes; values go through a
 * ValueCodec (MessagePack by default, or a zod schema that validates them).
 *
 * Invariants (besides the format's validity rule, checked by verify()):
 * - Nothing about the tree is cached in memory: every call reads the header
 *   afresh, so abort and crash recovery (which restore bytes) need no notice.
 * - A mutation encodes and validates its key and value, then allocates what
 *   it needs (a blob, the nodes of a split), before it writes anything, so a
 *   refused value or a full heap (OUT_OF_SPACE) leaves the tree unchanged and
 *   the transaction usable. An error from the layers below while writing
 *   (CONFLICT, IO_ERROR) leaves the transaction half done: abort it.
 * - Every mutation increments ctx.mutationCount before it writes, which is how
 *   iterators know to seek again.
 * - Point operations allocate nothing of their own: keys are encoded into one
 *   scratch buffer, cells composed in another, and the descent path is a set
 *   of preallocated arrays. A value is decoded from a view of the segment.
 */
import { RvmError } from '@rvm/core';
import type { Key } from '../codec/key-codec.js';
import { decodeKey, encodeKey, encodeKeyInto } from '../codec/key-codec.js';
import type { ValueCodec } from '../codec/value-codec.js';
import { BLOB_HEADER_SIZE, writeBlob } from '../core/blob.js';
import { copyRange } from '../core/copy.js';
import { assert } from '../core/invariant.js';
import type { StructContext } from '../core/struct-context.js';
import { StructError } from '../core/struct-error.js';
import type { ValueOptions } from '../core/value-options.js';
import { resolveValueCodec } from '../core/value-options.js';
import { bulkFillOf, bulkLoad } from './bulk-load.js';
import type { BulkLoadOptions } from './bulk-load.js';
import { removeSlot } from './delete.js';
import {
  BLOB_REF_SIZE, BTREE_FORMAT_VERSION, BTREE_MAGIC, CELL_HEADER_SIZE, cellSizeMaxFor, HEIGHT_MAX, isValidNodeSize, keySizeMaxFor,
  NODE_CHILD0, NODE_LEAF, NODE_SIZE_DEFAULT, NODE_SIZE_MAX, TREE_HEADER_SIZE, TREE_HEIGHT, TREE_MAGIC, TREE_NODE_SIZE, TREE_ROOT,
  TREE_VERSION, VALUE_BLOB, VALUE_SIZE_MAX,
} from './format.js';
import { BTreeIterator, ITERATE_ENTRIES, ITERATE_KEYS, ITERATE_VALUES } from './iterator.js';
import type { RangeOptions } from './iterator.js';
import { cellKeySize, CellList, childAt, composeNode, isLeaf, leafCellSize, nodeCount, searchNode, slotCell } from './node.js';
import { descend, Path } from './path.js';
import type { TreeCore } from './path.js';
import { countEntries, freeSubtrees, verifyTree } from './verify.js';
import type { BTreeStats } from './verify.js';
import { placeCell, writeImage } from './write.js';

export interface BTreeOptions<V> extends ValueOptions<V> {
  /** Bytes per node, fixed when the tree is created (open reads it from the header). Default NODE_SIZE_DEFAULT. */
  readonly nodeSize?: number;
}

/** The encoded key of the current call. */
const keyScratch = Buffer.allocUnsafeSlow(keySizeMaxFor(NODE_SIZE_MAX) + 64);
/** The cell being put. */
const cellScratch = Buffer.allocUnsafeSlow(cellSizeMaxFor(NODE_SIZE_MAX) + 64);
/** The route of the current mutation. */
const path = new Path();
const emptyList = new CellList(1);
const headerImage = Buffer.alloc(TREE_HEADER_SIZE);

export class BTree<K extends Key = Key, V = unknown> implements TreeCore, Iterable<[K, V]> {
  /** The longest encoded key this tree takes (KEY_TOO_LARGE past it). */
  readonly keySizeMax: number;
  /** The largest cell; a value that does not fit one beside its key is stored out of line. */
  readonly cellSizeMax: number;
  private destroyed = false;
  /** The entry count as of (sizeMutationCount, sizeGeneration) of the context, or -1: unknown. */
  private sizeKnown = -1;
  private sizeMutationCount = 0;
  private sizeGeneration = 0;

  private constructor(
    readonly ctx: StructContext,
    /** The offset of the tree's header block: its identity in the segment. */
    readonly headerOffset: number,
    private readonly codec: ValueCodec<V>,
    readonly nodeSize: number,
  ) {
    this.keySizeMax = keySizeMaxFor(nodeSize);
    this.cellSizeMax = cellSizeMaxFor(nodeSize);
  }

  /**
   * Allocates and writes an empty tree in the current transaction; returns
   * the offset of its header, to keep (in a catalog or a heap root) and pass to open().
   */
  static create<V>(ctx: StructContext, options: BTreeOptions<V> = {}): number {
    ctx.tx();
    const nodeSize = options.nodeSize ?? NODE_SIZE_DEFAULT;
    if (!isValidNodeSize(nodeSize)) {
      throw new StructError('INVALID_ARGUMENT', `nodeSize must be a power of two from 512 to ${NODE_SIZE_MAX}; got ${String(nodeSize)}.`, { nodeSize });
    }
    const header = ctx.alloc(TREE_HEADER_SIZE);
    let root: number;
    try {
      root = ctx.alloc(nodeSize);
    } catch (e) {
      ctx.free(header);
      throw e;
    }
    const image = Buffer.alloc(64);
    const cellsStart = composeNode(image, nodeSize, NODE_LEAF, 0, emptyList, 0, 0);
    writeImage({ ctx, headerOffset: header, nodeSize }, root, image, 0, cellsStart);
    headerImage.fill(0);
    headerImage.writeUInt32LE(BTREE_MAGIC, TREE_MAGIC);
    headerImage.writeUInt16LE(BTREE_FORMAT_VERSION, TREE_VERSION);
    headerImage.writeUInt32LE(nodeSize, TREE_NODE_SIZE);
    headerImage.writeUInt32LE(root, TREE_ROOT);
    headerImage.writeUInt32LE(1, TREE_HEIGHT);
    ctx.writeBytes(header, headerImage, 0, TREE_HEADER_SIZE);
    return header;
  }

  /**
   * Opens the tree whose header is at `headerOffset`, checking its magic
   * number (WRONG_KIND: something else is there), version and node size. The
   * whole structure is checked by verify(), not here.
   */
  static open<K extends Key = Key, V = unknown>(ctx: StructContext, headerOffset: number, options: BTreeOptions<V> = {}): BTree<K, V> {
    const bytes = ctx.bytes;
    if (!Number.isInteger(headerOffset) || headerOffset <= 0 || headerOffset % 8 !== 0 || headerOffset + TREE_HEADER_SIZE > bytes.length) {
      throw new StructError('INVALID_ARGUMENT', `BTree.open: ${String(headerOffset)} is not the offset of a block in segment "${ctx.segment.name}".`, { headerOffset });
    }
    const magic = bytes.readUInt32LE(headerOffset + TREE_MAGIC);
    if (magic !== BTREE_MAGIC) {
      throw new StructError('WRONG_KIND', `The block at offset ${headerOffset} is not a BTree (its magic number is 0x${magic.toString(16)}). Open it as the kind it was created as.`, { headerOffset, magic });
    }
    const version = bytes.readUInt16LE(headerOffset + TREE_VERSION);
    const nodeSize = bytes.readUInt32LE(headerOffset + TREE_NODE_SIZE);
    if (version !== BTREE_FORMAT_VERSION || !isValidNodeSize(nodeSize)) {
      throw new StructError('STRUCT_CORRUPT', `The BTree at offset ${headerOffset} has format version ${version} and node size ${nodeSize}; this library reads version ${BTREE_FORMAT_VERSION}. Open it with the library version that wrote it, or restore it from a backup.`, { headerOffset, version, nodeSize });
    }
    return new BTree<K, V>(ctx, headerOffset, resolveValueCodec(options, ctx), nodeSize);
  }

  /**
   * The number of entries. The tree keeps no count (format.ts): the first call
   * after a transaction ended adds up the leaves' counts, O(leaves); later
   * calls, and this handle's own puts and deletes, keep the sum current.
   */
  get size(): number {
    this.checkLive();
    const ctx = this.ctx;
    if (this.sizeKnown < 0 || ctx.mutationCount !== this.sizeMutationCount || ctx.generation !== this.sizeGeneration) {
      this.sizeKnown = countEntries(this);
      this.sizeMutationCount = ctx.mutationCount;
      this.sizeGeneration = ctx.generation;
    }
    return this.sizeKnown;
  }

  get(key: K): V | undefined {
    this.checkLive();
    const keySize = this.encodeProbe(key);
    const leaf = this.findLeaf(keySize);
    const bytes = this.ctx.bytes;
    const r = searchNode(bytes, leaf, keyScratch, keySize);
    if ((r & 1) === 0) return undefined;
    return this.valueAt(slotCell(bytes, leaf, r >>> 1));
  }

  has(key: K): boolean {
    this.checkLive();
    const keySize = this.encodeProbe(key);
    return (searchNode(this.ctx.bytes, this.findLeaf(keySize), keyScratch, keySize) & 1) === 1;
  }

  /**
   * Sets `key` to `value` in the current transaction (NO_TRANSACTION without
   * one). Refuses a value its codec or schema refuses (SCHEMA_INVALID,
   * INVALID_VALUE), a key that is not a Key (INVALID_KEY), and sizes past
   * keySizeMax or VALUE_SIZE_MAX (KEY_TOO_LARGE, VALUE_TOO_LARGE), each before
   * anything is written.
   */
  put(key: K, value: V): void {
    this.checkLive();
    const ctx = this.ctx;
    ctx.tx();
    const encoded = this.codec.encode(value);
    const valueSize = encoded.length;
    if (valueSize > VALUE_SIZE_MAX) {
      throw new StructError('VALUE_TOO_LARGE', `The encoded value has ${valueSize} bytes; a BTree value may have at most ${VALUE_SIZE_MAX}. Store it in pieces.`, { size: valueSize, sizeMax: VALUE_SIZE_MAX });
    }
    const keySize = this.encodeProbe(key);
    // The cell first: `encoded` may be a codec buffer that the next encode reuses.
    const cell = cellScratch;
    cell[0] = keySize;
    cell[1] = keySize >>> 8;
    copyRange(keyScratch, 0, keySize, cell, CELL_HEADER_SIZE);
    const inline = CELL_HEADER_SIZE + keySize + valueSize <= this.cellSizeMax;
    let cellSize: number;
    let blob = 0;
    if (inline) {
      cell.writeUInt32LE(valueSize, 2);
      cell.set(encoded, CELL_HEADER_SIZE + keySize);
      cellSize = CELL_HEADER_SIZE + keySize + valueSize;
    } else {
      blob = writeBlob(ctx, encoded, 0, valueSize);
      cell.writeUInt32LE(VALUE_BLOB, 2);
      cell.writeUInt32LE(blob, CELL_HEADER_SIZE + keySize);
      cellSize = CELL_HEADER_SIZE + keySize + BLOB_REF_SIZE;
    }
    const sizeCurrent = this.beginMutation();
    const leaf = descend(this, path, keyScratch, keySize);
    const bytes = ctx.bytes;
    const r = searchNode(bytes, leaf, keyScratch, keySize);
    const index = r >>> 1;
    try {
      if ((r & 1) === 1) {
        const old = slotCell(bytes, leaf, index);
        const oldBlob = bytes.readUInt32LE(old + 2) === VALUE_BLOB ? bytes.readUInt32LE(old + CELL_HEADER_SIZE + cellKeySize(bytes, old)) : 0;
        placeCell(this, path, path.height - 1, index, cell, cellSize, true);
        if (oldBlob !== 0) ctx.free(oldBlob);
      } else {
        placeCell(this, path, path.height - 1, index, cell, cellSize, false);
        this.endMutation(sizeCurrent, 1);
        return;
      }
    } catch (e) {
      if (blob !== 0) ctx.free(blob);
      throw e;
    }
    this.endMutation(sizeCurrent, 0);
  }

  /** Deletes `key` in the current transaction; returns whether it was there. */
  delete(key: K): boolean {
    this.checkLive();
    const ctx = this.ctx;
    ctx.tx();
    const keySize = this.encodeProbe(key);
    const leaf = descend(this, path, keyScratch, keySize);
    const bytes = ctx.bytes;
    const r = searchNode(bytes, leaf, keyScratch, keySize);
    if ((r & 1) === 0) return false;
    const sizeCurrent = this.beginMutation();
    const index = r >>> 1;
    const cell = slotCell(bytes, leaf, index);
    const blob = bytes.readUInt32LE(cell + 2) === VALUE_BLOB ? bytes.readUInt32LE(cell + CELL_HEADER_SIZE + cellKeySize(bytes, cell)) : 0;
    removeSlot(this, path, path.height - 1, index, leafCellSize(bytes, cell));
    if (blob !== 0) ctx.free(blob);
    this.endMutation(sizeCurrent, -1);
    return true;
  }

  /** The entry with the smallest key, or undefined when the tree is empty. */
  first(): [K, V] | undefined {
    return this.edge(false);
  }

  /** The entry with the largest key, or undefined when the tree is empty. */
  last(): [K, V] | undefined {
    return this.edge(true);
  }

  /** Deletes every entry in the current transaction, freeing every node and blob but the root. */
  clear(): void {
    this.checkLive();
    const ctx = this.ctx;
    ctx.tx();
    ctx.mutationCount++;
    const header = this.headerOffset;
    const root = ctx.bytes.readUInt32LE(header + TREE_ROOT);
    freeSubtrees(this, root, false);
    const image = Buffer.alloc(64);
    const cellsStart = composeNode(image, this.nodeSize, NODE_LEAF, 0, emptyList, 0, 0);
    writeImage(this, root, image, 0, cellsStart);
    ctx.writeU32(header + TREE_HEIGHT, 1);
    this.sizeKnown = 0;
    this.sizeMutationCount = ctx.mutationCount;
    this.sizeGeneration = ctx.generation;
  }

  /**
   * Frees every block of the tree, its header included, in the current
   * transaction. The instance (and its iterators) cannot be used afterwards;
   * the caller forgets the header offset (removes it from its catalog or root).
   */
  destroy(): void {
    this.checkLive();
    const ctx = this.ctx;
    ctx.tx();
    ctx.mutationCount++;
    freeSubtrees(this, ctx.bytes.readUInt32LE(this.headerOffset + TREE_ROOT), true);
    ctx.free(this.headerOffset);
    this.destroyed = true;
  }

  /**
   * Loads entries given in strictly ascending key order into this empty tree,
   * in the current transaction, filling nodes left to right (much faster than
   * put for a large load) to `fill` of their space (default BULK_FILL, 0.9;
   * see there). Refuses a non-empty tree, keys out of order and a fill
   * outside [0.5, 1] (INVALID_ARGUMENT); after any refusal the tree is empty
   * again.
   */
  bulkLoad(entries: Iterable<readonly [K, V]>, options?: BulkLoadOptions): void {
    this.checkLive();
    const fill = bulkFillOf(options);
    this.ctx.tx();
    this.ctx.mutationCount++;
    bulkLoad(this, entries, this.codec, fill);
  }

  /** Entries with keys in the range, in key order (or reversed), at most `limit`. */
  range(options: RangeOptions<K> = {}): BTreeIterator<K, V, [K, V]> {
    this.checkLive();
    return new BTreeIterator<K, V, [K, V]>(this, ITERATE_ENTRIES, options);
  }

  keys(options: RangeOptions<K> = {}): BTreeIterator<K, V, K> {
    this.checkLive();
    return new BTreeIterator<K, V, K>(this, ITERATE_KEYS, options);
  }

  values(options: RangeOptions<K> = {}): BTreeIterator<K, V, V> {
    this.checkLive();
    return new BTreeIterator<K, V, V>(this, ITERATE_VALUES, options);
  }

  entries(options: RangeOptions<K> = {}): BTreeIterator<K, V, [K, V]> {
    return this.range(options);
  }

  [Symbol.iterator](): BTreeIterator<K, V, [K, V]> {
    return this.range();
  }

  /** Checks every invariant of the format (format.ts); throws STRUCT_CORRUPT with { node, problem } at the first violation. */
  verify(): void {
    this.checkLive();
    verifyTree(this);
  }

  /** Verifies the tree and reports its shape: height, nodes, fill, blobs. */
  stats(): BTreeStats {
    this.checkLive();
    return verifyTree(this);
  }

  // ------------------------------------------------------------ for iterators

  /** @internal Makes this handle refuse further use, as after destroy() (the Store calls it when the tree is dropped elsewhere). */
  _invalidate(): void {
    this.destroyed = true;
  }

  /** @internal Whether the tree can be read (throws when destroyed or its store closed). */
  _checkLive(): void {
    this.checkLive();
  }

  /** @internal The key of the leaf cell at `cell`. */
  _keyAt(cell: number): K {
    const bytes = this.ctx.bytes;
    const start = cell + CELL_HEADER_SIZE;
    return decodeKey(bytes, start, start + cellKeySize(bytes, cell)) as K;
  }

  /** @internal The value of the leaf cell at `cell`. */
  _valueAt(cell: number): V {
    return this.valueAt(cell);
  }

  /** @internal Encodes a bound or a probe into `target`; returns its size. */
  _encodeInto(key: K, target: Buffer): number {
    const end = encodeKeyInto(key, target, 0);
    if (end < 0 || end > this.keySizeMax) this.keyTooLarge(key);
    return end;
  }

  // ---------------------------------------------------------------- private

  private checkLive(): void {
    if (this.destroyed) {
      throw new StructError('NOT_FOUND', `The BTree at offset ${this.headerOffset} was destroyed. Create a new one.`, { headerOffset: this.headerOffset });
    }
    if (!this.ctx.segment.mapped) {
      throw new RvmError('CLOSED', `The store holding this BTree is closed. Open it again and take the tree from the new store.`, { segment: this.ctx.segment.name });
    }
  }

  /** Encodes `key` into keyScratch; returns its size. */
  private encodeProbe(key: K): number {
    const end = encodeKeyInto(key, keyScratch, 0);
    if (end < 0 || end > this.keySizeMax) this.keyTooLarge(key);
    return end;
  }

  private keyTooLarge(key: K): never {
    const size = encodeKey(key).length;
    throw new StructError('KEY_TOO_LARGE', `The encoded key has ${size} bytes; this BTree (${this.nodeSize}-byte nodes) takes keys of at most ${this.keySizeMax}. Use a shorter key, or a tree with larger nodes.`, { size, sizeMax: this.keySizeMax });
  }

  /** Counts a mutation (iterators seek again); returns whether the cached size was current before it. */
  private beginMutation(): boolean {
    const ctx = this.ctx;
    const current = this.sizeKnown >= 0 && ctx.mutationCount === this.sizeMutationCount && ctx.generation === this.sizeGeneration;
    ctx.mutationCount++;
    return current;
  }

  /** Carries a current cached size over this handle's own mutation (which may have grown the segment). */
  private endMutation(sizeCurrent: boolean, delta: number): void {
    if (!sizeCurrent) return;
    this.sizeKnown += delta;
    this.sizeMutationCount = this.ctx.mutationCount;
    this.sizeGeneration = this.ctx.generation;
  }

  /** The leaf where the probe in keyScratch belongs, without recording the path. */
  private findLeaf(keySize: number): number {
    const bytes = this.ctx.bytes;
    const header = this.headerOffset;
    let node = bytes.readUInt32LE(header + TREE_ROOT);
    const height = bytes.readUInt32LE(header + TREE_HEIGHT);
    assert(height >= 1 && height <= HEIGHT_MAX, 'the tree height is within bounds');
    for (let level = 1; level < height; level++) {
      const r = searchNode(bytes, node, keyScratch, keySize);
      const position = (r & 1) === 1 ? r >>> 1 : (r >>> 1) - 1;
      node = position < 0 ? bytes.readUInt32LE(node + NODE_CHILD0) : bytes.readUInt32LE(slotCell(bytes, node, position) + 2);
    }
    return node;
  }

  private valueAt(cell: number): V {
    const bytes = this.ctx.bytes;
    const info = bytes.readUInt32LE(cell + 2);
    const valueStart = cell + CELL_HEADER_SIZE + cellKeySize(bytes, cell);
    let start = valueStart;
    let end = valueStart + info;
    if (info === VALUE_BLOB) {
      const blob = bytes.readUInt32LE(valueStart);
      start = blob + BLOB_HEADER_SIZE;
      end = start + bytes.readUInt32LE(blob);
    }
    const codec = this.codec;
    return codec.decodeRange === undefined ? codec.decode(bytes.subarray(start, end)) : codec.decodeRange(bytes, start, end);
  }

  private edge(last: boolean): [K, V] | undefined {
    this.checkLive();
    const bytes = this.ctx.bytes;
    let node = bytes.readUInt32LE(this.headerOffset + TREE_ROOT);
    while (!isLeaf(bytes, node)) node = childAt(bytes, node, last ? nodeCount(bytes, node) - 1 : -1);
    const count = nodeCount(bytes, node);
    if (count === 0) return undefined;
    const cell = slotCell(bytes, node, last ? count - 1 : 0);
    return [this._keyAt(cell), this.valueAt(cell)];
  }
}
