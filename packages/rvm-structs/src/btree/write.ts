/**
 * Putting a cell into a node: in place when it fits (the fast path: one cell
 * write and one window over the header and the slots that move), by
 * compacting the node when its garbage makes room, and by splitting otherwise,
 * with the split propagating up the path, iteratively.
 *
 * A split is planned before anything is written: the plan reads the nodes on
 * the path, chooses every split point, copies every separator into scratch,
 * and counts the nodes needed. Those are allocated next (a failed allocation
 * frees the ones taken, so OUT_OF_SPACE leaves the tree and the transaction
 * as they were), and only then are nodes written. The node that splits is
 * rewritten in place as the left half (rewriteInPlace: the cells it keeps
 * mostly stay where they are and are not declared again); the right half is
 * composed as an image in scratch, before the left half is rewritten, because
 * it is read from the node's cells.
 */
import { copyRange } from '../core/copy.js';
import { assert } from '../core/invariant.js';
import {
  CELL_HEADER_SIZE, HEIGHT_MAX, NODE_BRANCH, NODE_CELLS_START, NODE_COUNT, NODE_GARBAGE, NODE_HEADER_SIZE, NODE_LEAF, NODE_PREFIX_SIZE,
  NODE_SIZE_MAX, SLOT_SIZE, TREE_HEIGHT, TREE_ROOT,
} from './format.js';
import {
  branchCellSize, cellChild, CellList, cellKeySize, commonPrefixSize, composeNode, hintOf, isLeaf, leafCellSize, nodeCellsStart,
  nodeCount, nodeGarbage, sharesPrefix, slotCell,
} from './node.js';
import type { Path, TreeCore } from './path.js';

/** The largest number of cells a node can hold (1-byte keys, empty values), plus the one being added. */
const LIST_CAPACITY = Math.ceil((NODE_SIZE_MAX - NODE_HEADER_SIZE) / (CELL_HEADER_SIZE + 1 + SLOT_SIZE)) + 2;
/**
 * When the slots before the one changed take at most this many bytes, one
 * window covers the header and all slots (one setRange); otherwise the header
 * and the moving slots are declared apart (two). RVM's commit costs about
 * 1 us per range and about 3 ns per byte (bench/ranges.ts), so declaring up
 * to 256 bytes more is cheaper than one more range: every leaf of the
 * default 4 KiB nodes with up to 64 entries takes one window.
 */
export const WINDOW_JOIN_SIZE_MAX = 256;

const listA = new CellList(LIST_CAPACITY);
const listB = new CellList(LIST_CAPACITY);
const imageLeft = Buffer.alloc(NODE_SIZE_MAX);
const imageRight = Buffer.alloc(NODE_SIZE_MAX);
/** sepCells[level]: the separator cell a split of that level pushes up (child patched after allocation). */
const sepCells: Buffer[] = [];
const planSplit = new Int32Array(HEIGHT_MAX);
/** rewriteInPlace: cellEndingAt[offset] is 1 + the list index of the cell that ends there (0: none), zero between calls. */
const cellEndingAt = new Uint16Array(NODE_SIZE_MAX + 1);
/** rewriteInPlace: stays[i] is 1 when list cell i stays where it is, zero between calls. */
const stays = new Uint8Array(LIST_CAPACITY);
const newNodes = new Float64Array(HEIGHT_MAX + 1);

const MODE_INSERT = 0;
const MODE_REPLACE = 1;

/**
 * Puts cell[0, cellSize) at slot `index` of the node at `level` of `path`:
 * inserted before the current slot `index`, or replacing it. A leaf's replaced
 * cell holds the same key. The caller frees what the replaced cell referred to.
 */
export function placeCell(tree: TreeCore, path: Path, level: number, index: number, cell: Buffer, cellSize: number, replace: boolean): void {
  if (replace ? tryReplace(tree, path.nodes[level]!, index, cell, cellSize) : tryInsert(tree, path.nodes[level]!, index, cell, cellSize)) return;
  slowPlace(tree, path, level, index, cell, cellSize, replace ? MODE_REPLACE : MODE_INSERT);
}

