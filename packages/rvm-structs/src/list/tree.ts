/**
 * The counted B+-tree under a List (format.ts): descending to a position,
 * inserting a record (splitting nodes up the path), removing one (merging
 * nodes that shrank with a sibling, collapsing a root with one child).
 *
 * Records arrive composed in `recordScratch`; values never pass through here,
 * so no codec (user code) runs while a path is in use.
 *
 * Splits allocate every node they will need before they write anything, so a
 * full heap (OUT_OF_SPACE) leaves the tree unchanged. Removal never allocates.
 *
 * Which way a node splits: a push (insertion at the end of the list) splits
 * off only the new record (or entry) into the new node, and an unshift
 * (insertion at position 0) splits it off into the old one, so lists built
 * from either end have full nodes; any other insertion splits in the middle.
 */
import { assert } from '../core/invariant.js';
import type { StructContext } from '../core/struct-context.js';
import {
  BLOB_REF_SIZE, CELL_BLOB, corrupt, ENTRY_SIZE, FANOUT_MAX, HEADER_CHANGE_COUNT, HEADER_HEIGHT, HEADER_LENGTH, HEADER_ROOT,
  HEIGHT_MAX, INTERNAL_SIZE, LEAF_DATA_SIZE, LEAF_SIZE, MERGE_FANOUT_MAX, MERGE_LEAF_SIZE_MAX, NODE_COUNT, NODE_HEADER_SIZE,
  NODE_LEVEL, NODE_SKIP_SIZE, NODE_USED_SIZE, RECORD_FIELD_SIZE, RECORD_SIZE_MAX,
} from './format.js';

/** Where an insertion happens, which decides how full nodes split. */
export const EDGE_MIDDLE = 0;
export const EDGE_END = 1;
export const EDGE_START = 2;

/** A record being inserted, composed by the List. */
export const recordScratch = Buffer.allocUnsafeSlow(RECORD_SIZE_MAX);
/** A node image being written with one declared range. */
const nodeImage = Buffer.allocUnsafeSlow(Math.max(LEAF_SIZE, INTERNAL_SIZE));
/** The records (or entries) of a node being split, plus the new one. */
const gathered = Buffer.allocUnsafeSlow(LEAF_DATA_SIZE + RECORD_SIZE_MAX + ENTRY_SIZE);
const gatheredStarts = new Int32Array(LEAF_DATA_SIZE / RECORD_FIELD_SIZE + 2);
const small = Buffer.allocUnsafeSlow(16);

export class ListTree {
  /** Nodes of the last descent: [0] the root .. [height] the leaf. */
  readonly pathNodes = new Int32Array(HEIGHT_MAX + 1);
  /** The child taken at each internal node of the last descent. */
  readonly pathIndexes = new Int32Array(HEIGHT_MAX + 1);
  /** Results of the last descent. */
  height = 0;
  leaf = 0;
  /** Position in the leaf of the record descended to, and its byte offset (after locate). */
  leafLocal = 0;
  leafPos = 0;
  /** The list position of the leaf's first record. */
  leafStart = 0;
  /** Nodes allocated for a split, used in order. */
  private readonly fresh = new Int32Array(HEIGHT_MAX + 2);
  private freshUsed = 0;

  constructor(
    readonly ctx: StructContext,
    readonly header: number,
  ) {}

  length(): number {
    return this.ctx.bytes.readUInt32LE(this.header + HEADER_LENGTH);
  }

  changeCount(): number {
    return this.ctx.bytes.readUInt32LE(this.header + HEADER_CHANGE_COUNT);
  }

