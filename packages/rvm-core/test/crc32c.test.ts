import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../src/format/crc32c.js';

/** Bit-at-a-time CRC-32C: the definition, slow and obviously right. */
function crc32cBitwise(bytes: Uint8Array, start: number, end: number, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = start; i < end; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c(Buffer.from('123456789', 'latin1'), 0, 9)).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32), 0, 32)).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff), 0, 32)).toBe(0x62a8ab43);
  });

  it('matches the bitwise definition at every alignment, length and continuation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 700 }), fc.nat(15), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffff_ffff }), (data, shift, a, b, seed) => {
        // Place the data at every offset within an ArrayBuffer so that the word path meets every alignment.
        const backing = new Uint8Array(data.length + 32);
        const view = new Uint8Array(backing.buffer, shift, data.length + 16);
        view.set(data, 3);
        const end = 3 + data.length;
        const start = Math.min(3 + (a % (data.length + 1)), end);
        const cut = start + (b % (end - start + 1));
        expect(crc32c(view, start, end)).toBe(crc32cBitwise(view, start, end));
        expect(crc32c(view, cut, end, crc32c(view, start, cut))).toBe(crc32cBitwise(view, start, end));
        expect(crc32c(view, start, end, seed)).toBe(crc32cBitwise(view, start, end, seed));
      }),
      { numRuns: 500 },
    );
  });

  it('handles a pooled Buffer whose memory starts at an odd byte', () => {
    const big = Buffer.alloc(4096 + 1);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const odd = big.subarray(1);
    expect(crc32c(odd, 0, odd.length)).toBe(crc32cBitwise(odd, 0, odd.length));
  });
});