function tryInsert(tree: TreeCore, node: number, index: number, cell: Buffer, cellSize: number): boolean {
  const ctx = tree.ctx;
  const bytes = ctx.bytes;
  const count = nodeCount(bytes, node);
  const cellsStart = nodeCellsStart(bytes, node);
  const slotsEnd = NODE_HEADER_SIZE + count * SLOT_SIZE;
  const keySize = cellKeySize(cell, 0);
  if (cellsStart - slotsEnd < cellSize + SLOT_SIZE || !sharesPrefix(bytes, node, cell, CELL_HEADER_SIZE, keySize)) return false;
  const at = cellsStart - cellSize;
  ctx.writeBytes(node + at, cell, 0, cellSize);
  const slot = node + NODE_HEADER_SIZE + index * SLOT_SIZE;
  const moved = (count - index) * SLOT_SIZE;
  if (index * SLOT_SIZE <= WINDOW_JOIN_SIZE_MAX) {
    ctx.openWindow(node + NODE_COUNT, slotsEnd + SLOT_SIZE - NODE_COUNT);
  } else {
    ctx.openWindow(node + NODE_COUNT, 4);
  }
  ctx.putU16(node + NODE_COUNT, count + 1);
  ctx.putU16(node + NODE_CELLS_START, at);
  if (index * SLOT_SIZE > WINDOW_JOIN_SIZE_MAX) ctx.openWindow(slot, moved + SLOT_SIZE);
  ctx.putMove(slot + SLOT_SIZE, slot, moved);
  ctx.putU16(slot, at);
  const hint = hintOf(cell, CELL_HEADER_SIZE, CELL_HEADER_SIZE + keySize, bytes[node + NODE_PREFIX_SIZE]!);
  ctx.putU16(slot + 2, ((hint & 0xff) << 8) | (hint >>> 8));
  return true;
}

function tryReplace(tree: TreeCore, node: number, index: number, cell: Buffer, cellSize: number): boolean {
  const ctx = tree.ctx;
  const bytes = ctx.bytes;
  const old = slotCell(bytes, node, index);
  const oldSize = isLeaf(bytes, node) ? leafCellSize(bytes, old) : branchCellSize(bytes, old);
  if (cellSize <= oldSize) {
    // The same key, so usually the same header: only the changed value bytes are declared and logged.
    ctx.writeBytesChanged(old, cell, 0, cellSize);
    if (cellSize < oldSize) ctx.writeU16(node + NODE_GARBAGE, nodeGarbage(bytes, node) + oldSize - cellSize);
    return true;
  }
  const count = nodeCount(bytes, node);
  const cellsStart = nodeCellsStart(bytes, node);
  if (cellsStart - (NODE_HEADER_SIZE + count * SLOT_SIZE) < cellSize) return false;
  const at = cellsStart - cellSize;
  ctx.writeBytes(node + at, cell, 0, cellSize);
  const slot = node + NODE_HEADER_SIZE + index * SLOT_SIZE;
  const garbage = nodeGarbage(bytes, node) + oldSize;
  if (index * SLOT_SIZE <= WINDOW_JOIN_SIZE_MAX) {
    ctx.openWindow(node + NODE_CELLS_START, slot + 2 - (node + NODE_CELLS_START));
    ctx.putU16(slot, at);
  } else {
    ctx.openWindow(node + NODE_CELLS_START, 4);
    ctx.writeU16(slot, at);
  }
  ctx.putU16(node + NODE_CELLS_START, at);
  ctx.putU16(node + NODE_GARBAGE, garbage);
  return true;
}

/** Bytes of the node that its header, slots and live cells take (garbage is free). */
function usedSpace(bytes: Buffer, node: number, nodeSize: number): number {
  return NODE_HEADER_SIZE + nodeCount(bytes, node) * SLOT_SIZE + nodeSize - nodeCellsStart(bytes, node) - nodeGarbage(bytes, node);
}

