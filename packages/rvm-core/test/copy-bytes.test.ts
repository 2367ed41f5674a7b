import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyBytes, WordView } from '../src/copy-bytes.js';

describe('copyBytes', () => {
  it('copies like Buffer#copy at every alignment and length, on Buffers that start anywhere in their memory', () => {
    fc.assert(
      fc.property(fc.nat(7), fc.nat(7), fc.nat(600), fc.nat(600), fc.nat(600), (fromShift, toShift, fromStart, toStart, lengthRaw) => {
        const fromMemory = Buffer.alloc(1300);
        for (let i = 0; i < fromMemory.length; i++) fromMemory[i] = (i * 31 + 7) & 0xff;
        const from = fromMemory.subarray(fromShift, fromShift + 1200);
        const to = Buffer.alloc(1300, 0xee).subarray(toShift, toShift + 1200);
        const length = Math.min(lengthRaw, 1200 - fromStart, 1200 - toStart);
        const expected = Buffer.from(to);
        from.copy(expected, toStart, fromStart, fromStart + length);
        copyBytes(new WordView(from), fromStart, new WordView(to), toStart, length);
        expect(to.equals(expected)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('copies from and to the very end of memory whose size is not a multiple of 4', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1001, max: 1007 }), fc.nat(3), fc.nat(600), fc.nat(600), (memorySize, toShift, tail, toStart) => {
        const from = Buffer.from(new ArrayBuffer(memorySize));
        for (let i = 0; i < from.length; i++) from[i] = (i * 37 + 11) & 0xff;
        const to = Buffer.from(new ArrayBuffer(memorySize + toShift)).subarray(toShift);
        const length = Math.min(tail, to.length - toStart);
        const fromStart = from.length - length;
        const expected = Buffer.from(to);
        from.copy(expected, toStart, fromStart, fromStart + length);
        copyBytes(new WordView(from), fromStart, new WordView(to), toStart, length);
        expect(to.equals(expected)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('copies 8-aligned ranges exactly (eight bytes at a time from 32 bytes), NaN bit patterns included', () => {
    fc.assert(
      fc.property(fc.nat(37), fc.nat(37), fc.nat(32), fc.uint8Array({ minLength: 8, maxLength: 8 }), (fromLong, toLong, lengthLongs, pattern) => {
        const from = Buffer.alloc(300);
        // Every eighth long is a signalling-NaN pattern: a float copy could quiet it; a BigInt64 copy must not.
        for (let i = 0; i < from.length; i++) from[i] = i % 64 < 8 ? [0x01, 0, 0, 0, 0, 0, 0xf0, 0x7f][i % 8]! : pattern[i % 8]! ^ i;
        const to = Buffer.alloc(300, 0xee);
        const length = Math.min(lengthLongs, 37 - fromLong, 37 - toLong) * 8;
        const expected = Buffer.from(to);
        from.copy(expected, toLong * 8, fromLong * 8, fromLong * 8 + length);
        copyBytes(new WordView(from), fromLong * 8, new WordView(to), toLong * 8, length);
        expect(to.equals(expected)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a short copy that would leave either buffer', () => {
    const a = new WordView(Buffer.alloc(64));
    const b = new WordView(Buffer.alloc(64));
    expect(() => copyBytes(a, 60, b, 0, 8)).toThrow(/inside both buffers/);
    expect(() => copyBytes(a, 0, b, 60, 8)).toThrow(/inside both buffers/);
  });
});
