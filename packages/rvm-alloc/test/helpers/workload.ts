/**
 * A workload of heap operations as plain data, the model it is checked
 * against (live blocks by offset with their known contents, and roots), and
 * the interpreter that runs one operation on a real heap and on the model.
 * Shared by the model-based property test and the crash test.
 */
import type { Segment, Transaction } from '@rvm/core';
import fc from 'fast-check';
import type { Heap } from '../../src/index.js';
import { isHeapError } from '../../src/index.js';
import { fill, reopen, type SimHeap } from './sim-heap.js';

export type Op =
  | { readonly kind: 'alloc'; readonly size: number }
  | { readonly kind: 'free'; readonly pick: number }
  | { readonly kind: 'write'; readonly pick: number; readonly byte: number }
  | { readonly kind: 'realloc'; readonly pick: number; readonly size: number }
  | { readonly kind: 'commit'; readonly flush: boolean }
  | { readonly kind: 'abort' }
  | { readonly kind: 'grow'; readonly delta: number }
  | { readonly kind: 'root'; readonly name: string; readonly pick: number }
  | { readonly kind: 'badFree'; readonly pick: number; readonly delta: number }
  | { readonly kind: 'reopen' };

export const HEAP_SIZE_INITIAL = 16 * 1024;
export const HEAP_SIZE_MAX = 160 * 1024;

/** Mixed sizes: mostly small, some medium, a few large enough to force growth. */
export const mixedSizeArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 256 }) },
  { weight: 3, arbitrary: fc.integer({ min: 257, max: 2048 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2049, max: 24_000 }) },
);
/** Small sizes only: many live blocks on the small free lists. */
export const smallSizeArb = fc.integer({ min: 1, max: 300 });

const pickArb = fc.nat({ max: 1000 });

/** The weighted mix of operations of a workload, with sizes from `sizeArb`; `allocWeight` sets how full the heap gets. */
export function opArbFor(sizeArb: fc.Arbitrary<number>, allocWeight = 8): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: allocWeight, arbitrary: sizeArb.map((size): Op => ({ kind: 'alloc', size })) },
    { weight: 5, arbitrary: pickArb.map((pick): Op => ({ kind: 'free', pick })) },
    { weight: 3, arbitrary: fc.tuple(pickArb, fc.integer({ min: 1, max: 255 })).map(([pick, byte]): Op => ({ kind: 'write', pick, byte })) },
    { weight: 2, arbitrary: fc.tuple(pickArb, sizeArb).map(([pick, size]): Op => ({ kind: 'realloc', pick, size })) },
    { weight: 3, arbitrary: fc.boolean().map((flush): Op => ({ kind: 'commit', flush })) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'abort' }) },
    { weight: 1, arbitrary: fc.integer({ min: 3, max: 4096 }).map((units): Op => ({ kind: 'grow', delta: units * 8 })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'b', 'tree'), fc.integer({ min: -1, max: 1000 })).map(([name, pick]): Op => ({ kind: 'root', name, pick })) },
    { weight: 1, arbitrary: fc.tuple(pickArb, fc.integer({ min: -64, max: 64 })).map(([pick, delta]): Op => ({ kind: 'badFree', pick, delta })) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'reopen' }) },
  );
}

export interface BlockModel {
  readonly size: number;
  /** The bytes known to be at the start of the block (what was written and kept by realloc). */
  readonly content: Buffer;
}

export class HeapModel {
  readonly live = new Map<number, BlockModel>();
  readonly roots = new Map<string, number>();

  clone(): HeapModel {
    const copy = new HeapModel();
    for (const [offset, block] of this.live) copy.live.set(offset, block);
    for (const [name, offset] of this.roots) copy.roots.set(name, offset);
    return copy;
  }

  /** The live offsets in ascending order. */
  offsets(): number[] {
    return [...this.live.keys()].sort((a, b) => a - b);
  }
}

/** The first difference between the heap and the model (null when they agree), after check(). */
export function mismatch(heap: Heap, segment: Segment, model: HeapModel): string | null {
  const problem = heap.check();
  if (problem !== null) return `check(): ${problem}`;
  const allocated = heap.blocks().filter((b) => b.allocated);
  const expected = model.offsets();
  if (allocated.length !== expected.length || allocated.some((b, i) => b.offset !== expected[i])) {
    return `allocated blocks ${JSON.stringify(allocated.map((b) => b.offset))}, model ${JSON.stringify(expected)}`;
  }
  let end = 0;
  for (const block of allocated) {
    const want = model.live.get(block.offset)!;
    if (block.offset - 8 < end) return `block ${block.offset} overlaps the block before`;
    end = block.offset + block.size;
    if (block.size < want.size) return `block ${block.offset} has ${block.size} usable bytes, fewer than the ${want.size} asked for`;
    if (Buffer.compare(segment.bytes.subarray(block.offset, block.offset + want.content.length), want.content) !== 0) return `block ${block.offset} lost its contents`;
  }
  const roots = heap.roots();
  if (roots.length !== model.roots.size || roots.some((r) => model.roots.get(r.name) !== r.offset)) {
    return `roots ${JSON.stringify(roots)}, model ${JSON.stringify([...model.roots])}`;
  }
  return null;
}