  /**
   * Walks from the root to the leaf that holds position `index` (for an
   * insertion, the leaf whose records it would follow: a position between two
   * leaves goes to the left one). Sets the path, leaf, leafLocal, leafStart.
   */
  descend(index: number, forInsert: boolean): number {
    const bytes = this.ctx.bytes;
    const header = this.header;
    const height = bytes[header + HEADER_HEIGHT]!;
    if (height > HEIGHT_MAX) throw corrupt(header, header + HEADER_HEIGHT, `height ${height} is past HEIGHT_MAX`);
    let node = bytes.readUInt32LE(header + HEADER_ROOT);
    if (forInsert && index === bytes.readUInt32LE(header + HEADER_LENGTH)) return this.descendRightmost(node, height, index);
    let rest = index;
    for (let d = 0; d < height; d++) {
      this.checkNode(bytes, node, height - d, INTERNAL_SIZE);
      const count = bytes.readUInt16LE(node + NODE_COUNT);
      if (count === 0 || count > FANOUT_MAX) throw corrupt(header, node, `an internal node has ${count} children`);
      let i = 0;
      let entry = node + NODE_HEADER_SIZE;
      for (;;) {
        const under = bytes.readUInt32LE(entry + 4);
        if (rest < under || (forInsert && rest === under)) break;
        rest -= under;
        if (++i === count) throw corrupt(header, node, `the counts of a node do not reach position ${index}`);
        entry += ENTRY_SIZE;
      }
      this.pathNodes[d] = node;
      this.pathIndexes[d] = i;
      node = bytes.readUInt32LE(entry);
    }
    this.checkNode(bytes, node, 0, LEAF_SIZE);
    if (rest > bytes.readUInt16LE(node + NODE_COUNT)) throw corrupt(header, node, `a leaf holds fewer records than its count in the parent`);
    this.pathNodes[height] = node;
    this.height = height;
    this.leaf = node;
    this.leafLocal = rest;
    this.leafStart = index - rest;
    return node;
  }

  /** descend() for an insertion at the end: the last child at every level, without summing counts. */
  private descendRightmost(root: number, height: number, length: number): number {
    const bytes = this.ctx.bytes;
    let node = root;
    for (let d = 0; d < height; d++) {
      this.checkNode(bytes, node, height - d, INTERNAL_SIZE);
      const count = bytes.readUInt16LE(node + NODE_COUNT);
      if (count === 0 || count > FANOUT_MAX) throw corrupt(this.header, node, `an internal node has ${count} children`);
      this.pathNodes[d] = node;
      this.pathIndexes[d] = count - 1;
      node = bytes.readUInt32LE(node + NODE_HEADER_SIZE + (count - 1) * ENTRY_SIZE);
    }
    this.checkNode(bytes, node, 0, LEAF_SIZE);
    const local = bytes.readUInt16LE(node + NODE_COUNT);
    if (local > length) throw corrupt(this.header, node, 'the last leaf holds more records than the list');
    this.pathNodes[height] = node;
    this.height = height;
    this.leaf = node;
    this.leafLocal = local;
    this.leafStart = length - local;
    return node;
  }

  /** Descends to the record at `index` (< length) and sets leafPos to its offset. */
  locate(index: number): number {
    const leaf = this.descend(index, false);
    this.leafPos = this.recordPos(leaf, this.leafLocal);
    return this.leafPos;
  }

  /** The offset of record `local` of `leaf` (local may equal the count: the end of the records). */
  recordPos(leaf: number, local: number): number {
    const bytes = this.ctx.bytes;
    let pos = leaf + NODE_HEADER_SIZE + bytes.readUInt16LE(leaf + NODE_SKIP_SIZE);
    const end = pos + bytes.readUInt16LE(leaf + NODE_USED_SIZE);
    if (end > leaf + LEAF_SIZE) throw corrupt(this.header, leaf, 'the records of a leaf run past its end');
    for (let k = 0; k < local; k++) {
      const field = bytes.readUInt16LE(pos);
      pos += RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
    }
    if (pos > end) throw corrupt(this.header, leaf, 'the records of a leaf run past its used size');
    return pos;
  }

