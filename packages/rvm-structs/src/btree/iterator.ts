/**
 * Range iteration over a B-tree: a cursor that walks leaves through a stack
 * of (node, child position) pairs, with no sibling links in the format.
 *
 * An iterator keeps working across mutations and ended transactions: it
 * remembers the last key it returned, and when anything may have changed the
 * nodes it stands on (ctx.mutationCount or ctx.generation moved: a mutation,
 * a commit or abort, a growth of the segment) it seeks again to the first key
 * after that one (before it, in reverse). So it returns each key of the range
 * at most once, in order, and every entry it returns is the tree's at the
 * moment it is returned. Keys put behind the cursor are not seen, keys put
 * ahead of it are. Using it after the tree was destroyed or its store closed
 * throws NOT_FOUND or CLOSED.
 */
import type { Key } from '../codec/key-codec.js';
import { compareKeyRanges } from '../codec/key-compare.js';
import { StructError } from '../core/struct-error.js';
import { CELL_HEADER_SIZE, HEIGHT_MAX, TREE_HEIGHT, TREE_ROOT } from './format.js';
import { cellKeySize, childAt, isLeaf, nodeCount, searchNode, slotCell } from './node.js';
import type { TreeCore } from './path.js';

export interface RangeOptions<K> {
  /** Only keys greater than this. */
  readonly gt?: K;
  /** Only keys greater than or equal to this. */
  readonly gte?: K;
  /** Only keys less than this. */
  readonly lt?: K;
  /** Only keys less than or equal to this. */
  readonly lte?: K;
  /** Largest key first. Default false. */
  readonly reverse?: boolean;
  /** At most this many entries. Default: no limit. */
  readonly limit?: number;
}

export const ITERATE_KEYS = 0;
export const ITERATE_VALUES = 1;
export const ITERATE_ENTRIES = 2;

/** What an iterator needs of its tree (BTree implements it). */
export interface IterableTree<K, V> extends TreeCore {
  readonly keySizeMax: number;
  _checkLive(): void;
  _keyAt(cell: number): K;
  _valueAt(cell: number): V;
  _encodeInto(key: K, target: Buffer): number;
}

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

export class BTreeIterator<K extends Key, V, R> implements IterableIterator<R> {
  private readonly nodes = new Float64Array(HEIGHT_MAX);
  private readonly positions = new Int32Array(HEIGHT_MAX);
  private height = 0;
  /** The slot in the leaf nodes[height - 1] of the entry to return next. */
  private index = 0;
  private positioned = false;
  private finished = false;
  private mutationCount = 0;
  private generation = 0;
  /** The key returned last (lastSize < 0: none yet). */
  private readonly lastKey: Buffer;
  private lastSize = -1;
  private readonly lower: Buffer | null = null;
  private lowerSize = 0;
  private lowerInclusive = true;
  private readonly upper: Buffer | null = null;
  private upperSize = 0;
  private upperInclusive = true;
  private readonly reverse: boolean;
  private remaining: number;

  constructor(
    private readonly tree: IterableTree<K, V>,
    private readonly mode: number,
    options: RangeOptions<K>,
  ) {
    const { gt, gte, lt, lte, reverse, limit } = options;
    if (gt !== undefined && gte !== undefined) throw badRange('gt and gte');
    if (lt !== undefined && lte !== undefined) throw badRange('lt and lte');
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new StructError('INVALID_ARGUMENT', `limit must be a non-negative integer; got ${String(limit)}.`, { limit });
    }
    this.reverse = reverse === true;
    this.remaining = limit ?? Infinity;
    this.lastKey = Buffer.allocUnsafe(tree.keySizeMax);
    // Not `gt ?? gte`: null is a key.
    if (gt !== undefined || gte !== undefined) {
      this.lower = Buffer.allocUnsafe(tree.keySizeMax);
      this.lowerSize = tree._encodeInto((gt !== undefined ? gt : gte) as K, this.lower);
      this.lowerInclusive = gt === undefined;
    }
    if (lt !== undefined || lte !== undefined) {
      this.upper = Buffer.allocUnsafe(tree.keySizeMax);
      this.upperSize = tree._encodeInto((lt !== undefined ? lt : lte) as K, this.upper);
      this.upperInclusive = lt === undefined;
    }
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<R> {
    if (this.finished) return DONE;
    const tree = this.tree;
    tree._checkLive();
    if (this.remaining <= 0) return this.finish();
    const ctx = tree.ctx;
    if (!this.positioned || ctx.mutationCount !== this.mutationCount || ctx.generation !== this.generation) {
      this.seek();
    } else if (this.reverse) {
      this.stepBack();
    } else {
      this.stepForward();
    }
    if (this.finished) return DONE;
    const bytes = ctx.bytes;
    const cell = slotCell(bytes, this.nodes[this.height - 1]!, this.index);
    const keyStart = cell + CELL_HEADER_SIZE;
    const keySize = cellKeySize(bytes, cell);
    if (this.reverse ? this.belowLower(bytes, keyStart, keySize) : this.aboveUpper(bytes, keyStart, keySize)) return this.finish();
    // A loop: keys are short, and Buffer#copy makes a view per call.
    const lastKey = this.lastKey;
    for (let i = 0; i < keySize; i++) lastKey[i] = bytes[keyStart + i]!;
    this.lastSize = keySize;
    this.remaining--;
    let value: R;
    if (this.mode === ITERATE_KEYS) value = tree._keyAt(cell) as unknown as R;
    else if (this.mode === ITERATE_VALUES) value = tree._valueAt(cell) as unknown as R;
    else value = [tree._keyAt(cell), tree._valueAt(cell)] as R;
    return { done: false, value };
  }

