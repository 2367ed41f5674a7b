import { Rvm, type Segment } from '@rvm/core';
import { SimStorage } from '@rvm/core/testing';
import { Heap, type HeapOptions } from '../../src/index.js';

export const DIR = '/store';
export const SEGMENT = 'heap';

export interface SimHeap {
  storage: SimStorage;
  rvm: Rvm;
  segment: Segment;
  heap: Heap;
}

/** A store on simulated storage with a freshly formatted, committed heap of `size` bytes. */
export function simHeap(size = 1 << 16, options: HeapOptions = {}): SimHeap {
  const storage = new SimStorage();
  const rvm = Rvm.open(DIR, { storage });
  const segment = rvm.map(SEGMENT, size);
  const tx = rvm.begin();
  const heap = Heap.format(rvm, tx, segment, options);
  tx.commit();
  return { storage, rvm, segment, heap };
}

/** Closes the store and opens it again on the same storage (no crash). */
export function reopen(sim: SimHeap, options: HeapOptions = {}): SimHeap {
  sim.rvm.close();
  const rvm = Rvm.open(DIR, { storage: sim.storage });
  const segment = rvm.map(SEGMENT);
  return { storage: sim.storage, rvm, segment, heap: Heap.open(rvm, segment, options) };
}

/** The `code` of what `fn` throws, or 'no error'. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    throw e;
  }
  return 'no error';
}

/** The error `fn` throws (fails when it does not throw). */
export function errorOf(fn: () => unknown): Error & { code: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code: string; details: Record<string, unknown> };
  }
  throw new Error('expected an error');
}

/** Declares and fills `length` bytes at `offset` with `value`. */
export function fill(tx: { setRange(s: Segment, o: number, l: number): void }, segment: Segment, offset: number, length: number, value: number): void {
  tx.setRange(segment, offset, length);
  segment.bytes.fill(value, offset, offset + length);
}