/** Pushes the node's cells into `list`, with `cell` inserted at or replacing slot `index` (mode), or none (index -1). */
function fillList(list: CellList, bytes: Buffer, node: number, index: number, cell: Uint8Array, cellSize: number, mode: number): void {
  list.clear();
  const count = nodeCount(bytes, node);
  const leaf = isLeaf(bytes, node);
  for (let i = 0; i < count; i++) {
    if (i === index) {
      list.push(cell, 0, cellSize);
      if (mode === MODE_REPLACE) continue;
    }
    const at = slotCell(bytes, node, i);
    list.push(bytes, at, leaf ? leafCellSize(bytes, at) : branchCellSize(bytes, at));
  }
  if (index === count) list.push(cell, 0, cellSize);
}

function sepCellFor(level: number, size: number): Buffer {
  let buffer = sepCells[level];
  if (buffer === undefined || buffer.length < size) {
    buffer = Buffer.alloc(Math.max(size, 256));
    sepCells[level] = buffer;
  }
  return buffer;
}

/** Where to split a list of n cells: the first cell of the right half (a leaf), or the cell pushed up (a branch). */
function chooseSplit(list: CellList, leaf: boolean, insertedAt: number, rightmost: boolean, nodeSize: number): number {
  const n = list.count;
  // Appending at the end of the tree (ascending inserts): leave the left node full.
  if (rightmost && insertedAt === n - 1) return leaf ? n - 1 : n - 2;
  const total = list.spaceOf(0, n);
  let best = -1;
  let bestDifference = Infinity;
  let left = 0;
  const usable = nodeSize - NODE_HEADER_SIZE;
  for (let m = 1; m < n; m++) {
    left += list.sizes[m - 1]! + SLOT_SIZE;
    const right = leaf ? total - left : total - left - list.sizes[m]! - SLOT_SIZE;
    if (!leaf && m === n - 1) break;
    if (left > usable || right > usable) continue;
    const difference = Math.abs(left - right);
    if (difference < bestDifference) {
      bestDifference = difference;
      best = m;
    }
  }
  assert(best > 0, 'a node that overflows by one cell splits into two halves that fit');
  return best;
}

/**
 * Copies into sepCells[level] the separator cell that a split of `list` at `m`
 * pushes up (its child is patched once the new node exists); returns its size.
 */
function copySeparator(list: CellList, leaf: boolean, m: number, level: number): number {
  let source: Uint8Array;
  let start: number;
  let size: number;
  if (leaf) {
    // The shortest byte string above the left half's last key and at most the right half's first.
    const left = list.sources[m - 1]!;
    const leftStart = list.keyStart(m - 1);
    source = list.sources[m]!;
    start = list.keyStart(m);
    const rightSize = list.keySize(m);
    size = commonPrefixSize(left, leftStart, leftStart + list.keySize(m - 1), source, start, start + rightSize) + 1;
    assert(size <= rightSize, 'the left half sorts before the right half');
  } else {
    source = list.sources[m]!;
    start = list.keyStart(m);
    size = list.keySize(m);
  }
  const cellSize = CELL_HEADER_SIZE + size;
  const cell = sepCellFor(level, cellSize);
  cell.writeUInt16LE(size, 0);
  cell.writeUInt32LE(0, 2);
  copyRange(source, start, start + size, cell, CELL_HEADER_SIZE);
  return cellSize;
}

