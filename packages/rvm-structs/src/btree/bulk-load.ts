/**
 * Bulk loading: builds a tree bottom-up from entries in ascending key order,
 * one node image at a time per level, each written once (two setRange calls)
 * instead of growing by splits. Nodes are filled to BULK_FILL of their space,
 * leaving room for later inserts before they split.
 *
 * Each level has a builder holding the cells of its open node. A full node is
 * written and handed to the level above together with its lead separator,
 * the shortest byte string between the last key before it and its first key
 * (the first node of a level has none: it becomes its parent's child0). At
 * the end the open nodes are closed bottom-up; the single node of the top
 * level is the root (a branch left with one child gives way to that child).
 *
 * The header is written last, so a refusal halfway (keys out of order, a
 * value the codec refuses, OUT_OF_SPACE) frees every block taken and leaves
 * the tree as it was: empty.
 */
import type { Key } from '../codec/key-codec.js';
import { compareKeyRanges } from '../codec/key-compare.js';
import type { ValueCodec } from '../codec/value-codec.js';
import { writeBlob } from '../core/blob.js';
import { copyRange } from '../core/copy.js';
import { StructError } from '../core/struct-error.js';
import {
  BLOB_REF_SIZE, CELL_HEADER_SIZE, HEIGHT_MAX, NODE_BRANCH, NODE_HEADER_SIZE, NODE_LEAF, SLOT_SIZE, TREE_HEIGHT, TREE_ROOT,
  VALUE_BLOB, VALUE_SIZE_MAX,
} from './format.js';
import { CellList, commonPrefixSize, composeNode, nodeCount } from './node.js';
import type { TreeCore } from './path.js';
import { writeImage } from './write.js';

/**
 * The share of a node's space that bulk loading fills by default: room for a
 * few inserts per leaf before it splits. 1 packs nodes full (the smallest
 * tree, for data that will only be read); lower values leave more room for
 * random inserts, which otherwise split nearly every leaf they first reach.
 */
export const BULK_FILL = 0.9;
/** The lowest fill bulkLoad accepts: below half, a node would hold less than a split leaves. */
export const BULK_FILL_MIN = 0.5;

export interface BulkLoadOptions {
  /** Share of each node's space to fill, BULK_FILL_MIN .. 1. Default BULK_FILL. */
  readonly fill?: number;
}

export interface LoadableTree<K> extends TreeCore {
  readonly keySizeMax: number;
  readonly cellSizeMax: number;
  _encodeInto(key: K, target: Buffer): number;
}

class LevelBuilder {
  /** The cells of the open node, back to back. */
  readonly cells: Buffer;
  cellsUsed = 0;
  readonly list: CellList;
  /** Bytes of cells and slots in the open node. */
  space = 0;
  child0 = 0;
  /** The separator cell that leads the open node (its child patched when written), or size 0: the level's first node. */
  readonly lead: Buffer;
  leadSize = 0;
  nodeCount = 0;

  constructor(nodeSize: number, cellSizeMax: number) {
    this.cells = Buffer.alloc(nodeSize);
    this.list = new CellList(Math.ceil(nodeSize / (CELL_HEADER_SIZE + 1 + SLOT_SIZE)) + 2);
    this.lead = Buffer.alloc(cellSizeMax);
  }

  add(cell: Uint8Array, start: number, size: number): void {
    copyRange(cell, start, start + size, this.cells, this.cellsUsed);
    this.list.push(this.cells, this.cellsUsed, size);
    this.cellsUsed += size;
    this.space += size + SLOT_SIZE;
  }

  reset(): void {
    this.list.clear();
    this.cellsUsed = 0;
    this.space = 0;
    this.child0 = 0;
    this.leadSize = 0;
  }
}

/** The fill of `options`, checked; INVALID_ARGUMENT for anything but a number in [BULK_FILL_MIN, 1]. */
export function bulkFillOf(options: BulkLoadOptions | undefined): number {
  const fill = options?.fill ?? BULK_FILL;
  if (typeof fill !== 'number' || !(fill >= BULK_FILL_MIN && fill <= 1)) {
    throw new StructError('INVALID_ARGUMENT', `bulkLoad's fill is the share of each node to fill, from ${BULK_FILL_MIN} to 1; got ${String(fill)}.`, { fill });
  }
  return fill;
}

