/**
 * Walking a whole tree without recursion: verify() checks the validity rule
 * of format.ts node by node, and freeSubtrees() gives every block back to the
 * heap (clear, destroy).
 */
import { decodeKey } from '../codec/key-codec.js';
import { compareKeyRanges } from '../codec/key-compare.js';
import { BlockCensus } from '../core/block-census.js';
import { StructError } from '../core/struct-error.js';
import {
  BTREE_MAGIC, CELL_HEADER_SIZE, HEIGHT_MAX, isValidNodeSize, NODE_BRANCH, NODE_CHILD0, NODE_HEADER_SIZE, NODE_KIND, NODE_LEAF, NODE_MAGIC,
  NODE_MAGIC_FIELD, NODE_PREFIX, NODE_PREFIX_SIZE, PREFIX_SIZE_MAX, SLOT_SIZE, TREE_HEIGHT, TREE_MAGIC, TREE_NODE_SIZE, TREE_ROOT,
  TREE_HEADER_SIZE, VALUE_BLOB, VALUE_SIZE_MAX,
} from './format.js';
import { cellKeySize, cellChild, hintOf, isLeaf, nodeCellsStart, nodeCount, nodeGarbage, slotCell, leafCellSize } from './node.js';
import type { TreeCore } from './path.js';

export interface BTreeStats {
  readonly count: number;
  readonly height: number;
  readonly nodeSize: number;
  readonly leafCount: number;
  readonly branchCount: number;
  readonly blobCount: number;
  /** Bytes of cells and slots in leaves over the leaves' capacity (nodeSize minus header). */
  readonly leafFill: number;
  /** Bytes of all blocks the tree owns (usable sizes): header, nodes, blobs. */
  readonly blockSize: number;
}

/** A subtree to check: its root node, depth, and the byte ranges that bound its keys (start < 0: none). */
interface Pending {
  node: number;
  depth: number;
  lowStart: number;
  lowEnd: number;
  highStart: number;
  highEnd: number;
}