function slowPlace(tree: TreeCore, path: Path, level: number, index: number, cell: Buffer, cellSize: number, mode: number): void {
  const ctx = tree.ctx;
  const nodeSize = tree.nodeSize;
  const usable = nodeSize - NODE_HEADER_SIZE;

  // 1. Plan: split points, separators, and the number of new nodes. Nothing is written.
  const firstMode = mode;
  let bytes = ctx.bytes;
  let list = listA;
  let other = listB;
  fillList(list, bytes, path.nodes[level]!, index, cell, cellSize, mode);
  let insertedAt = index;
  let top = level;
  let newRoot = false;
  let nodesNeeded = 0;
  let sepSize = 0;
  for (;;) {
    if (list.spaceOf(0, list.count) <= usable) {
      planSplit[top] = -1;
      break;
    }
    const leaf = isLeaf(bytes, path.nodes[top]!);
    const m = chooseSplit(list, leaf, insertedAt, mode === MODE_INSERT && path.rightmost[top] === 1, nodeSize);
    planSplit[top] = m;
    nodesNeeded++;
    sepSize = copySeparator(list, leaf, m, top);
    if (top === 0) {
      newRoot = true;
      nodesNeeded++;
      break;
    }
    top--;
    insertedAt = path.positions[top]! + 1;
    // A parent with room for the separator takes it without splitting: no need to list its
    // cells (a branch holds a few hundred) to find that out.
    if (usedSpace(bytes, path.nodes[top]!, nodeSize) + sepSize + SLOT_SIZE <= nodeSize) {
      planSplit[top] = -1;
      break;
    }
    fillList(other, bytes, path.nodes[top]!, insertedAt, sepCells[top + 1]!, sepSize, MODE_INSERT);
    const swap = list;
    list = other;
    other = swap;
    mode = MODE_INSERT;
  }

  // 2. Allocate every new node, or none.
  let taken = 0;
  try {
    for (; taken < nodesNeeded; taken++) newNodes[taken] = ctx.alloc(nodeSize);
  } catch (e) {
    for (let k = 0; k < taken; k++) ctx.free(newNodes[k]!);
    throw e;
  }
  bytes = ctx.bytes;

  // 3. Execute bottom-up.
  let next = 0;
  let incoming = cell;
  let incomingSize = cellSize;
  let incomingIndex = index;
  let incomingMode = firstMode;
  for (let lvl = level; lvl >= top; lvl--) {
    const node = path.nodes[lvl]!;
    const leaf = isLeaf(bytes, node);
    if (planSplit[lvl] === -1) {
      // This level takes the cell without splitting: in place if it can, else compacted.
      if (incomingMode === MODE_INSERT && tryInsert(tree, node, incomingIndex, incoming, incomingSize)) return;
      fillList(listA, bytes, node, incomingIndex, incoming, incomingSize, incomingMode);
      rewriteInPlace(tree, node, listA, 0, listA.count);
      return;
    }
    fillList(listA, bytes, node, incomingIndex, incoming, incomingSize, incomingMode);
    const m = planSplit[lvl]!;
    const n = listA.count;
    const right = newNodes[next++]!;
    // The right half is composed first: rewriting the left in place may move cells over its cells.
    let rightCellsStart: number;
    let rightCount: number;
    if (leaf) {
      rightCellsStart = composeNode(imageRight, nodeSize, NODE_LEAF, 0, listA, m, n);
      rightCount = n - m;
    } else {
      rightCellsStart = composeNode(imageRight, nodeSize, NODE_BRANCH, cellChild(listA.sources[m] as Buffer, listA.starts[m]!), listA, m + 1, n);
      rightCount = n - m - 1;
    }
    rewriteInPlace(tree, node, listA, 0, m);
    writeImage(tree, right, imageRight, rightCount, rightCellsStart);
    const separator = sepCells[lvl]!;
    separator.writeUInt32LE(right, 2);
    incoming = separator;
    incomingSize = CELL_HEADER_SIZE + cellKeySize(separator, 0);
    incomingMode = MODE_INSERT;
    if (lvl === 0) {
      assert(newRoot, 'a split root was planned');
      const root = newNodes[next++]!;
      listA.clear();
      listA.push(separator, 0, incomingSize);
      const cellsStart = composeNode(imageLeft, nodeSize, NODE_BRANCH, node, listA, 0, 1);
      writeImage(tree, root, imageLeft, 1, cellsStart);
      ctx.openWindow(tree.headerOffset + TREE_ROOT, 8);
      ctx.putU32(tree.headerOffset + TREE_ROOT, root);
      ctx.putU32(tree.headerOffset + TREE_HEIGHT, bytes.readUInt32LE(tree.headerOffset + TREE_HEIGHT) + 1);
      return;
    }
    incomingIndex = path.positions[lvl - 1]! + 1;
  }
  assert(false, 'the split loop ends at a level that takes the cell or at a new root');
}

