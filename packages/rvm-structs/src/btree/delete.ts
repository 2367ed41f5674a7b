/**
 * Removing slots. Deletion is lazy: a node gives up the slot and counts the
 * cell as garbage (reclaimed when the node is next compacted), and is freed
 * only when it becomes empty; its parent then forgets it, which may empty the
 * parent in turn, and a root branch left with one child hands the root to it.
 * Nodes are not merged with their siblings, so a tree that lost most of its
 * entries at random keeps sparse leaves until inserts fill them again (or
 * clear() or a rebuild with bulkLoad); lookups stay O(height) regardless.
 */
import { assert } from '../core/invariant.js';
import { NODE_CHILD0, NODE_COUNT, NODE_GARBAGE, NODE_HEADER_SIZE, NODE_LEAF, SLOT_SIZE, TREE_HEIGHT, TREE_ROOT } from './format.js';
import { branchCellSize, CellList, cellChild, composeNode, isLeaf, nodeCount, nodeGarbage, slotCell } from './node.js';
import type { Path, TreeCore } from './path.js';
import { WINDOW_JOIN_SIZE_MAX, writeImage } from './write.js';


const emptyList = new CellList(1);
/** composeNode writes only the header of an empty node. */
const emptyImage = Buffer.alloc(NODE_HEADER_SIZE);

/** Removes slot `index` (whose cell takes `cellSize` bytes) of the node at `level`, freeing nodes that become empty. */
export function removeSlot(tree: TreeCore, path: Path, level: number, index: number, cellSize: number): void {
  const ctx = tree.ctx;
  const bytes = ctx.bytes;
  const node = path.nodes[level]!;
  const count = nodeCount(bytes, node);
  if (count === 1 && level > 0 && isLeaf(bytes, node)) {
    removeNode(tree, path, level);
    return;
  }
  dropSlot(tree, node, index, count, nodeGarbage(bytes, node) + cellSize);
}

/** Shifts the slots after `index` down over it and sets count and garbage, in one or two windows. */
function dropSlot(tree: TreeCore, node: number, index: number, count: number, garbage: number): void {
  const ctx = tree.ctx;
  const slot = node + NODE_HEADER_SIZE + index * SLOT_SIZE;
  const moved = (count - index - 1) * SLOT_SIZE;
  if (index * SLOT_SIZE <= WINDOW_JOIN_SIZE_MAX) {
    ctx.openWindow(node + NODE_COUNT, NODE_HEADER_SIZE - NODE_COUNT + (count - 1) * SLOT_SIZE);
  } else {
    ctx.openWindow(node + NODE_COUNT, NODE_GARBAGE + 2 - NODE_COUNT);
  }
  ctx.putU16(node + NODE_COUNT, count - 1);
  ctx.putU16(node + NODE_GARBAGE, garbage);
  if (index * SLOT_SIZE > WINDOW_JOIN_SIZE_MAX) ctx.openWindow(slot, moved);
  ctx.putMove(slot, slot + SLOT_SIZE, moved);
}

/**
 * Frees the node at `level` (it has just lost its last slot, or its last
 * child) and removes it from its parent, going up while parents empty too.
 */
function removeNode(tree: TreeCore, path: Path, level: number): void {
  const ctx = tree.ctx;
  let lvl = level;
  for (;;) {
    const node = path.nodes[lvl]!;
    const parentLevel = lvl - 1;
    const parent = path.nodes[parentLevel]!;
    const bytes = ctx.bytes;
    const parentCount = nodeCount(bytes, parent);
    if (parentCount === 0) {
      // The parent's only child goes, and the parent with it.
      ctx.free(node);
      if (parentLevel === 0) {
        // The whole tree is empty: the root becomes an empty leaf.
        const cellsStart = composeNode(emptyImage, tree.nodeSize, NODE_LEAF, 0, emptyList, 0, 0);
        writeImage(tree, parent, emptyImage, 0, cellsStart);
        ctx.writeU32(tree.headerOffset + TREE_HEIGHT, 1);
        return;
      }
      lvl = parentLevel;
      continue;
    }
    const position = path.positions[parentLevel]!;
    if (position < 0) {
      // child0 goes: the first separator's child takes its place and the separator goes.
      const first = slotCell(bytes, parent, 0);
      const child = cellChild(bytes, first);
      const garbage = nodeGarbage(bytes, parent) + branchCellSize(bytes, first);
      dropSlot(tree, parent, 0, parentCount, garbage);
      ctx.writeU32(parent + NODE_CHILD0, child);
    } else {
      const cell = slotCell(bytes, parent, position);
      dropSlot(tree, parent, position, parentCount, nodeGarbage(bytes, parent) + branchCellSize(bytes, cell));
    }
    ctx.free(node);
    collapseRoot(tree);
    return;
  }
}

/** While the root is a branch with one child, that child becomes the root. */
function collapseRoot(tree: TreeCore): void {
  const ctx = tree.ctx;
  const header = tree.headerOffset;
  for (;;) {
    const bytes = ctx.bytes;
    const root = bytes.readUInt32LE(header + TREE_ROOT);
    const height = bytes.readUInt32LE(header + TREE_HEIGHT);
    if (height === 1 || nodeCount(bytes, root) > 0) return;
    assert(!isLeaf(bytes, root), 'a root above height 1 is a branch');
    const child = bytes.readUInt32LE(root + NODE_CHILD0);
    ctx.openWindow(header + TREE_ROOT, 8);
    ctx.putU32(header + TREE_ROOT, child);
    ctx.putU32(header + TREE_HEIGHT, height - 1);
    ctx.free(root);
  }
}