  /** Ends the iteration early (a `break` out of for-of calls it). */
  return(): IteratorResult<R> {
    return this.finish();
  }

  private finish(): IteratorResult<R> {
    this.finished = true;
    return DONE;
  }

  private aboveUpper(bytes: Buffer, keyStart: number, keySize: number): boolean {
    if (this.upper === null) return false;
    const c = compareKeyRanges(bytes, keyStart, keyStart + keySize, this.upper, 0, this.upperSize);
    return c > 0 || (c === 0 && !this.upperInclusive);
  }

  private belowLower(bytes: Buffer, keyStart: number, keySize: number): boolean {
    if (this.lower === null) return false;
    const c = compareKeyRanges(bytes, keyStart, keyStart + keySize, this.lower, 0, this.lowerSize);
    return c < 0 || (c === 0 && !this.lowerInclusive);
  }

  /**
   * Positions on the first entry to return: after the last key returned (before
   * it, in reverse), else at the range's start. Sets finished when none.
   */
  private seek(): void {
    const tree = this.tree;
    const ctx = tree.ctx;
    this.mutationCount = ctx.mutationCount;
    this.generation = ctx.generation;
    this.positioned = true;
    let probe: Buffer | null;
    let probeSize: number;
    let inclusive: boolean;
    if (this.lastSize >= 0) {
      probe = this.lastKey;
      probeSize = this.lastSize;
      inclusive = false;
    } else if (this.reverse) {
      probe = this.upper;
      probeSize = this.upperSize;
      inclusive = this.upperInclusive;
    } else {
      probe = this.lower;
      probeSize = this.lowerSize;
      inclusive = this.lowerInclusive;
    }
    const bytes = ctx.bytes;
    let node = bytes.readUInt32LE(tree.headerOffset + TREE_ROOT);
    const height = bytes.readUInt32LE(tree.headerOffset + TREE_HEIGHT);
    this.height = height;
    for (let level = 0; level < height - 1; level++) {
      this.nodes[level] = node;
      let position: number;
      if (probe === null) {
        position = this.reverse ? nodeCount(bytes, node) - 1 : -1;
      } else {
        const r = searchNode(bytes, node, probe, probeSize);
        position = (r & 1) === 1 ? r >>> 1 : (r >>> 1) - 1;
      }
      this.positions[level] = position;
      node = childAt(bytes, node, position);
    }
    this.nodes[height - 1] = node;
    const count = nodeCount(bytes, node);
    if (probe === null) {
      this.index = this.reverse ? count - 1 : 0;
    } else {
      const r = searchNode(bytes, node, probe, probeSize);
      const found = (r & 1) === 1;
      const at = r >>> 1;
      if (this.reverse) this.index = found && inclusive ? at : at - 1;
      else this.index = found && !inclusive ? at + 1 : at;
    }
    if (this.reverse) {
      if (this.index < 0) this.previousLeaf();
    } else if (this.index >= count) {
      this.nextLeaf();
    }
  }

  private stepForward(): void {
    this.index++;
    if (this.index >= nodeCount(this.tree.ctx.bytes, this.nodes[this.height - 1]!)) this.nextLeaf();
  }

  private stepBack(): void {
    this.index--;
    if (this.index < 0) this.previousLeaf();
  }

  /** Moves to the first entry of the next non-empty leaf, or finishes. */
  private nextLeaf(): void {
    const bytes = this.tree.ctx.bytes;
    for (;;) {
      let level = this.height - 2;
      while (level >= 0 && this.positions[level]! >= nodeCount(bytes, this.nodes[level]!) - 1) level--;
      if (level < 0) {
        this.finished = true;
        return;
      }
      this.positions[level]!++;
      let node = childAt(bytes, this.nodes[level]!, this.positions[level]!);
      for (let l = level + 1; l < this.height - 1; l++) {
        this.nodes[l] = node;
        this.positions[l] = -1;
        node = childAt(bytes, node, -1);
      }
      this.nodes[this.height - 1] = node;
      this.index = 0;
      if (isLeaf(bytes, node) && nodeCount(bytes, node) > 0) return;
    }
  }

  /** Moves to the last entry of the previous non-empty leaf, or finishes. */
  private previousLeaf(): void {
    const bytes = this.tree.ctx.bytes;
    for (;;) {
      let level = this.height - 2;
      while (level >= 0 && this.positions[level]! < 0) level--;
      if (level < 0) {
        this.finished = true;
        return;
      }
      this.positions[level]!--;
      let node = childAt(bytes, this.nodes[level]!, this.positions[level]!);
      for (let l = level + 1; l < this.height - 1; l++) {
        this.nodes[l] = node;
        const position = nodeCount(bytes, node) - 1;
        this.positions[l] = position;
        node = childAt(bytes, node, position);
      }
      this.nodes[this.height - 1] = node;
      const count = nodeCount(bytes, node);
      this.index = count - 1;
      if (count > 0) return;
    }
  }
}

function badRange(both: string): StructError {
  return new StructError('INVALID_ARGUMENT', `A range takes one of ${both}, not both.`, { both });
}
