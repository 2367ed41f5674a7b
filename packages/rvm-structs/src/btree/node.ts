/**
 * Reading B-tree nodes (format.ts) and composing new node images. Nothing here
 * writes to a segment: the tree writes images and patches through its
 * StructContext. Hot functions take the segment Buffer and offsets and
 * allocate nothing.
 */
import { compareKeyRanges } from '../codec/key-compare.js';
import { copyRange } from '../core/copy.js';
import { assert } from '../core/invariant.js';
import {
  CELL_HEADER_SIZE, NODE_BRANCH, NODE_CELLS_START, NODE_CHILD0, NODE_COUNT, NODE_GARBAGE, NODE_HEADER_SIZE, NODE_KIND, NODE_LEAF, NODE_MAGIC,
  NODE_MAGIC_FIELD, NODE_PREFIX, NODE_PREFIX_SIZE, PREFIX_SIZE_MAX, SLOT_SIZE, VALUE_BLOB, BLOB_REF_SIZE,
} from './format.js';

export function nodeCount(bytes: Uint8Array, node: number): number {
  return bytes[node + NODE_COUNT]! | (bytes[node + NODE_COUNT + 1]! << 8);
}

export function nodeCellsStart(bytes: Uint8Array, node: number): number {
  return bytes[node + NODE_CELLS_START]! | (bytes[node + NODE_CELLS_START + 1]! << 8);
}

export function nodeGarbage(bytes: Uint8Array, node: number): number {
  return bytes[node + NODE_GARBAGE]! | (bytes[node + NODE_GARBAGE + 1]! << 8);
}

export function nodeChild0(bytes: Buffer, node: number): number {
  return bytes.readUInt32LE(node + NODE_CHILD0);
}

export function isLeaf(bytes: Uint8Array, node: number): boolean {
  return bytes[node + NODE_KIND] === NODE_LEAF;
}

/** The absolute offset of the cell of slot `index`. */
export function slotCell(bytes: Uint8Array, node: number, index: number): number {
  const slot = node + NODE_HEADER_SIZE + index * SLOT_SIZE;
  return node + (bytes[slot]! | (bytes[slot + 1]! << 8));
}

export function cellKeySize(bytes: Uint8Array, cell: number): number {
  return bytes[cell]! | (bytes[cell + 1]! << 8);
}

/** A leaf cell's valueInfo: the inline value size or VALUE_BLOB. */
export function cellValueInfo(bytes: Buffer, cell: number): number {
  return bytes.readUInt32LE(cell + 2);
}

/** A branch cell's child. */
export function cellChild(bytes: Buffer, cell: number): number {
  return bytes.readUInt32LE(cell + 2);
}

export function leafCellSize(bytes: Buffer, cell: number): number {
  const info = bytes.readUInt32LE(cell + 2);
  return CELL_HEADER_SIZE + cellKeySize(bytes, cell) + (info === VALUE_BLOB ? BLOB_REF_SIZE : info);
}

export function branchCellSize(bytes: Uint8Array, cell: number): number {
  return CELL_HEADER_SIZE + cellKeySize(bytes, cell);
}

/**
 * Searches the node for probe[0, probeSize). Returns `index * 2 + found`:
 * index is the first slot whose key is >= the probe (count when none), found
 * is 1 when that key equals the probe. Reads a key only when hints tie.
 */
export function searchNode(bytes: Buffer, node: number, probe: Uint8Array, probeSize: number): number {
  const count = bytes[node + NODE_COUNT]! | (bytes[node + NODE_COUNT + 1]! << 8);
  const p = bytes[node + NODE_PREFIX_SIZE]!;
  // Every key of the node starts with the prefix: a probe that differs from it is below or above them all.
  const shared = p < probeSize ? p : probeSize;
  const prefix = node + NODE_PREFIX;
  for (let i = 0; i < shared; i++) {
    const a = probe[i]!;
    const b = bytes[prefix + i]!;
    if (a !== b) return a < b ? 0 : count << 1;
  }
  if (probeSize < p) return 0;
  const probeHint = ((p < probeSize ? probe[p]! : 0) << 8) | (p + 1 < probeSize ? probe[p + 1]! : 0);
  const slots = node + NODE_HEADER_SIZE;
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const slot = slots + (mid << 2);
    const hint = (bytes[slot + 2]! << 8) | bytes[slot + 3]!;
    if (hint < probeHint) {
      lo = mid + 1;
    } else if (hint > probeHint) {
      hi = mid;
    } else {
      const cell = node + (bytes[slot]! | (bytes[slot + 1]! << 8));
      const keyStart = cell + CELL_HEADER_SIZE;
      const keyEnd = keyStart + (bytes[cell]! | (bytes[cell + 1]! << 8));
      const c = compareKeyRanges(bytes, keyStart + p, keyEnd, probe, p, probeSize);
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid;
      else return (mid << 1) | 1;
    }
  }
  return lo << 1;
}

/**
 * The child of a branch to descend into for the probe, as a slot position:
 * -1 for child0, else the slot whose separator is the greatest one <= probe.
 */
export function childPosition(bytes: Buffer, node: number, probe: Uint8Array, probeSize: number): number {
  const r = searchNode(bytes, node, probe, probeSize);
  return (r & 1) === 1 ? r >>> 1 : (r >>> 1) - 1;
}

/** The child at slot position `position` (-1: child0). */
export function childAt(bytes: Buffer, node: number, position: number): number {
  return position < 0 ? bytes.readUInt32LE(node + NODE_CHILD0) : bytes.readUInt32LE(slotCell(bytes, node, position) + 2);
}