export function bulkLoad<K extends Key, V>(tree: LoadableTree<K>, entries: Iterable<readonly [K, V]>, codec: ValueCodec<V>, fillShare: number): void {
  const ctx = tree.ctx;
  const header = tree.headerOffset;
  const nodeSize = tree.nodeSize;
  {
    const bytes = ctx.bytes;
    if (bytes.readUInt32LE(header + TREE_HEIGHT) !== 1 || nodeCount(bytes, bytes.readUInt32LE(header + TREE_ROOT)) !== 0) {
      throw new StructError('INVALID_ARGUMENT', 'bulkLoad fills an empty tree only; clear() it first, or put the entries one by one.', {});
    }
  }
  const fill = Math.floor((nodeSize - NODE_HEADER_SIZE) * fillShare);
  const levels: LevelBuilder[] = [new LevelBuilder(nodeSize, tree.cellSizeMax)];
  const image = Buffer.alloc(nodeSize);
  const key = Buffer.alloc(tree.keySizeMax);
  const previousKey = Buffer.alloc(tree.keySizeMax);
  let previousSize = -1;
  const cell = Buffer.alloc(tree.cellSizeMax);
  const taken: number[] = [];
  let count = 0;

  /** Writes the open node of `level` and hands it to the level above (creating it). */
  const close = (level: number): number => {
    const builder = levels[level]!;
    const node = ctx.alloc(nodeSize);
    taken.push(node);
    const cellsStart = composeNode(image, nodeSize, level === 0 ? NODE_LEAF : NODE_BRANCH, builder.child0, builder.list, 0, builder.list.count);
    writeImage(tree, node, image, builder.list.count, cellsStart);
    builder.nodeCount++;
    return node;
  };
  const carries = [Buffer.alloc(tree.cellSizeMax), Buffer.alloc(tree.cellSizeMax)];
  /** Hands `node`, led by lead[0, leadSize) (size 0: it is the first of its level), to the levels above. */
  const handUp = (level: number, node: number, lead: Buffer, leadSize: number): void => {
    let carry = 0;
    let separator = carries[carry]!;
    lead.copy(separator, 0, 0, leadSize);
    let separatorSize = leadSize;
    let child = node;
    for (let lvl = level + 1; ; lvl++) {
      if (lvl >= HEIGHT_MAX) throw new StructError('INVALID_ARGUMENT', 'bulkLoad would build a tree taller than HEIGHT_MAX.', {});
      let parent = levels[lvl];
      if (parent === undefined) {
        parent = new LevelBuilder(nodeSize, tree.cellSizeMax);
        levels.push(parent);
      }
      if (separatorSize === 0) {
        parent.child0 = child;
        return;
      }
      separator.writeUInt32LE(child, 2);
      if (parent.space + separatorSize + SLOT_SIZE <= fill) {
        parent.add(separator, 0, separatorSize);
        return;
      }
      // The parent's open node is full: close it and hand it up with its own lead;
      // this separator leads the parent's next node, whose child0 is `child`.
      const closed = close(lvl);
      carry ^= 1;
      const next = carries[carry]!;
      parent.lead.copy(next, 0, 0, parent.leadSize);
      const nextSize = parent.leadSize;
      parent.reset();
      separator.copy(parent.lead, 0, 0, separatorSize);
      parent.leadSize = separatorSize;
      parent.child0 = child;
      separator = next;
      separatorSize = nextSize;
      child = closed;
    }
  };

  try {
    const leaves = levels[0]!;
    for (const entry of entries) {
      const encoded = codec.encode(entry[1]);
      const valueSize = encoded.length;
      if (valueSize > VALUE_SIZE_MAX) {
        throw new StructError('VALUE_TOO_LARGE', `The encoded value has ${valueSize} bytes; a BTree value may have at most ${VALUE_SIZE_MAX}.`, { size: valueSize, sizeMax: VALUE_SIZE_MAX });
      }
      const keySize = tree._encodeInto(entry[0], key);
      if (previousSize >= 0 && compareKeyRanges(previousKey, 0, previousSize, key, 0, keySize) >= 0) {
        throw new StructError('INVALID_ARGUMENT', `bulkLoad needs keys in strictly ascending order; entry ${count} is not above the one before it.`, { index: count });
      }
      cell.writeUInt16LE(keySize, 0);
      key.copy(cell, CELL_HEADER_SIZE, 0, keySize);
      let cellSize: number;
      if (CELL_HEADER_SIZE + keySize + valueSize <= tree.cellSizeMax) {
        cell.writeUInt32LE(valueSize, 2);
        cell.set(encoded, CELL_HEADER_SIZE + keySize);
        cellSize = CELL_HEADER_SIZE + keySize + valueSize;
      } else {
        const blob = writeBlob(ctx, encoded, 0, valueSize);
        taken.push(blob);
        cell.writeUInt32LE(VALUE_BLOB, 2);
        cell.writeUInt32LE(blob, CELL_HEADER_SIZE + keySize);
        cellSize = CELL_HEADER_SIZE + keySize + BLOB_REF_SIZE;
      }
      if (leaves.list.count > 0 && leaves.space + cellSize + SLOT_SIZE > fill) {
        const node = close(0);
        handUp(0, node, leaves.lead, leaves.leadSize);
        leaves.reset();
      }
      if (leaves.list.count === 0 && previousSize >= 0) {
        // The lead separator of a new leaf: the shortest prefix of its first key above the last key before it.
        const size = commonPrefixSize(previousKey, 0, previousSize, key, 0, keySize) + 1;
        leaves.lead.writeUInt16LE(size, 0);
        leaves.lead.writeUInt32LE(0, 2);
        key.copy(leaves.lead, CELL_HEADER_SIZE, 0, size);
        leaves.leadSize = CELL_HEADER_SIZE + size;
      }
      leaves.add(cell, 0, cellSize);
      key.copy(previousKey, 0, 0, keySize);
      previousSize = keySize;
      count++;
    }
    if (count === 0) return;
    // Close the open nodes bottom-up; the top level's only node is the root.
    let root = 0;
    let height = 0;
    for (let level = 0; ; level++) {
      const builder = levels[level]!;
      if (level === levels.length - 1 && builder.nodeCount === 0) {
        // A branch left with only child0 gives way to it.
        const collapse = level > 0 && builder.list.count === 0;
        root = collapse ? builder.child0 : close(level);
        height = collapse ? level : level + 1;
        break;
      }
      handUp(level, close(level), builder.lead, builder.leadSize);
    }
    const oldRoot = ctx.bytes.readUInt32LE(header + TREE_ROOT);
    ctx.openWindow(header + TREE_ROOT, 8);
    ctx.putU32(header + TREE_ROOT, root);
    ctx.putU32(header + TREE_HEIGHT, height);
    ctx.free(oldRoot);
  } catch (e) {
    for (const block of taken) ctx.free(block);
    throw e;
  }
}