  /**
   * Inserts the record in recordScratch[0, size) at position `index` (0 <=
   * index <= length). Throws OUT_OF_SPACE, with the tree unchanged, when a
   * split cannot allocate. Does not touch the header's length.
   */
  insert(index: number, size: number, edge: number): void {
    const ctx = this.ctx;
    const leaf = this.descend(index, true);
    const height = this.height;
    const bytes = ctx.bytes;
    const used = bytes.readUInt16LE(leaf + NODE_USED_SIZE);
    const count = bytes.readUInt16LE(leaf + NODE_COUNT);
    let skip = bytes.readUInt16LE(leaf + NODE_SKIP_SIZE);
    if (used + size <= LEAF_DATA_SIZE) {
      const local = this.leafLocal;
      if (local === 0 && skip >= size) {
        // Into the gap before the first record: nothing moves.
        skip -= size;
        ctx.writeBytes(leaf + NODE_HEADER_SIZE + skip, recordScratch, 0, size);
      } else {
        if (skip + used + size > LEAF_DATA_SIZE) {
          // Room only with the gap: move the records to the front first.
          ctx.moveBytes(leaf + NODE_HEADER_SIZE, leaf + NODE_HEADER_SIZE + skip, used);
          skip = 0;
          writeLeafHeader(ctx, leaf, count, used, 0);
        }
        const pos = this.recordPos(leaf, local);
        const end = leaf + NODE_HEADER_SIZE + skip + used;
        ctx.moveBytes(pos + size, pos, end - pos);
        ctx.writeBytes(pos, recordScratch, 0, size);
      }
      writeLeafHeader(ctx, leaf, count + 1, used + size, skip);
      this.addToCounts(height, 1);
      return;
    }
    this.allocateForSplit(height);
    this.splitLeaf(leaf, used, skip, count, size, edge);
  }

  /**
   * Removes the record located last (locate) and rebalances. The caller has
   * read what it needs from the record (its value, its blob) first.
   */
  removeLocated(): void {
    const ctx = this.ctx;
    const leaf = this.leaf;
    const height = this.height;
    const bytes = ctx.bytes;
    const pos = this.leafPos;
    const field = bytes.readUInt16LE(pos);
    const size = RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
    const used = bytes.readUInt16LE(leaf + NODE_USED_SIZE);
    const count = bytes.readUInt16LE(leaf + NODE_COUNT);
    const skip = bytes.readUInt16LE(leaf + NODE_SKIP_SIZE);
    const start = leaf + NODE_HEADER_SIZE + skip;
    if (count === 1) {
      writeLeafHeader(ctx, leaf, 0, 0, 0);
    } else if (pos === start) {
      // The first record: the gap grows over it, nothing moves.
      writeLeafHeader(ctx, leaf, count - 1, used - size, skip + size);
    } else {
      const end = start + used;
      ctx.moveBytes(pos, pos + size, end - pos - size);
      writeLeafHeader(ctx, leaf, count - 1, used - size, skip);
    }
    this.addToCounts(height, -1);
    this.rebalance();
  }

  /** Adds `delta` to length and increments changeCount, with one declared range. */
  finish(lengthDelta: number): void {
    const bytes = this.ctx.bytes;
    const at = this.header + HEADER_LENGTH;
    small.writeUInt32LE(bytes.readUInt32LE(at) + lengthDelta, 0);
    small.writeUInt32LE((bytes.readUInt32LE(at + 4) + 1) >>> 0, 4);
    this.ctx.writeBytes(at, small, 0, 8);
  }

  // ---------------------------------------------------------------- private

  private checkNode(bytes: Buffer, node: number, level: number, size: number): void {
    if (node === 0 || node % 8 !== 0 || node + size > bytes.length) throw corrupt(this.header, node, `node offset ${node} is not a block offset`);
    if (bytes[node + NODE_LEVEL] !== level) throw corrupt(this.header, node, `a node of level ${bytes[node + NODE_LEVEL]} stands at level ${level}`);
  }

  /** Adds `delta` to the count of the entry taken at each depth above `depth`. */
  private addToCounts(depth: number, delta: number): void {
    const ctx = this.ctx;
    for (let d = 0; d < depth; d++) {
      const at = this.pathNodes[d]! + NODE_HEADER_SIZE + this.pathIndexes[d]! * ENTRY_SIZE + 4;
      ctx.writeU32(at, ctx.bytes.readUInt32LE(at) + delta);
    }
  }

