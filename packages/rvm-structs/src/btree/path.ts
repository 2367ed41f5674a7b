/**
 * The route from the root to a leaf, kept in preallocated arrays so that a
 * descent allocates nothing, and what the tree's helpers need to know of it.
 */
import type { StructContext } from '../core/struct-context.js';
import { assert } from '../core/invariant.js';
import { HEIGHT_MAX, TREE_HEIGHT, TREE_ROOT } from './format.js';
import { childAt, childPosition, nodeCount } from './node.js';

/** The parts of a tree that its write, delete and iteration helpers use. */
export interface TreeCore {
  readonly ctx: StructContext;
  readonly headerOffset: number;
  readonly nodeSize: number;
}

export class Path {
  /** nodes[level], level 0 being the root; the leaf is at height - 1. */
  readonly nodes = new Float64Array(HEIGHT_MAX);
  /** For each branch level, the slot position of the child taken (-1: child0). */
  readonly positions = new Int32Array(HEIGHT_MAX);
  /** Whether nodes[level] is the last node of its level (every position taken above it was the last). */
  readonly rightmost = new Uint8Array(HEIGHT_MAX);
  height = 0;
}

export function rootOf(tree: TreeCore): number {
  return tree.ctx.bytes.readUInt32LE(tree.headerOffset + TREE_ROOT);
}

export function heightOf(tree: TreeCore): number {
  return tree.ctx.bytes.readUInt32LE(tree.headerOffset + TREE_HEIGHT);
}

/** Fills `path` with the route to the leaf where probe[0, probeSize) belongs; returns the leaf. */
export function descend(tree: TreeCore, path: Path, probe: Uint8Array, probeSize: number): number {
  const bytes = tree.ctx.bytes;
  const header = tree.headerOffset;
  let node = bytes.readUInt32LE(header + TREE_ROOT);
  const height = bytes.readUInt32LE(header + TREE_HEIGHT);
  assert(height >= 1 && height <= HEIGHT_MAX, 'the tree height is within bounds');
  path.height = height;
  path.rightmost[0] = 1;
  const last = height - 1;
  for (let level = 0; level < last; level++) {
    path.nodes[level] = node;
    const position = childPosition(bytes, node, probe, probeSize);
    path.positions[level] = position;
    path.rightmost[level + 1] = path.rightmost[level] === 1 && position === nodeCount(bytes, node) - 1 ? 1 : 0;
    node = childAt(bytes, node, position);
  }
  path.nodes[last] = node;
  return node;
}