/** The running system: the store, the open transaction, and the models (current and last committed). */
export class World {
  tx: Transaction;
  current = new HeapModel();
  committed = new HeapModel();
  /** Committed states in commit order; [0] is the formatted heap. */
  readonly commits: HeapModel[] = [new HeapModel()];
  /** The index in `commits` of the last commit known to be durable. */
  durableIndex = 0;

  constructor(public sim: SimHeap) {
    this.tx = sim.rvm.begin();
  }

  /** Runs one operation on the heap and the model. Checks what it can say at once (errors, extents). */
  apply(op: Op): void {
    const { heap, segment } = this.sim;
    const model = this.current;
    const offsets = model.offsets();
    const picked = offsets.length === 0 ? -1 : offsets[('pick' in op ? Math.max(op.pick, 0) : 0) % offsets.length]!;
    switch (op.kind) {
      case 'alloc': {
        const offset = this.orOutOfSpace(() => heap.alloc(this.tx, op.size), op.size);
        if (offset === null) return;
        if (model.live.has(offset)) throw new Error(`alloc returned live offset ${offset}`);
        if (heap.usableSize(offset) < op.size) throw new Error(`alloc(${op.size}) gave ${heap.usableSize(offset)} bytes`);
        model.live.set(offset, { size: op.size, content: Buffer.alloc(0) });
        return;
      }
      case 'free': {
        if (picked < 0) return;
        for (const [name, offset] of model.roots) {
          if (offset !== picked) continue;
          heap.setRoot(this.tx, name, 0);
          model.roots.delete(name);
        }
        heap.free(this.tx, picked);
        model.live.delete(picked);
        return;
      }
      case 'write': {
        if (picked < 0) return;
        const block = model.live.get(picked)!;
        fill(this.tx, segment, picked, block.size, op.byte);
        model.live.set(picked, { size: block.size, content: Buffer.alloc(block.size, op.byte) });
        return;
      }
      case 'realloc': {
        if (picked < 0) return;
        const block = model.live.get(picked)!;
        const offset = this.orOutOfSpace(() => heap.realloc(this.tx, picked, op.size), op.size);
        if (offset === null) return;
        model.live.delete(picked);
        model.live.set(offset, { size: op.size, content: block.content.subarray(0, Math.min(block.content.length, op.size)) });
        if (offset !== picked) {
          for (const [name, rooted] of model.roots) {
            if (rooted !== picked) continue;
            heap.setRoot(this.tx, name, offset);
            model.roots.set(name, offset);
          }
        }
        return;
      }
      case 'commit':
        // A commit that crashes may or may not survive: it is a candidate from the moment it starts.
        this.commits.push(model.clone());
        this.tx.commit({ flush: op.flush });
        this.committed = model.clone();
        if (op.flush) this.durableIndex = this.commits.length - 1;
        this.tx = this.sim.rvm.begin();
        return;
      case 'abort':
        this.tx.abort();
        this.current = this.committed.clone();
        this.tx = this.sim.rvm.begin();
        return;
      case 'grow': {
        const target = heap.heapSize + op.delta;
        if (target > HEAP_SIZE_MAX) {
          expectCode(() => heap.grow(this.tx, target), 'LIMIT_EXCEEDED');
          return;
        }
        heap.grow(this.tx, target);
        if (heap.heapSize !== target) throw new Error(`grow(${target}) left ${heap.heapSize}`);
        return;
      }
      case 'root':
        if (op.pick < 0 || picked < 0) {
          heap.setRoot(this.tx, op.name, 0);
          model.roots.delete(op.name);
        } else {
          heap.setRoot(this.tx, op.name, picked);
          model.roots.set(op.name, picked);
        }
        return;
      case 'badFree': {
        const offset = (picked < 0 ? 4096 : picked) + op.delta;
        if (model.live.has(offset)) return;
        const before = Buffer.from(segment.bytes);
        expectCode(() => heap.free(this.tx, offset), 'INVALID_OFFSET', 'DOUBLE_FREE');
        if (Buffer.compare(before, segment.bytes) !== 0) throw new Error(`a failed free(${offset}) changed the segment`);
        return;
      }
      case 'reopen':
        // close() flushes every no-flush commit and discards the open transaction.
        this.sim = reopen(this.sim, { sizeMax: HEAP_SIZE_MAX });
        this.durableIndex = this.commits.length - 1;
        this.current = this.committed.clone();
        this.tx = this.sim.rvm.begin();
        return;
    }
  }

  /** Runs an allocation; on OUT_OF_SPACE checks that nothing changed and returns null. */
  private orOutOfSpace(run: () => number, size: number): number | null {
    const stats = this.sim.heap.stats();
    // Only an allocation that might fail needs the copy.
    const before = stats.allocSizeMax < size + 64 ? Buffer.from(this.sim.segment.bytes) : null;
    try {
      return run();
    } catch (e) {
      if (!isHeapError(e, 'OUT_OF_SPACE')) throw e;
      if (before === null) throw new Error(`OUT_OF_SPACE for ${size} bytes with a free block of ${stats.allocSizeMax}`);
      if (Buffer.compare(before, this.sim.segment.bytes.subarray(0, before.length)) !== 0) throw new Error('OUT_OF_SPACE changed the heap');
      return null;
    }
  }
}

function expectCode(fn: () => unknown, ...codes: string[]): void {
  try {
    fn();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && codes.includes(code)) return;
    throw e;
  }
  throw new Error(`expected ${codes.join(' or ')}, got no error`);
}