  /** Allocates the nodes a split of the leaf at `height` needs: the leaf's sibling, one per full ancestor, and a new root if all are full. */
  private allocateForSplit(height: number): void {
    const ctx = this.ctx;
    const bytes = ctx.bytes;
    let internalCount = 0;
    let d = height - 1;
    while (d >= 0 && bytes.readUInt16LE(this.pathNodes[d]! + NODE_COUNT) === FANOUT_MAX) {
      internalCount++;
      d--;
    }
    if (d < 0) {
      internalCount++;
      assert(height < HEIGHT_MAX, 'the tree stays below HEIGHT_MAX');
    }
    this.freshUsed = 0;
    let allocated = 0;
    try {
      for (let k = 0; k <= internalCount; k++) {
        const node = ctx.alloc(k === 0 ? LEAF_SIZE : INTERNAL_SIZE);
        this.fresh[allocated] = node;
        allocated++;
      }
    } catch (e) {
      for (let k = 0; k < allocated; k++) ctx.free(this.fresh[k]!);
      throw e;
    }
  }

  private takeFresh(): number {
    return this.fresh[this.freshUsed++]!;
  }

  /** Splits the full leaf, inserting the record in recordScratch, then carries the new leaf up the path. */
  private splitLeaf(leaf: number, used: number, skip: number, count: number, size: number, edge: number): void {
    const ctx = this.ctx;
    const bytes = ctx.bytes;
    const local = this.leafLocal;
    // Gather the records in list order, the new one at `local`.
    const start = leaf + NODE_HEADER_SIZE + skip;
    bytes.copy(gathered, 0, start, start + used);
    recordScratch.copy(gathered, used, 0, size);
    const total = count + 1;
    let pos = 0;
    let k = 0;
    for (let r = 0; r < count; r++) {
      if (r === local) gatheredStarts[k++] = used;
      gatheredStarts[k++] = pos;
      const field = gathered.readUInt16LE(pos);
      pos += RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
    }
    if (local === count) gatheredStarts[k++] = used;
    assert(k === total && pos === used, 'gathered every record');
    const bytesTotal = used + size;
    let split: number;
    if (edge === EDGE_END) {
      assert(local === count, 'a push splits at the end of the last leaf');
      split = count;
    } else if (edge === EDGE_START) {
      assert(local === 0, 'an unshift splits at the start of the first leaf');
      split = 1;
    } else {
      let left = 0;
      split = 0;
      while (split < total - 1 && left < bytesTotal / 2) left += gatheredRecordSize(gatheredStarts[split++]!);
      if (split === 0) split = 1;
    }
    const right = this.takeFresh();
    // An unshift leaves its new record at the end of the left leaf, so that the next ones fill the gap before it.
    const leftSize = this.writeLeaf(leaf, 0, split, edge === EDGE_START);
    const rightSize = this.writeLeaf(right, split, total, false);
    assert(leftSize <= LEAF_DATA_SIZE && rightSize <= LEAF_DATA_SIZE, 'both halves fit');
    this.carryUp(this.height - 1, leaf, split, right, total - split);
  }

  /**
   * Writes the gathered records [from, to) as the whole of leaf `leaf`, at the
   * front of it or (alignEnd) at its end; returns their size.
   */
  private writeLeaf(leaf: number, from: number, to: number, alignEnd: boolean): number {
    let at = NODE_HEADER_SIZE;
    for (let r = from; r < to; r++) {
      const start = gatheredStarts[r]!;
      const size = gatheredRecordSize(start);
      gathered.copy(nodeImage, at, start, start + size);
      at += size;
    }
    const used = at - NODE_HEADER_SIZE;
    const skip = alignEnd ? LEAF_DATA_SIZE - used : 0;
    nodeImage.writeUInt32LE(0, 0);
    nodeImage.writeUInt16LE(to - from, NODE_COUNT);
    nodeImage.writeUInt16LE(used, NODE_USED_SIZE);
    nodeImage.writeUInt16LE(skip, NODE_SKIP_SIZE);
    if (skip === 0) {
      this.ctx.writeBytes(leaf, nodeImage, 0, at);
    } else {
      this.ctx.writeBytes(leaf, nodeImage, 0, NODE_HEADER_SIZE);
      this.ctx.writeBytes(leaf + NODE_HEADER_SIZE + skip, nodeImage, NODE_HEADER_SIZE, at);
    }
    return used;
  }

