/**
 * Golden test of heap format version 1 (src/layout.ts): the bytes a known
 * sequence of calls writes are pinned word by word, and pinned bytes must still
 * open and check. Change HEAP_FORMAT_VERSION, not these numbers, when the
 * layout changes.
 */
import { Rvm } from '@rvm/core';
import { SimStorage } from '@rvm/core/testing';
import { describe, expect, it } from 'vitest';
import { Heap, HEAP_FORMAT_VERSION } from '../src/index.js';

/** Every non-zero little-endian u32 of the 4096-byte segment, as [offset, value]. */
const GOLDEN_V1: ReadonlyArray<readonly [number, number]> = [
  [0, 0x484d5652], // magic "RVMH"
  [4, 0x00000001], // version
  [8, 0x00001000], // heapSize 4096
  [12, 0x00000900], // blocksOffset 2304
  [16, 0x0000012e], // binCount 302
  [20, 0x00000020], // rootCount 32
  [24, 0x5eed5a17], // salt (pinned by the format option)
  [32, 0x00000002], // bitmap word 0: list 1 (blocks of 32 bytes) is not empty
  [48, 0x00000004], // bitmap word 4: list 130 (blocks of 1536 .. 1663 bytes) is not empty
  [76, 0x00000f68], // head of list 1: the free block at 3944
  [592, 0x00000900], // head of list 130: the free block at 2304
  [1280, 0x00000f90], // root 0: offset 3984
  [1284, 0x6e69616d], // root 0: name "main"
  [2304, 0x00000652], // block 2304: size 1616, free, PREV_INUSE
  [2308, 0x30748bfc], //   its check (links at 2312, 2316 are 0)
  [3916, 0x00000650], //   its footer: 1616
  [3920, 0x00000019], // block 3920: size 24, in use, block before free (alloc(1))
  [3924, 0x35fed4ba], //   its check
  [3940, 0x00000668], //   stale payload: a footer from before this block was carved
  [3944, 0x00000022], // block 3944: size 32, free, PREV_INUSE (freed alloc(24))
  [3948, 0xec495ec9], //   its check (links 0)
  [3972, 0x00000020], //   its footer: 32
  [3976, 0x00000071], // block 3976: size 112, in use, block before free (alloc(100))
  [3980, 0xa5ff7626], //   its check
  [3984, 0x61746164], //   payload "data"
  [4084, 0x000006f8], //   stale payload: the first free block's footer
  [4088, 0x00000003], // fence: size 0, in use, PREV_INUSE
  [4092, 0xbb76ad28], //   its check
];

function store(): { rvm: Rvm; storage: SimStorage } {
  const storage = new SimStorage();
  return { rvm: Rvm.open('/golden', { storage }), storage };
}

describe('heap format version 1', () => {
  it('writes exactly the pinned bytes', () => {
    expect(HEAP_FORMAT_VERSION).toBe(1);
    const { rvm } = store();
    const segment = rvm.map('golden', 4096);
    const tx = rvm.begin();
    const heap = Heap.format(rvm, tx, segment, { salt: 0x5eed5a17 });
    const a = heap.alloc(tx, 100);
    const b = heap.alloc(tx, 24);
    const c = heap.alloc(tx, 1);
    heap.free(tx, b);
    tx.setRange(segment, a, 4);
    segment.bytes.write('data', a);
    heap.setRoot(tx, 'main', a);
    tx.commit();
    expect([a, b, c]).toEqual([3984, 3952, 3928]);
    const words: Array<readonly [number, number]> = [];
    for (let offset = 0; offset < 4096; offset += 4) {
      const value = segment.bytes.readUInt32LE(offset);
      if (value !== 0) words.push([offset, value]);
    }
    expect(words).toEqual(GOLDEN_V1);
  });

  it('opens and checks the pinned bytes, and keeps working on them', () => {
    const { rvm } = store();
    const segment = rvm.map('golden', 4096);
    let tx = rvm.begin();
    tx.setRange(segment, 0, 4096);
    for (const [offset, value] of GOLDEN_V1) segment.bytes.writeUInt32LE(value, offset);
    tx.commit();
    const heap = Heap.open(rvm, segment);
    expect(heap.check()).toBeNull();
    expect(heap.heapSize).toBe(4096);
    expect(heap.roots()).toEqual([{ name: 'main', offset: 3984 }]);
    expect(segment.bytes.toString('latin1', 3984, 3988)).toBe('data');
    expect(heap.blocks()).toEqual([
      { offset: 2312, size: 1608, allocated: false },
      { offset: 3928, size: 16, allocated: true },
      { offset: 3952, size: 24, allocated: false },
      { offset: 3984, size: 104, allocated: true },
    ]);
    tx = rvm.begin();
    expect(heap.alloc(tx, 24)).toBe(3952);
    heap.free(tx, 3928);
    heap.free(tx, 3952);
    heap.setRoot(tx, 'main', 0);
    heap.free(tx, 3984);
    tx.commit();
    expect(heap.check()).toBeNull();
    expect(heap.stats().freeCount).toBe(1);
  });
});
