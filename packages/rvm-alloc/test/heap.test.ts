import { Rvm } from '@rvm/core';
import { SimStorage } from '@rvm/core/testing';
import { describe, expect, it } from 'vitest';
import { ALLOC_SIZE_MAX, BLOCK_HEADER_SIZE, Heap, HEAP_SIZE_MIN, ROOT_COUNT } from '../src/index.js';
import { codeOf, errorOf, fill, reopen, simHeap } from './helpers/sim-heap.js';

describe('format and open', () => {
  it('formats an empty heap that checks, reopens and reports its capacity', () => {
    const sim = simHeap(1 << 16);
    expect(sim.heap.check()).toBeNull();
    const stats = sim.heap.stats();
    expect(stats.heapSize).toBe(1 << 16);
    expect(stats.freeCount).toBe(1);
    expect(stats.allocatedCount).toBe(0);
    expect(stats.freeSize).toBe(stats.capacity);
    expect(stats.fragmentation).toBe(0);
    expect(Heap.isFormatted(sim.segment)).toBe(true);
    const again = reopen(sim);
    expect(again.heap.check()).toBeNull();
    expect(again.heap.heapSize).toBe(1 << 16);
  });

  it('refuses to format over a heap unless told to overwrite', () => {
    const sim = simHeap();
    const tx = sim.rvm.begin();
    const a = sim.heap.alloc(tx, 10);
    expect(codeOf(() => Heap.format(sim.rvm, tx, sim.segment))).toBe('HEAP_EXISTS');
    expect(sim.heap.usableSize(a)).toBeGreaterThanOrEqual(10);
    const fresh = Heap.format(sim.rvm, tx, sim.segment, { overwrite: true });
    expect(fresh.stats().allocatedCount).toBe(0);
    tx.abort();
    expect(sim.heap.stats().allocatedCount).toBe(0);
    expect(sim.heap.check()).toBeNull();
  });

  it('formatting over a heap changes the salt, so old offsets are invalid in the new heap', () => {
    const sim = simHeap(1 << 16);
    let tx = sim.rvm.begin();
    const old = [sim.heap.alloc(tx, 100), sim.heap.alloc(tx, 5000), sim.heap.alloc(tx, 24)];
    tx.commit();
    const salt = sim.segment.bytes.readUInt32LE(24);
    tx = sim.rvm.begin();
    const heap = Heap.format(sim.rvm, tx, sim.segment, { overwrite: true, salt });
    expect(sim.segment.bytes.readUInt32LE(24)).toBe((salt + 1) >>> 0);
    for (const offset of old) expect(codeOf(() => heap.free(tx, offset))).toBe('INVALID_OFFSET');
    expect(heap.check()).toBeNull();
    tx.commit();
    expect(codeOf(() => Heap.format(sim.rvm, sim.rvm.begin(), sim.segment, { overwrite: true, salt: -1 }))).toBe('INVALID_ARGUMENT');
  });

  it('a format that aborts leaves the segment without a heap', () => {
    const storage = new SimStorage();
    const rvm = Rvm.open('/s', { storage });
    const segment = rvm.map('h', 8192);
    const tx = rvm.begin();
    Heap.format(rvm, tx, segment);
    tx.abort();
    expect(Heap.isFormatted(segment)).toBe(false);
    expect(segment.bytes.every((b) => b === 0)).toBe(true);
  });

  it('uses a segment whose size is not a multiple of 8, and rejects one that is too small', () => {
    const storage = new SimStorage();
    const rvm = Rvm.open('/s', { storage });
    const odd = rvm.map('odd', HEAP_SIZE_MIN + 5);
    const tx = rvm.begin();
    const heap = Heap.format(rvm, tx, odd);
    expect(heap.heapSize).toBe(HEAP_SIZE_MIN);
    expect(heap.check()).toBeNull();
    const a = heap.alloc(tx, 16);
    expect(heap.usableSize(a)).toBe(16);
    expect(codeOf(() => heap.alloc(tx, 1))).toBe('OUT_OF_SPACE');
    const small = rvm.map('small', HEAP_SIZE_MIN - 8);
    expect(codeOf(() => Heap.format(rvm, tx, small))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => Heap.open(rvm, small))).toBe('NOT_A_HEAP');
    tx.commit();
  });

  it('open checks magic, version, geometry and options', () => {
    const sim = simHeap(8192);
    const blank = sim.rvm.map('blank', 8192);
    expect(codeOf(() => Heap.open(sim.rvm, blank))).toBe('NOT_A_HEAP');
    expect(codeOf(() => Heap.open(sim.rvm, sim.segment, { sizeMax: 4096 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => Heap.open(sim.rvm, sim.segment, { sizeMax: 1.5 }))).toBe('INVALID_ARGUMENT');
    const patch = (offset: number, value: number, expected: string): void => {
      const tx = sim.rvm.begin();
      tx.setRange(sim.segment, offset, 4);
      sim.segment.bytes.writeUInt32LE(value, offset);
      const error = errorOf(() => Heap.open(sim.rvm, sim.segment));
      expect(error.code).toBe(expected);
      expect(error.details.offset).toBe(offset);
      tx.abort();
    };
    patch(0, 0x12345678, 'NOT_A_HEAP');
    patch(4, 2, 'VERSION_MISMATCH');
    patch(8, 16384, 'HEAP_CORRUPT'); // larger than the segment
    patch(8, 4100, 'HEAP_CORRUPT'); // not a multiple of 8
    patch(12, 2048, 'HEAP_CORRUPT');
    patch(16, 64, 'HEAP_CORRUPT');
    patch(8192 - 8, 0, 'HEAP_CORRUPT'); // the fence
    expect(Heap.open(sim.rvm, sim.segment).check()).toBeNull();
  });
});

describe('alloc and free', () => {
  it('returns aligned, disjoint blocks that keep their contents across commit and reopen', () => {
    const sim = simHeap(1 << 16);
    const tx = sim.rvm.begin();
    const sizes = [1, 7, 8, 9, 16, 17, 100, 1000, 1024, 1025, 5000];
    const offsets = sizes.map((size, i) => {
      const offset = sim.heap.alloc(tx, size);
      expect(offset % 8).toBe(0);
      expect(sim.heap.usableSize(offset)).toBeGreaterThanOrEqual(size);
      fill(tx, sim.segment, offset, size, i + 1);
      return offset;
    });
    const extents = offsets.map((o) => [o - BLOCK_HEADER_SIZE, o + sim.heap.usableSize(o)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < extents.length; i++) expect(extents[i]![0]).toBeGreaterThanOrEqual(extents[i - 1]![1]);
    tx.commit();
    const again = reopen(sim);
    expect(again.heap.check()).toBeNull();
    sizes.forEach((size, i) => {
      const o = offsets[i]!;
      expect(again.segment.bytes.subarray(o, o + size).every((b) => b === i + 1)).toBe(true);
    });
    expect(again.heap.blocks().filter((b) => b.allocated).map((b) => b.offset).sort((a, b) => a - b)).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('reuses a freed small block of the same class at once (constant-time free lists)', () => {
    const { rvm, heap } = simHeap();
    const tx = rvm.begin();
    const guard = [heap.alloc(tx, 40), heap.alloc(tx, 40), heap.alloc(tx, 40)];
    heap.free(tx, guard[1]!);
    expect(heap.alloc(tx, 40)).toBe(guard[1]);
    expect(heap.check()).toBeNull();
    tx.commit();
  });

  it('coalesces a freed block with free neighbours on both sides', () => {
    const { rvm, heap } = simHeap();
    const tx = rvm.begin();
    const [a, b, c, d] = [heap.alloc(tx, 200), heap.alloc(tx, 300), heap.alloc(tx, 400), heap.alloc(tx, 50)];
    const freeCount = heap.stats().freeCount;
    heap.free(tx, a);
    heap.free(tx, c);
    expect(heap.stats().freeCount).toBe(freeCount + 2);
    heap.free(tx, b);
    expect(heap.stats().freeCount).toBe(freeCount + 1);
    expect(heap.check()).toBeNull();
    heap.free(tx, d);
    expect(heap.stats().freeCount).toBe(1);
    expect(heap.stats().fragmentation).toBe(0);
    expect(heap.check()).toBeNull();
    tx.commit();
  });

  it('abort undoes allocations and frees; a no-restore transaction works too', () => {
    const { rvm, heap, segment } = simHeap();
    let tx = rvm.begin();
    const kept = heap.alloc(tx, 64);
    tx.commit();
    const before = Buffer.from(segment.bytes);
    tx = rvm.begin();
    for (let i = 0; i < 50; i++) heap.alloc(tx, 1 + i * 13);
    heap.free(tx, kept);
    tx.abort();
    expect(Buffer.compare(segment.bytes, before)).toBe(0);
    expect(heap.usableSize(kept)).toBeGreaterThanOrEqual(64);
    tx = rvm.begin({ restore: false });
    const a = heap.alloc(tx, 10);
    heap.free(tx, kept);
    tx.commit();
    expect(heap.blocks().filter((b) => b.allocated).map((b) => b.offset)).toEqual([a]);
    expect(heap.check()).toBeNull();
  });

  it('rejects bad sizes and offsets with clear codes, changing nothing', () => {
    const { rvm, heap, segment } = simHeap();
    const tx = rvm.begin();
    const a = heap.alloc(tx, 100);
    const b = heap.alloc(tx, 100);
    heap.free(tx, b);
    const before = Buffer.from(segment.bytes);
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, ALLOC_SIZE_MAX + 1, '8' as unknown as number]) {
      expect(codeOf(() => heap.alloc(tx, size))).toBe('INVALID_SIZE');
      expect(codeOf(() => heap.realloc(tx, a, size))).toBe('INVALID_SIZE');
    }
    for (const offset of [0, -8, 7, a + 1, a + 8, a + 16, 1 << 20, 1.5, segment.size - 8, segment.size]) {
      expect(codeOf(() => heap.free(tx, offset))).toBe('INVALID_OFFSET');
      expect(codeOf(() => heap.realloc(tx, offset, 10))).toBe('INVALID_OFFSET');
      expect(codeOf(() => heap.usableSize(offset))).toBe('INVALID_OFFSET');
      expect(codeOf(() => heap.setRoot(tx, 'r', offset))).toBe(offset === 0 ? 'no error' : 'INVALID_OFFSET');
    }
    const doubleFree = errorOf(() => heap.free(tx, b));
    expect(doubleFree.code).toBe('DOUBLE_FREE');
    expect(doubleFree.details.offset).toBe(b);
    expect(codeOf(() => heap.realloc(tx, b, 10))).toBe('INVALID_OFFSET');
    expect(Buffer.compare(segment.bytes, before)).toBe(0);
    expect(heap.check()).toBeNull();
    heap.free(tx, a);
    // a merged into the free space before b: its header now reads free, so a second free is a DOUBLE_FREE too.
    expect(codeOf(() => heap.free(tx, a))).toBe('DOUBLE_FREE');
    tx.commit();
    expect(codeOf(() => heap.alloc(tx, 8))).toBe('TX_CLOSED');
  });

  it('OUT_OF_SPACE changes nothing and leaves the transaction usable and abortable', () => {
    const { rvm, heap, segment } = simHeap(8192);
    const tx = rvm.begin();
    const blocks: number[] = [];
    for (;;) {
      try {
        blocks.push(heap.alloc(tx, 256));
      } catch (e) {
        expect((e as { code?: string }).code).toBe('OUT_OF_SPACE');
        break;
      }
    }
    expect(blocks.length).toBeGreaterThan(20);
    const before = Buffer.from(segment.bytes);
    const error = errorOf(() => heap.alloc(tx, 4000));
    expect(error.code).toBe('OUT_OF_SPACE');
    expect(error.details).toMatchObject({ size: 4000, heapSize: 8192, sizeMax: null });
    expect(codeOf(() => heap.realloc(tx, blocks[0]!, 4000))).toBe('OUT_OF_SPACE');
    expect(Buffer.compare(segment.bytes, before)).toBe(0);
    heap.free(tx, blocks[3]!);
    const reused = heap.alloc(tx, 200);
    // Carved from the end of the freed block; the rest (56 bytes) stays free.
    expect(reused).toBe(blocks[3]! + 56);
    expect(heap.check()).toBeNull();
    tx.abort();
    expect(heap.stats().allocatedCount).toBe(0);
  });

  it('a failing setRange midway (CONFLICT) rolls the operation back', () => {
    const { rvm, heap, segment } = simHeap(8192);
    const fence = heap.heapSize - 8;
    const other = rvm.begin();
    other.setRange(segment, fence, 8);
    const tx = rvm.begin();
    const before = Buffer.from(segment.bytes);
    // The allocation is carved from the end of the free block, so it writes the fence's PREV_INUSE last.
    expect(codeOf(() => heap.alloc(tx, 100))).toBe('CONFLICT');
    expect(Buffer.compare(segment.bytes, before)).toBe(0);
    expect(heap.check()).toBeNull();
    other.abort();
    const a = heap.alloc(tx, 100);
    tx.commit();
    expect(heap.usableSize(a)).toBe(104);
    expect(heap.check()).toBeNull();
  });

  it('a realloc that grows the heap, moves, and meets CONFLICT midway leaves everything as it was', () => {
    const { rvm, heap, segment } = simHeap(8192, { sizeMax: 1 << 16 });
    let tx = rvm.begin();
    const a = heap.alloc(tx, 100); // carved first, so next to the fence
    const b = heap.alloc(tx, 100); // just before a
    fill(tx, segment, b, 100, 7);
    tx.commit();
    // Freeing b rewrites a's header (PREV_INUSE); another transaction holds it.
    const other = rvm.begin();
    other.setRange(segment, a - 8, 8);
    tx = rvm.begin();
    const before = Buffer.from(segment.bytes);
    expect(codeOf(() => heap.realloc(tx, b, 6000))).toBe('CONFLICT');
    expect(segment.size).toBeGreaterThan(before.length); // the segment's growth stays
    expect(Buffer.compare(segment.bytes.subarray(0, before.length), before)).toBe(0);
    expect(heap.heapSize).toBe(8192);
    expect(heap.check()).toBeNull();
    other.abort();
    const moved = heap.realloc(tx, b, 6000);
    expect(segment.bytes.subarray(moved, moved + 100).every((x) => x === 7)).toBe(true);
    tx.commit();
    expect(heap.check()).toBeNull();
  });

  it('meets damaged metadata with HEAP_CORRUPT, rolled back', () => {
    const { rvm, heap, segment } = simHeap(8192);
    let tx = rvm.begin();
    const a = heap.alloc(tx, 100);
    const b = heap.alloc(tx, 100);
    tx.commit();
    // Damage the free block's footer (just before b's... the free block lies before b, then a).
    tx = rvm.begin();
    const freeStart = heap.blocks()[0]!.offset - 8;
    const freeSize = heap.blocks()[0]!.size + 8;
    fill(tx, segment, freeStart + freeSize - 4, 4, 0xee);
    const before = Buffer.from(segment.bytes);
    const error = errorOf(() => heap.free(tx, b));
    expect(error.code).toBe('HEAP_CORRUPT');
    expect(Buffer.compare(segment.bytes, before)).toBe(0);
    expect(heap.check()).toMatch(/^offset \d+: the footer/);
    tx.abort();
    expect(heap.check()).toBeNull();
    tx = rvm.begin();
    heap.free(tx, a);
    heap.free(tx, b);
    tx.commit();
    expect(heap.stats().freeCount).toBe(1);
  });
});

describe('stats', () => {
  it('counts bytes and blocks per size class, and measures fragmentation', () => {
    const { rvm, heap } = simHeap(1 << 16);
    const tx = rvm.begin();
    const small = [heap.alloc(tx, 16), heap.alloc(tx, 16), heap.alloc(tx, 16)];
    const large = heap.alloc(tx, 3000);
    heap.free(tx, small[1]!);
    const stats = heap.stats();
    expect(stats.allocatedCount).toBe(3);
    expect(stats.allocatedSize).toBe(24 + 24 + 3008);
    expect(stats.usableSize).toBe(stats.allocatedSize - 3 * 8);
    expect(stats.freeCount).toBe(2);
    expect(stats.allocatedSize + stats.freeSize).toBe(stats.capacity);
    expect(stats.allocSizeMax).toBe(stats.freeBlockSizeMax - 8);
    expect(stats.fragmentation).toBeCloseTo(24 / stats.freeSize, 10);
    expect(stats.classes).toContainEqual({ blockSizeMin: 24, blockSizeMax: 24, allocatedCount: 2, freeCount: 1 });
    expect(stats.classes).toContainEqual({ blockSizeMin: 2816, blockSizeMax: 3064, allocatedCount: 1, freeCount: 0 });
    expect(heap.usableSize(large)).toBe(3000);
    tx.commit();
  });
});

describe('realloc', () => {
  it('shrinks and grows in place, and moves with the contents when it must', () => {
    const { rvm, heap, segment } = simHeap(1 << 16);
    const tx = rvm.begin();
    const a = heap.alloc(tx, 500);
    fill(tx, segment, a, 500, 0xab);
    expect(heap.realloc(tx, a, 100)).toBe(a);
    expect(heap.usableSize(a)).toBe(104);
    expect(heap.check()).toBeNull();
    // The tail freed by the shrink is after a, so a can grow back in place.
    expect(heap.realloc(tx, a, 400)).toBe(a);
    expect(heap.usableSize(a)).toBeGreaterThanOrEqual(400);
    expect(heap.check()).toBeNull();
    // a was carved from the end of the free space: the fence follows it, so it must move.
    const moved = heap.realloc(tx, a, 3000);
    expect(moved).not.toBe(a);
    expect(segment.bytes.subarray(moved, moved + 100).every((x) => x === 0xab)).toBe(true);
    expect(codeOf(() => heap.usableSize(a))).toBe('INVALID_OFFSET');
    expect(heap.check()).toBeNull();
    tx.commit();
  });
});

describe('roots', () => {
  it('sets, reads, replaces and removes named roots, transactionally and durably', () => {
    const sim = simHeap();
    const { rvm, heap } = sim;
    let tx = rvm.begin();
    const a = heap.alloc(tx, 10);
    const b = heap.alloc(tx, 10);
    expect(heap.getRoot('tree')).toBe(0);
    heap.setRoot(tx, 'tree', a);
    heap.setRoot(tx, 'ключ', b);
    expect(heap.getRoot('tree')).toBe(a);
    tx.commit();
    tx = rvm.begin();
    heap.setRoot(tx, 'tree', b);
    expect(heap.getRoot('tree')).toBe(b);
    tx.abort();
    expect(heap.getRoot('tree')).toBe(a);
    const again = reopen(sim);
    expect(again.heap.roots()).toEqual([{ name: 'tree', offset: a }, { name: 'ключ', offset: b }]);
    tx = again.rvm.begin();
    again.heap.setRoot(tx, 'tree', 0);
    again.heap.setRoot(tx, 'missing', 0);
    tx.commit();
    expect(again.heap.getRoot('tree')).toBe(0);
    expect(again.heap.check()).toBeNull();
  });

  it('rejects bad names, invalid offsets and a full table', () => {
    const { rvm, heap } = simHeap();
    const tx = rvm.begin();
    const a = heap.alloc(tx, 10);
    for (const name of ['', 'x'.repeat(29), 'a\0b', 42 as unknown as string]) {
      expect(codeOf(() => heap.getRoot(name))).toBe('INVALID_ROOT_NAME');
      expect(codeOf(() => heap.setRoot(tx, name, a))).toBe('INVALID_ROOT_NAME');
    }
    expect(codeOf(() => heap.setRoot(tx, 'x'.repeat(28), a))).toBe('no error');
    for (let i = 1; i < ROOT_COUNT; i++) heap.setRoot(tx, `r${i}`, a);
    expect(codeOf(() => heap.setRoot(tx, 'one-more', a))).toBe('ROOTS_FULL');
    heap.setRoot(tx, 'r1', a); // replacing needs no new entry
    heap.free(tx, a);
    expect(heap.check()).toMatch(/root ".*" points to \d+, which is not an allocated block/);
    tx.abort();
  });
});

describe('growth', () => {
  it('grow() extends the heap, merging with a free block at the end, up to sizeMax', () => {
    const { rvm, heap, segment } = simHeap(8192, { sizeMax: 1 << 16 });
    const tx = rvm.begin();
    heap.grow(tx, 16384);
    expect(segment.size).toBe(16384);
    expect(heap.heapSize).toBe(16384);
    expect(heap.stats().freeCount).toBe(1);
    expect(heap.check()).toBeNull();
    expect(codeOf(() => heap.grow(tx, (1 << 16) + 8))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => heap.grow(tx, 8192))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => heap.grow(tx, 16384 + 8))).toBe('INVALID_ARGUMENT');
    heap.grow(tx, 16384); // no-op
    tx.commit();
  });

  it('grows automatically when sizeMax allows, and not past it', () => {
    const { rvm, heap, segment } = simHeap(8192, { sizeMax: 300_000 });
    const tx = rvm.begin();
    const blocks: number[] = [];
    for (let i = 0; i < 100; i++) blocks.push(heap.alloc(tx, 2000));
    expect(heap.heapSize).toBeGreaterThan(200_000);
    expect(segment.size).toBe(heap.heapSize);
    expect(heap.check()).toBeNull();
    expect(codeOf(() => heap.alloc(tx, 200_000))).toBe('OUT_OF_SPACE');
    const moved = heap.realloc(tx, blocks[0]!, 50_000);
    expect(heap.usableSize(moved)).toBeGreaterThanOrEqual(50_000);
    expect(heap.check()).toBeNull();
    tx.commit();
  });

  it('a growth whose transaction aborts leaves a larger segment that the next growth adopts', () => {
    const sim = simHeap(8192, { sizeMax: 1 << 20 });
    const { rvm, heap, segment } = sim;
    let tx = rvm.begin();
    heap.alloc(tx, 20_000);
    const grownSize = segment.size;
    expect(grownSize).toBeGreaterThan(8192);
    tx.abort();
    expect(segment.size).toBe(grownSize);
    expect(heap.heapSize).toBe(8192);
    expect(heap.check()).toBeNull();
    const again = reopen(sim, { sizeMax: 1 << 20 });
    expect(again.segment.size).toBe(grownSize);
    expect(again.heap.check()).toBeNull();
    tx = again.rvm.begin();
    again.heap.alloc(tx, 20_000);
    expect(again.segment.size).toBe(grownSize); // adopted, not grown again
    expect(again.heap.heapSize).toBe(grownSize);
    tx.commit();
    expect(again.heap.check()).toBeNull();
  });
});

describe('misuse', () => {
  it('refuses a closed transaction and an unmapped segment', () => {
    const { rvm, heap, segment } = simHeap();
    const tx = rvm.begin();
    const a = heap.alloc(tx, 8);
    tx.commit();
    expect(codeOf(() => heap.alloc(tx, 8))).toBe('TX_CLOSED');
    expect(codeOf(() => heap.free(tx, a))).toBe('TX_CLOSED');
    rvm.unmap(segment);
    expect(codeOf(() => heap.stats())).toBe('SEGMENT_NOT_MAPPED');
    expect(codeOf(() => heap.getRoot('x'))).toBe('SEGMENT_NOT_MAPPED');
    expect(codeOf(() => heap.alloc(rvm.begin(), 8))).toBe('SEGMENT_NOT_MAPPED');
  });
});