  /**
   * A child at depth `d + 1` split into `left` (holding `leftCount` elements)
   * and `right` (holding `rightCount`): records both in the node at depth `d`,
   * splitting it in turn when full, up to a new root.
   */
  private carryUp(depth: number, left: number, leftCount: number, right: number, rightCount: number): void {
    const ctx = this.ctx;
    let d = depth;
    for (; d >= 0; d--) {
      const node = this.pathNodes[d]!;
      const i = this.pathIndexes[d]!;
      const bytes = ctx.bytes;
      const count = bytes.readUInt16LE(node + NODE_COUNT);
      const entry = node + NODE_HEADER_SIZE + i * ENTRY_SIZE;
      if (count < FANOUT_MAX) {
        const end = node + NODE_HEADER_SIZE + count * ENTRY_SIZE;
        ctx.moveBytes(entry + 2 * ENTRY_SIZE, entry + ENTRY_SIZE, end - entry - ENTRY_SIZE);
        small.writeUInt32LE(leftCount, 0);
        small.writeUInt32LE(right, 4);
        small.writeUInt32LE(rightCount, 8);
        ctx.writeBytes(entry + 4, small, 0, 12);
        ctx.writeU32(node + NODE_COUNT, count + 1 + (count + 1) * ENTRY_SIZE * 0x10000);
        this.addToCounts(d, 1);
        return;
      }
      // Gather the entries with the split child's two halves, then split this node.
      const total = count + 1;
      bytes.copy(gathered, 0, node + NODE_HEADER_SIZE, node + NODE_HEADER_SIZE + i * ENTRY_SIZE);
      gathered.writeUInt32LE(left, i * ENTRY_SIZE);
      gathered.writeUInt32LE(leftCount, i * ENTRY_SIZE + 4);
      gathered.writeUInt32LE(right, (i + 1) * ENTRY_SIZE);
      gathered.writeUInt32LE(rightCount, (i + 1) * ENTRY_SIZE + 4);
      bytes.copy(gathered, (i + 2) * ENTRY_SIZE, entry + ENTRY_SIZE, node + NODE_HEADER_SIZE + count * ENTRY_SIZE);
      const edge = i === count - 1 && this.isRightmost(d) ? EDGE_END : i === 0 && this.isLeftmost(d) ? EDGE_START : EDGE_MIDDLE;
      const split = edge === EDGE_END ? count : edge === EDGE_START ? i + 2 : total >> 1;
      const sibling = this.takeFresh();
      const level = this.height - d;
      leftCount = this.writeInternal(node, level, 0, split);
      rightCount = this.writeInternal(sibling, level, split, total);
      left = node;
      right = sibling;
    }
    // The root split: a new root over the two halves.
    const root = this.takeFresh();
    nodeImage.writeUInt32LE(0, 0);
    nodeImage[NODE_LEVEL] = this.height + 1;
    nodeImage.writeUInt16LE(2, NODE_COUNT);
    nodeImage.writeUInt16LE(2 * ENTRY_SIZE, NODE_USED_SIZE);
    nodeImage.writeUInt16LE(0, 6);
    nodeImage.writeUInt32LE(left, NODE_HEADER_SIZE);
    nodeImage.writeUInt32LE(leftCount, NODE_HEADER_SIZE + 4);
    nodeImage.writeUInt32LE(right, NODE_HEADER_SIZE + ENTRY_SIZE);
    nodeImage.writeUInt32LE(rightCount, NODE_HEADER_SIZE + ENTRY_SIZE + 4);
    ctx.writeBytes(root, nodeImage, 0, NODE_HEADER_SIZE + 2 * ENTRY_SIZE);
    this.setRoot(root, this.height + 1);
    assert(this.freshUsed <= this.fresh.length, 'used only what was allocated');
  }

