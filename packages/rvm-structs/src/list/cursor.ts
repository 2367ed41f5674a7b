/**
 * Cursors and iterators over a List.
 *
 * Both stand at a position and remember where its record is (leaf, byte
 * offset), so stepping forward costs one record inside a leaf and one descent
 * per leaf: iteration is O(1) amortized per element. That memory is only good
 * while the list is unchanged, so every use asks the IteratorGuard
 * (core/iterator-guard.ts) first and throws ITERATOR_INVALIDATED when the list
 * was mutated other than through this cursor, when the transaction it was
 * created in ended, or when the store closed. A position re-seeked by index
 * after a change could name a different element (an insertion before it
 * shifts everything), which is why a stale cursor throws instead; `seek`
 * states a position anew and re-arms it. A cursor's own insert, remove and
 * set keep it valid and keep it on the same element (insert) or on the
 * element that took the removed one's place (remove).
 */
import { IteratorGuard } from '../core/iterator-guard.js';
import { StructError } from '../core/struct-error.js';
import { BLOB_REF_SIZE, CELL_BLOB, NODE_COUNT, RECORD_FIELD_SIZE } from './format.js';
import type { List } from './list.js';
import type { ListTree } from './tree.js';

/** Where the record of one position lies, while the list is unchanged. */
class RecordPlace {
  leaf = 0;
  leafStart = 0;
  leafCount = 0;
  local = 0;
  pos = 0;
  known = false;

  /** Finds `position` (< length), stepping within the leaf when it is the next one. */
  find(tree: ListTree, position: number): number {
    if (this.known) {
      if (position === this.leafStart + this.local) return this.pos;
      if (position === this.leafStart + this.local + 1 && this.local + 1 < this.leafCount) {
        const bytes = tree.ctx.bytes;
        const field = bytes.readUInt16LE(this.pos);
        this.pos += RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
        this.local++;
        return this.pos;
      }
    }
    this.pos = tree.locate(position);
    this.leaf = tree.leaf;
    this.leafStart = tree.leafStart;
    this.local = tree.leafLocal;
    this.leafCount = tree.ctx.bytes.readUInt16LE(tree.leaf + NODE_COUNT);
    this.known = true;
    return this.pos;
  }
}

export class ListCursor<V> {
  private position: number;
  private readonly guard: IteratorGuard;
  private readonly place = new RecordPlace();

  /** @internal Use list.cursor(index). */
  constructor(
    private readonly list: List<V>,
    index: number,
  ) {
    this.position = index;
    this.guard = new IteratorGuard(list.ctx, list._tree.changeCount());
  }

  /** The position the cursor stands at (length when past the end). */
  get index(): number {
    this.check();
    return this.position;
  }

  /** Whether the cursor stands on an element (not past the end). */
  get valid(): boolean {
    this.check();
    return this.position < this.list._tree.length();
  }

  /** The element the cursor stands on; INDEX_OUT_OF_RANGE past the end. */
  get value(): V {
    this.check();
    this.requireElement('value');
    return this.list._decodeAt(this.place.find(this.list._tree, this.position));
  }

  /** Moves to the next position (up to length); returns whether the cursor then stands on an element. */
  next(): boolean {
    this.check();
    const length = this.list._tree.length();
    if (this.position < length) this.position++;
    return this.position < length;
  }

  /** Moves to the previous position; returns false (and stays) at position 0. */
  prev(): boolean {
    this.check();
    if (this.position === 0) return false;
    this.position--;
    return true;
  }

  /** Moves to `index` (0 .. length), also after the list changed: it re-arms the cursor. */
  seek(index: number): void {
    this.checkAlive();
    const length = this.list._tree.length();
    if (!Number.isInteger(index) || index < 0 || index > length) {
      throw new StructError('INDEX_OUT_OF_RANGE', `seek(${String(index)}): the position must be from 0 to ${length}.`, { index, length });
    }
    this.position = index;
    this.rearm();
  }

  /** Inserts `value` before the cursor's element (at the end when past it); the cursor stays on its element. */
  insert(value: V): void {
    this.check();
    this.list._insertValue(this.position, value);
    this.position++;
    this.rearm();
  }

  /** Removes and returns the cursor's element; the cursor then stands on the element after it. */
  remove(): V {
    this.check();
    this.requireElement('remove');
    const value = this.list._removeValue(this.position);
    this.rearm();
    return value;
  }

  /** Replaces the cursor's element. */
  set(value: V): void {
    this.check();
    this.requireElement('set');
    this.list._setValue(this.position, value);
    this.rearm();
  }

  private checkAlive(): void {
    if (this.list._destroyed) {
      throw new StructError('ITERATOR_INVALIDATED', 'The List this cursor walks was destroyed.', { headerOffset: this.list.headerOffset });
    }
  }

  private check(): void {
    this.checkAlive();
    this.guard.check(this.list._tree.changeCount(), 'List cursor', { headerOffset: this.list.headerOffset, index: this.position });
  }

  private rearm(): void {
    this.place.known = false;
    this.guard.reset(this.list._tree.changeCount());
  }

  private requireElement(operation: string): void {
    const length = this.list._tree.length();
    if (this.position >= length) {
      throw new StructError('INDEX_OUT_OF_RANGE', `${operation}: the cursor stands past the end (position ${this.position} of ${length}).`, { index: this.position, length });
    }
  }
}

/** The values of a List in order (see the file comment for when it throws). */
export class ListIterator<V> implements IterableIterator<V> {
  private position = 0;
  private done = false;
  private readonly guard: IteratorGuard;
  private readonly place = new RecordPlace();

  /** @internal Use list.values(). */
  constructor(private readonly list: List<V>) {
    this.guard = new IteratorGuard(list.ctx, list._tree.changeCount());
  }

  next(): IteratorResult<V> {
    if (this.done) return { done: true, value: undefined };
    const list = this.list;
    if (list._destroyed) {
      throw new StructError('ITERATOR_INVALIDATED', 'The List this iterator walks was destroyed.', { headerOffset: list.headerOffset });
    }
    const tree = list._tree;
    this.guard.check(tree.changeCount(), 'List iterator', { headerOffset: list.headerOffset, index: this.position });
    if (this.position >= tree.length()) {
      this.done = true;
      return { done: true, value: undefined };
    }
    const value = list._decodeAt(this.place.find(tree, this.position));
    this.position++;
    return { done: false, value };
  }

  /** Stops early (for `break` in for-of); a later next() reports done. */
  return(): IteratorResult<V> {
    this.done = true;
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }
}