/**
 * Makes `node` hold cells [from, to) of `list` (its kind and child0 stay),
 * the node composeNode would make except for where the cells lie: the cells
 * already packed at the node's end (in one run from nodeSize down) stay where
 * they are, the other cells are packed below them, and only the bytes that
 * change are declared. Every list entry from the segment must be a cell of
 * this node.
 *
 * Why: composing the node anew declares all of it, about nodeSize bytes,
 * and every declared byte is copied for undo, into the log batch, to the log
 * file and, at truncation, to the segment file. The left half of a split
 * keeps the cells that bulk loading packed at its end and loses those below
 * them, so it usually changes its header, some slots and the few cells that
 * inserts had put low in the node; after ascending inserts nothing moves at
 * all. Garbage ends up zero, as with composeNode.
 */
function rewriteInPlace(tree: TreeCore, node: number, list: CellList, from: number, to: number): void {
  const ctx = tree.ctx;
  const bytes = ctx.bytes;
  const nodeSize = tree.nodeSize;
  const count = to - from;
  // 1. The run of cells packed at the node's end, found from nodeSize down through cellEndingAt.
  for (let i = from; i < to; i++) {
    if (list.sources[i] !== bytes) continue;
    const offset = list.starts[i]! - node;
    assert(offset >= NODE_HEADER_SIZE && offset + list.sizes[i]! <= nodeSize, 'a cell from the segment lies in the node being rewritten');
    cellEndingAt[offset + list.sizes[i]!] = i + 1;
  }
  let top = nodeSize;
  for (let k = cellEndingAt[top]!; k !== 0; k = cellEndingAt[top]!) {
    stays[k - 1] = 1;
    top = list.starts[k - 1]! - node;
  }
  for (let i = from; i < to; i++) if (list.sources[i] === bytes) cellEndingAt[list.starts[i]! - node + list.sizes[i]!] = 0;
  // 2. Slots, and the other cells packed below the run, in the image at their offsets in the node.
  const image = imageLeft;
  const p = list.prefixSize(from, to);
  let cellsStart = top;
  for (let i = from; i < to; i++) {
    const source = list.sources[i]!;
    const start = list.starts[i]!;
    const size = list.sizes[i]!;
    let at: number;
    if (stays[i] === 1) {
      stays[i] = 0;
      at = start - node;
    } else {
      cellsStart -= size;
      at = cellsStart;
      copyRange(source, start, start + size, image, at);
    }
    list.writeSlot(image, i - from, i, at, p);
  }
  const slotsEnd = NODE_HEADER_SIZE + count * SLOT_SIZE;
  assert(slotsEnd <= cellsStart, 'the cells of a rewritten node fit below its slots');
  // 3. The header: the node's own, with the new count, cellsStart, prefix and no garbage.
  copyRange(bytes, node, node + NODE_HEADER_SIZE, image, 0);
  list.writeHeaderFields(image, from, to, p, cellsStart);
  // 4. Moved cells first: the header and slots are compared with the node as it still is.
  if (cellsStart < top) ctx.writeBytes(node + cellsStart, image, cellsStart, top);
  ctx.writeBytesChanged(node, image, 0, slotsEnd);
}

/** Writes a composed image of `count` slots into `node`: the header and slots, and the cells. */
export function writeImage(tree: TreeCore, node: number, image: Buffer, count: number, cellsStart: number): void {
  const ctx = tree.ctx;
  ctx.writeBytes(node, image, 0, NODE_HEADER_SIZE + count * SLOT_SIZE);
  if (cellsStart < tree.nodeSize) ctx.writeBytes(node + cellsStart, image, cellsStart, tree.nodeSize);
}