  /** Whether the path at depth `d` and above takes the last child everywhere (the end of the list). */
  private isRightmost(d: number): boolean {
    const bytes = this.ctx.bytes;
    for (let k = 0; k < d; k++) {
      if (this.pathIndexes[k] !== bytes.readUInt16LE(this.pathNodes[k]! + NODE_COUNT) - 1) return false;
    }
    return true;
  }

  /** Whether the path above depth `d` takes the first child everywhere (the start of the list). */
  private isLeftmost(d: number): boolean {
    for (let k = 0; k < d; k++) if (this.pathIndexes[k] !== 0) return false;
    return true;
  }

  /** Writes gathered entries [from, to) as the whole of internal node `node`; returns the elements under them. */
  private writeInternal(node: number, level: number, from: number, to: number): number {
    const size = (to - from) * ENTRY_SIZE;
    gathered.copy(nodeImage, NODE_HEADER_SIZE, from * ENTRY_SIZE, to * ENTRY_SIZE);
    let elements = 0;
    for (let r = from; r < to; r++) elements += gathered.readUInt32LE(r * ENTRY_SIZE + 4);
    nodeImage.writeUInt32LE(0, 0);
    nodeImage[NODE_LEVEL] = level;
    nodeImage.writeUInt16LE(to - from, NODE_COUNT);
    nodeImage.writeUInt16LE(size, NODE_USED_SIZE);
    nodeImage.writeUInt16LE(0, 6);
    this.ctx.writeBytes(node, nodeImage, 0, NODE_HEADER_SIZE + size);
    return elements;
  }

  private setRoot(root: number, height: number): void {
    small.writeUInt16LE(height, 0);
    small.writeUInt32LE(root, 2);
    this.ctx.writeBytes(this.header + HEADER_HEIGHT, small, 0, 6);
  }

  /**
   * After a removal along the current path: a node left empty leaves its
   * parent; a node that fits together with a sibling (MERGE_*_MAX) merges into
   * it; each of these shrinks the parent, which is checked in turn. Finally a
   * root with one child gives way to that child.
   */
  private rebalance(): void {
    const ctx = this.ctx;
    const height = this.height;
    let d = height;
    while (d > 0) {
      const bytes = ctx.bytes;
      const node = this.pathNodes[d]!;
      const parent = this.pathNodes[d - 1]!;
      const i = this.pathIndexes[d - 1]!;
      const isLeaf = d === height;
      const fill = nodeFill(bytes, node, isLeaf);
      const parentCount = bytes.readUInt16LE(parent + NODE_COUNT);
      if (fill === 0) {
        this.removeEntry(parent, i, parentCount);
        ctx.free(node);
        d--;
        continue;
      }
      const limit = isLeaf ? MERGE_LEAF_SIZE_MAX : MERGE_FANOUT_MAX;
      const entry = parent + NODE_HEADER_SIZE + i * ENTRY_SIZE;
      if (i > 0) {
        const left = bytes.readUInt32LE(entry - ENTRY_SIZE);
        if (nodeFill(bytes, left, isLeaf) + fill <= limit) {
          this.append(left, node, isLeaf);
          ctx.writeU32(entry - 4, bytes.readUInt32LE(entry - 4) + bytes.readUInt32LE(entry + 4));
          this.removeEntry(parent, i, parentCount);
          ctx.free(node);
          d--;
          continue;
        }
      }
      if (i + 1 < parentCount) {
        const right = bytes.readUInt32LE(entry + ENTRY_SIZE);
        if (fill + nodeFill(bytes, right, isLeaf) <= limit) {
          this.append(node, right, isLeaf);
          ctx.writeU32(entry + 4, bytes.readUInt32LE(entry + 4) + bytes.readUInt32LE(entry + ENTRY_SIZE + 4));
          this.removeEntry(parent, i + 1, parentCount);
          ctx.free(right);
          d--;
          continue;
        }
      }
      break;
    }
    // An internal root with one child gives way to it (an empty list has an empty leaf as its root).
    let bytes = ctx.bytes;
    let root = this.pathNodes[0]!;
    let rootHeight = height;
    while (rootHeight > 0 && bytes.readUInt16LE(root + NODE_COUNT) === 1) {
      const child = bytes.readUInt32LE(root + NODE_HEADER_SIZE);
      ctx.free(root);
      bytes = ctx.bytes;
      root = child;
      rootHeight--;
    }
    assert(rootHeight === 0 || bytes.readUInt16LE(root + NODE_COUNT) >= 2, 'an internal root keeps two children');
    if (rootHeight !== height) this.setRoot(root, rootHeight);
  }

