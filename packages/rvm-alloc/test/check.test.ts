import { describe, expect, it } from 'vitest';
import { BITMAP_OFFSET, BLOCKS_OFFSET, HEADS_OFFSET, headerCheck as check, INUSE, PREV_INUSE, SALT_OFFSET } from '../src/layout.js';
import { binIndex } from '../src/size-class.js';
import { errorOf, simHeap, type SimHeap } from './helpers/sim-heap.js';

/**
 * A heap with, from low to high addresses: free space F (the rest), then
 * blocks carved downwards from the end: c (free, 200 bytes), b (allocated),
 * a (allocated, the first allocation, next to the fence).
 */
function scene(): SimHeap & { a: number; b: number; c: number; free: number } {
  const sim = simHeap(8192);
  const tx = sim.rvm.begin();
  const a = sim.heap.alloc(tx, 100);
  const b = sim.heap.alloc(tx, 100);
  const c = sim.heap.alloc(tx, 200);
  sim.heap.alloc(tx, 8); // keeps c from merging with the free space before it
  sim.heap.free(tx, c);
  tx.commit();
  expect(sim.heap.check()).toBeNull();
  return { ...sim, a, b, c, free: BLOCKS_OFFSET };
}

/** The check word of a header at `b` in this heap. */
function headerCheck(b: number, sizeFlags: number, sim: SimHeap): number {
  return check(b, sizeFlags, sim.segment.bytes.readUInt32LE(SALT_OFFSET));
}

/** Writes a u32 at `offset` in a transaction, returns check(), and aborts. */
function damaged(sim: SimHeap, offset: number, value: number): string | null {
  const tx = sim.rvm.begin();
  tx.setRange(sim.segment, offset, 4);
  sim.segment.bytes.writeUInt32LE(value >>> 0, offset);
  const problem = sim.heap.check();
  tx.abort();
  expect(sim.heap.check()).toBeNull();
  return problem;
}

describe('check() reports the first violation precisely', () => {
  it('a damaged block header', () => {
    const s = scene();
    expect(damaged(s, s.b - 8, 0x1234)).toBe(`offset ${s.b - 8}: the block header check does not match (the block before overran its end, or the header was overwritten)`);
  });

  it('a size that runs past the fence, and a size below the minimum (with valid checks)', () => {
    const s = scene();
    const b = s.a - 8;
    const tx = s.rvm.begin();
    tx.setRange(s.segment, b, 8);
    s.segment.bytes.writeUInt32LE(512 + INUSE + PREV_INUSE, b);
    s.segment.bytes.writeUInt32LE(headerCheck(b, 512 + INUSE + PREV_INUSE, s), b + 4);
    expect(s.heap.check()).toBe(`offset ${b}: block of 512 bytes runs past the fence at ${8192 - 8}`);
    s.segment.bytes.writeUInt32LE(16 + INUSE + PREV_INUSE, b);
    s.segment.bytes.writeUInt32LE(headerCheck(b, 16 + INUSE + PREV_INUSE, s), b + 4);
    expect(s.heap.check()).toBe(`offset ${b}: block size 16 is below the minimum 24`);
    tx.abort();
  });

  it('a PREV_INUSE bit that does not mirror the block before', () => {
    const s = scene();
    const b = s.a - 8;
    const flags = s.segment.bytes.readUInt32LE(b) ^ PREV_INUSE;
    const tx = s.rvm.begin();
    tx.setRange(s.segment, b, 8);
    s.segment.bytes.writeUInt32LE(flags, b);
    s.segment.bytes.writeUInt32LE(headerCheck(b, flags, s), b + 4);
    expect(s.heap.check()).toBe(`offset ${b}: PREV_INUSE is false but the block before is allocated`);
    tx.abort();
  });

  it('a free block footer', () => {
    const s = scene();
    const footer = s.c - 8 + 208 - 4;
    expect(damaged(s, footer, 99)).toBe(`offset ${footer}: the footer of the free block at ${s.c - 8} is 99, not its size 208`);
  });

  it('free-list links, heads and the bitmap', () => {
    const s = scene();
    const c = s.c - 8;
    const bin = binIndex(208);
    const headOffset = HEADS_OFFSET + bin * 4;
    expect(damaged(s, c + 8, s.b - 8)).toBe(`offset ${c + 8}: free list ${bin} links to ${s.b - 8}, which is not a free block`);
    expect(damaged(s, c + 12, 4096)).toBe(`offset ${c + 12}: the previous link of free block ${c} is 4096, not 0`);
    expect(damaged(s, headOffset, 0)).toBe(`offset ${BITMAP_OFFSET + (bin >>> 5) * 4}: the bitmap bit of free list ${bin} is 1 but the list is empty`);
    expect(damaged(s, c + 8, c)).toBe(`offset ${c + 8}: free block ${c} is linked twice (a cycle or two lists)`);
    // Move c to the list of another class (head and bitmap kept consistent): wrong class.
    const tx = s.rvm.begin();
    const other = binIndex(24);
    tx.setRange(s.segment, 0, BLOCKS_OFFSET);
    s.segment.bytes.writeUInt32LE(0, headOffset);
    s.segment.bytes.writeUInt32LE(c, HEADS_OFFSET + other * 4);
    const bitmap = (i: number): number => BITMAP_OFFSET + (i >>> 5) * 4;
    s.segment.bytes.writeUInt32LE((s.segment.bytes.readUInt32LE(bitmap(bin)) & ~(1 << (bin & 31))) >>> 0, bitmap(bin));
    s.segment.bytes.writeUInt32LE((s.segment.bytes.readUInt32LE(bitmap(other)) | (1 << (other & 31))) >>> 0, bitmap(other));
    expect(s.heap.check()).toBe(`offset ${c}: free block of 208 bytes is on list ${other}, not ${bin}`);
    // Take it off every list: leaked.
    s.segment.bytes.writeUInt32LE(0, HEADS_OFFSET + other * 4);
    s.segment.bytes.writeUInt32LE((s.segment.bytes.readUInt32LE(bitmap(other)) & ~(1 << (other & 31))) >>> 0, bitmap(other));
    expect(s.heap.check()).toBe(`offset ${c}: free block is on no free list (leaked)`);
    tx.abort();
  });

  it('two adjacent free blocks', () => {
    const s = scene();
    // Blocks are carved downwards, so c ends where b starts: mark b free without coalescing it with c.
    const b = s.b - 8;
    const flags = 104 + 8; // size 112, free, PREV_INUSE clear (c before it is free)
    const tx = s.rvm.begin();
    tx.setRange(s.segment, b, 8);
    s.segment.bytes.writeUInt32LE(flags, b);
    s.segment.bytes.writeUInt32LE(headerCheck(b, flags, s), b + 4);
    expect(s.heap.check()).toBe(`offset ${b}: two adjacent free blocks (a free was not coalesced)`);
    tx.abort();
  });

  it('verify() throws HEAP_CORRUPT with the offset and problem as fields', () => {
    const s = scene();
    const tx = s.rvm.begin();
    tx.setRange(s.segment, s.a - 8, 4);
    s.segment.bytes.writeUInt32LE(7, s.a - 8);
    const error = errorOf(() => s.heap.verify());
    expect(error.code).toBe('HEAP_CORRUPT');
    expect(error.details.offset).toBe(s.a - 8);
    expect(error.details.problem).toMatch(/check does not match/);
    // stats() and blocks() refuse to walk past a header they cannot trust.
    expect(errorOf(() => s.heap.stats()).code).toBe('HEAP_CORRUPT');
    tx.abort();
    expect(() => s.heap.verify()).not.toThrow();
  });
});