export function verifyTree(tree: TreeCore): BTreeStats {
  const ctx = tree.ctx;
  const bytes = ctx.bytes;
  const header = tree.headerOffset;
  const corrupt = (node: number, problem: string): StructError =>
    new StructError('STRUCT_CORRUPT', `The BTree at offset ${header} is corrupt at node ${node}: ${problem}. Restore the segment from a backup.`, { headerOffset: header, node, problem });
  const fail = (node: number, problem: string): never => {
    throw corrupt(node, problem);
  };
  const census = new BlockCensus(ctx, corrupt);
  census.claim(header, TREE_HEADER_SIZE, 'the header', header);
  if (bytes.readUInt32LE(header + TREE_MAGIC) !== BTREE_MAGIC) fail(0, 'the header has lost its magic number');
  const nodeSize = bytes.readUInt32LE(header + TREE_NODE_SIZE);
  if (nodeSize !== tree.nodeSize || !isValidNodeSize(nodeSize)) fail(0, `the header's node size ${nodeSize} is not ${tree.nodeSize}`);
  const height = bytes.readUInt32LE(header + TREE_HEIGHT);
  if (height < 1 || height > HEIGHT_MAX) fail(0, `height ${height} is out of bounds`);
  const root = bytes.readUInt32LE(header + TREE_ROOT);
  let entryCount = 0;
  let leafCount = 0;
  let branchCount = 0;
  let blobCount = 0;
  let leafUsed = 0;
  const stack: Pending[] = [{ node: root, depth: 0, lowStart: -1, lowEnd: -1, highStart: -1, highEnd: -1 }];
  while (stack.length > 0) {
    const { node, depth, lowStart, lowEnd, highStart, highEnd } = stack.pop()!;
    if (node + nodeSize > bytes.length) fail(node, 'a child pointer is not a block offset');
    census.claim(node, nodeSize, 'a node', node);
    if (bytes.readUInt16LE(node + NODE_MAGIC_FIELD) !== NODE_MAGIC) fail(node, 'the node has no magic number');
    const kind = bytes[node + NODE_KIND];
    const leaf = depth === height - 1;
    if (kind !== (leaf ? NODE_LEAF : NODE_BRANCH)) fail(node, `kind ${String(kind)} at depth ${depth} of ${height}`);
    const count = nodeCount(bytes, node);
    const cellsStart = nodeCellsStart(bytes, node);
    const slotsEnd = NODE_HEADER_SIZE + count * SLOT_SIZE;
    if (slotsEnd > cellsStart || cellsStart > nodeSize) fail(node, `slots end at ${slotsEnd} and cells start at ${cellsStart}`);
    if (leaf && count === 0 && node !== root) fail(node, 'a leaf other than the root is empty');
    const p = bytes[node + NODE_PREFIX_SIZE]!;
    if (p > PREFIX_SIZE_MAX) fail(node, `prefix size ${p}`);
    // Cells: inside the cell area, disjoint, and with the garbage they account for it exactly.
    const extents: Array<[number, number]> = [];
    let cellBytes = 0;
    for (let i = 0; i < count; i++) {
      const cell = slotCell(bytes, node, i);
      const at = cell - node;
      if (at < cellsStart || at + CELL_HEADER_SIZE > nodeSize) fail(node, `slot ${i} points outside the cell area`);
      const size = leaf ? leafCellSize(bytes, cell) : CELL_HEADER_SIZE + cellKeySize(bytes, cell);
      if (at + size > nodeSize) fail(node, `cell ${i} runs past the node`);
      extents.push([at, at + size]);
      cellBytes += size;
      const keyStart = cell + CELL_HEADER_SIZE;
      const keySize = cellKeySize(bytes, cell);
      if (keySize === 0) fail(node, `key ${i} is empty`);
      if (keySize < p || compareKeyRanges(bytes, keyStart, keyStart + p, bytes, node + NODE_PREFIX, node + NODE_PREFIX + p) !== 0) fail(node, `key ${i} lacks the node's prefix`);
      const slot = node + NODE_HEADER_SIZE + i * SLOT_SIZE;
      if (((bytes[slot + 2]! << 8) | bytes[slot + 3]!) !== hintOf(bytes, keyStart, keyStart + keySize, p)) fail(node, `slot ${i} has a wrong hint`);
      if (i > 0) {
        const previous = slotCell(bytes, node, i - 1);
        const previousStart = previous + CELL_HEADER_SIZE;
        if (compareKeyRanges(bytes, previousStart, previousStart + cellKeySize(bytes, previous), bytes, keyStart, keyStart + keySize) >= 0) fail(node, `keys ${i - 1} and ${i} are not ascending`);
      }
      if (lowStart >= 0 && compareKeyRanges(bytes, keyStart, keyStart + keySize, bytes, lowStart, lowEnd) < 0) fail(node, `key ${i} is below its subtree's separator`);
      if (highStart >= 0 && compareKeyRanges(bytes, keyStart, keyStart + keySize, bytes, highStart, highEnd) >= 0) fail(node, `key ${i} is not below the next separator`);
      if (leaf) {
        try {
          decodeKey(bytes, keyStart, keyStart + keySize);
        } catch (e) {
          fail(node, `key ${i} does not decode: ${String(e)}`);
        }
        if (bytes.readUInt32LE(cell + 2) === VALUE_BLOB) {
          census.claimBlob(bytes.readUInt32LE(keyStart + keySize), -1, VALUE_SIZE_MAX, 'a value blob', node);
          blobCount++;
        }
      }
    }
    extents.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < extents.length; i++) if (extents[i - 1]![1] > extents[i]![0]) fail(node, 'two cells overlap');
    if (cellBytes + nodeGarbage(bytes, node) !== nodeSize - cellsStart) fail(node, `cells (${cellBytes} bytes) and garbage (${nodeGarbage(bytes, node)}) do not fill the cell area (${nodeSize - cellsStart})`);
    if (leaf) {
      leafCount++;
      entryCount += count;
      leafUsed += cellBytes + count * SLOT_SIZE;
      continue;
    }
    branchCount++;
    if (bytes.readUInt32LE(node + NODE_CHILD0) === 0) fail(node, 'a branch has no child0');
    // Children: child0 below separator 0, child i from separator i to separator i + 1.
    for (let i = -1; i < count; i++) {
      const child = i < 0 ? bytes.readUInt32LE(node + NODE_CHILD0) : cellChild(bytes, slotCell(bytes, node, i));
      let childLowStart = lowStart;
      let childLowEnd = lowEnd;
      let childHighStart = highStart;
      let childHighEnd = highEnd;
      if (i >= 0) {
        const cell = slotCell(bytes, node, i);
        childLowStart = cell + CELL_HEADER_SIZE;
        childLowEnd = childLowStart + cellKeySize(bytes, cell);
      }
      if (i + 1 < count) {
        const cell = slotCell(bytes, node, i + 1);
        childHighStart = cell + CELL_HEADER_SIZE;
        childHighEnd = childHighStart + cellKeySize(bytes, cell);
      }
      stack.push({ node: child, depth: depth + 1, lowStart: childLowStart, lowEnd: childLowEnd, highStart: childHighStart, highEnd: childHighEnd });
    }
  }
  return {
    count: entryCount,
    height,
    nodeSize,
    leafCount,
    branchCount,
    blobCount,
    leafFill: leafCount === 0 ? 0 : leafUsed / (leafCount * (nodeSize - NODE_HEADER_SIZE)),
    blockSize: census.blockSize,
  };
}

/**
 * Frees every node below `root` and every blob of their leaves, in the
 * current transaction; `root` itself too when includeRoot. Reads every node
 * before freeing it; children are collected first, so no freed block is read.
 */
export function freeSubtrees(tree: TreeCore, root: number, includeRoot: boolean): void {
  const ctx = tree.ctx;
  const stack: number[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const bytes = ctx.bytes;
    const count = nodeCount(bytes, node);
    if (isLeaf(bytes, node)) {
      for (let i = 0; i < count; i++) {
        const cell = slotCell(bytes, node, i);
        if (bytes.readUInt32LE(cell + 2) === VALUE_BLOB) ctx.free(bytes.readUInt32LE(cell + CELL_HEADER_SIZE + cellKeySize(bytes, cell)));
      }
    } else {
      stack.push(bytes.readUInt32LE(node + NODE_CHILD0));
      for (let i = 0; i < count; i++) stack.push(cellChild(bytes, slotCell(bytes, node, i)));
    }
    if (node !== root || includeRoot) ctx.free(node);
  }
}

/** The number of entries: the sum of the leaves' counts. Reads every branch and every leaf header. */
export function countEntries(tree: TreeCore): number {
  const bytes = tree.ctx.bytes;
  const height = bytes.readUInt32LE(tree.headerOffset + TREE_HEIGHT);
  let total = 0;
  const stack: number[] = [bytes.readUInt32LE(tree.headerOffset + TREE_ROOT)];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const depth = depths.pop()!;
    const count = nodeCount(bytes, node);
    if (depth === height - 1) {
      total += count;
      continue;
    }
    stack.push(bytes.readUInt32LE(node + NODE_CHILD0));
    depths.push(depth + 1);
    for (let i = 0; i < count; i++) {
      stack.push(cellChild(bytes, slotCell(bytes, node, i)));
      depths.push(depth + 1);
    }
  }
  return total;
}