  /** Removes entry `i` of the internal node `node`, which has `count` entries. */
  private removeEntry(node: number, i: number, count: number): void {
    const entry = node + NODE_HEADER_SIZE + i * ENTRY_SIZE;
    this.ctx.moveBytes(entry, entry + ENTRY_SIZE, (count - i - 1) * ENTRY_SIZE);
    this.ctx.writeU32(node + NODE_COUNT, count - 1 + (count - 1) * ENTRY_SIZE * 0x10000);
  }

  /** Appends the records (or entries) of `source` to `target`, its left sibling. */
  private append(target: number, source: number, isLeaf: boolean): void {
    const ctx = this.ctx;
    const bytes = ctx.bytes;
    const targetCount = bytes.readUInt16LE(target + NODE_COUNT);
    const targetUsed = bytes.readUInt16LE(target + NODE_USED_SIZE);
    const sourceCount = bytes.readUInt16LE(source + NODE_COUNT);
    const sourceUsed = bytes.readUInt16LE(source + NODE_USED_SIZE);
    assert(targetUsed + sourceUsed <= (isLeaf ? LEAF_DATA_SIZE : FANOUT_MAX * ENTRY_SIZE), 'merged nodes fit');
    if (!isLeaf) {
      ctx.moveBytes(target + NODE_HEADER_SIZE + targetUsed, source + NODE_HEADER_SIZE, sourceUsed);
      ctx.writeU32(target + NODE_COUNT, targetCount + sourceCount + (targetUsed + sourceUsed) * 0x10000);
      return;
    }
    let targetSkip = bytes.readUInt16LE(target + NODE_SKIP_SIZE);
    if (targetSkip + targetUsed + sourceUsed > LEAF_DATA_SIZE) {
      ctx.moveBytes(target + NODE_HEADER_SIZE, target + NODE_HEADER_SIZE + targetSkip, targetUsed);
      targetSkip = 0;
    }
    const sourceStart = source + NODE_HEADER_SIZE + bytes.readUInt16LE(source + NODE_SKIP_SIZE);
    ctx.moveBytes(target + NODE_HEADER_SIZE + targetSkip + targetUsed, sourceStart, sourceUsed);
    writeLeafHeader(ctx, target, targetCount + sourceCount, targetUsed + sourceUsed, targetSkip);
  }
}

/** Writes a leaf's count, usedSize and skipSize with one declared range. */
function writeLeafHeader(ctx: StructContext, leaf: number, count: number, used: number, skip: number): void {
  small.writeUInt16LE(count, 0);
  small.writeUInt16LE(used, 2);
  small.writeUInt16LE(skip, 4);
  ctx.writeBytes(leaf + NODE_COUNT, small, 0, 6);
}

function gatheredRecordSize(start: number): number {
  const field = gathered.readUInt16LE(start);
  return RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
}

/** How full a node is, in the unit its merge limit uses: bytes of records for a leaf, children for an internal node. */
function nodeFill(bytes: Buffer, node: number, isLeaf: boolean): number {
  return isLeaf ? bytes.readUInt16LE(node + NODE_USED_SIZE) : bytes.readUInt16LE(node + NODE_COUNT);
}