/** Whether key[keyStart, keyStart + keySize) starts with the node's prefix. */
export function sharesPrefix(bytes: Uint8Array, node: number, key: Uint8Array, keyStart: number, keySize: number): boolean {
  const p = bytes[node + NODE_PREFIX_SIZE]!;
  if (keySize < p) return false;
  const prefix = node + NODE_PREFIX;
  for (let i = 0; i < p; i++) if (key[keyStart + i] !== bytes[prefix + i]) return false;
  return true;
}

/** The hint of key[start, end) in a node with prefix size p (format.ts). */
export function hintOf(key: Uint8Array, start: number, end: number, p: number): number {
  const at = start + p;
  return ((at < end ? key[at]! : 0) << 8) | (at + 1 < end ? key[at + 1]! : 0);
}

/** The length of the common prefix of a[aStart, aEnd) and b[bStart, bEnd). */
export function commonPrefixSize(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const size = Math.min(aEnd - aStart, bEnd - bStart);
  let i = 0;
  while (i < size && a[aStart + i] === b[bStart + i]) i++;
  return i;
}

/**
 * A list of cells for a node being composed: each cell is `sizes[i]` bytes at
 * `starts[i]` of `sources[i]` (the segment or a scratch buffer). Preallocated
 * and reused.
 */
export class CellList {
  count = 0;
  readonly sources: Uint8Array[];
  readonly starts: Int32Array;
  readonly sizes: Int32Array;

  constructor(capacity: number) {
    this.sources = new Array<Uint8Array>(capacity);
    this.starts = new Int32Array(capacity);
    this.sizes = new Int32Array(capacity);
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.sources[i] = EMPTY;
    this.count = 0;
  }

  push(source: Uint8Array, start: number, size: number): void {
    const i = this.count;
    assert(i < this.starts.length, 'a node holds fewer cells than the list capacity');
    this.sources[i] = source;
    this.starts[i] = start;
    this.sizes[i] = size;
    this.count = i + 1;
  }

  keySize(i: number): number {
    return cellKeySize(this.sources[i]!, this.starts[i]!);
  }

  keyStart(i: number): number {
    return this.starts[i]! + CELL_HEADER_SIZE;
  }

  /** The prefix size (format.ts) of a node holding cells [from, to): what their first and last keys share, at most PREFIX_SIZE_MAX. */
  prefixSize(from: number, to: number): number {
    if (to === from) return 0;
    const first = this.sources[from]!;
    const last = this.sources[to - 1]!;
    const firstStart = this.keyStart(from);
    const lastStart = this.keyStart(to - 1);
    const p = commonPrefixSize(first, firstStart, firstStart + this.keySize(from), last, lastStart, lastStart + this.keySize(to - 1));
    return p > PREFIX_SIZE_MAX ? PREFIX_SIZE_MAX : p;
  }

  /** Writes into `image` the slot `slotIndex` for cell i, at offset `at` of a node with prefix size p. */
  writeSlot(image: Buffer, slotIndex: number, i: number, at: number, p: number): void {
    const slot = NODE_HEADER_SIZE + slotIndex * SLOT_SIZE;
    const source = this.sources[i]!;
    const keyStart = this.starts[i]! + CELL_HEADER_SIZE;
    const hint = hintOf(source, keyStart, keyStart + cellKeySize(source, this.starts[i]!), p);
    image[slot] = at;
    image[slot + 1] = at >>> 8;
    image[slot + 2] = hint >>> 8;
    image[slot + 3] = hint;
  }

  /**
   * Writes into `image` the header fields of a node holding cells [from, to)
   * with prefix size p: the prefix size and bytes, the count, `cellsStart`,
   * and garbage zero (kind, child0 and magic are the caller's).
   */
  writeHeaderFields(image: Buffer, from: number, to: number, p: number, cellsStart: number): void {
    image[NODE_PREFIX_SIZE] = p;
    image.writeUInt16LE(to - from, NODE_COUNT);
    image.writeUInt16LE(cellsStart, NODE_CELLS_START);
    image.writeUInt16LE(0, NODE_GARBAGE);
    image.fill(0, NODE_PREFIX, NODE_PREFIX + PREFIX_SIZE_MAX);
    if (to > from) copyRange(this.sources[from]!, this.keyStart(from), this.keyStart(from) + p, image, NODE_PREFIX);
  }

  /** Bytes the cells [from, to) take in a node, with their slots. */
  spaceOf(from: number, to: number): number {
    let total = 0;
    for (let i = from; i < to; i++) total += this.sizes[i]! + SLOT_SIZE;
    return total;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Writes into image[0, nodeSize) a node of `kind` holding cells [from, to) of
 * `list`, cells packed at the end. Returns the image's cellsStart; the bytes
 * that matter are [0, NODE_HEADER_SIZE + 4 * count) and [cellsStart, nodeSize).
 */
export function composeNode(image: Buffer, nodeSize: number, kind: number, child0: number, list: CellList, from: number, to: number): number {
  const count = to - from;
  const p = list.prefixSize(from, to);
  let cellsStart = nodeSize;
  assert(NODE_HEADER_SIZE + list.spaceOf(from, to) <= nodeSize, 'composed cells fit the node');
  for (let i = from; i < to; i++) {
    const size = list.sizes[i]!;
    const start = list.starts[i]!;
    cellsStart -= size;
    copyRange(list.sources[i]!, start, start + size, image, cellsStart);
    list.writeSlot(image, i - from, i, cellsStart, p);
  }
  image[NODE_KIND] = kind;
  image.writeUInt32LE(kind === NODE_BRANCH ? child0 : 0, NODE_CHILD0);
  image.writeUInt16LE(NODE_MAGIC, NODE_MAGIC_FIELD);
  image.writeUInt16LE(0, NODE_MAGIC_FIELD + 2);
  list.writeHeaderFields(image, from, to, p, cellsStart);
  return cellsStart;
}
