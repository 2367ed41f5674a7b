import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxh32, Xxh32Stream } from '../src/format/xxh32.js';

function of(text: string): number {
  const bytes = Buffer.from(text, 'latin1');
  return xxh32(bytes, 0, bytes.length);
}

describe('xxh32', () => {
  it('gives the published values of XXH32 with seed 0', () => {
    // From the xxHash specification's examples and its reference implementation's test suite.
    expect(of('')).toBe(0x02cc5d05);
    expect(of('a')).toBe(0x550d7456);
    expect(of('abc')).toBe(0x32d153ff);
    // 39 bytes: two 16-byte stripes, one 4-byte word, three single bytes.
    expect(of('Nobody inspects the spammish repetition')).toBe(0xe2293b2f);
  });

  it('is the same at every alignment and range of the memory', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(7), (data, shift) => {
      const memory = Buffer.alloc(data.length + 8, 0xa5);
      memory.set(data, shift);
      const aligned = Buffer.from(data);
      const expected = xxh32(aligned, 0, aligned.length);
      expect(xxh32(memory, shift, shift + data.length)).toBe(expected);
      // With a caller's view of the whole memory (the log batch keeps one).
      const words = new Int32Array(memory.buffer, 0, memory.buffer.byteLength >>> 2);
      expect(xxh32(memory, shift, shift + data.length, words)).toBe(expected);
    }));
  });

  it('changes when any byte of a record-sized input changes', () => {
    const bytes = Buffer.alloc(9272);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const original = xxh32(bytes, 0, bytes.length);
    for (let i = 0; i < bytes.length; i += 97) {
      bytes[i]! ^= 1;
      expect(xxh32(bytes, 0, bytes.length)).not.toBe(original);
      bytes[i]! ^= 1;
    }
    expect(xxh32(bytes, 0, bytes.length)).toBe(original);
  });

  it('streamed in pieces equals the one-shot hash of the pieces laid end to end', () => {
    const stream = new Xxh32Stream();
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 6 }), (pieces) => {
      stream.reset();
      for (const piece of pieces) stream.update(piece, 0, piece.length);
      const whole = Buffer.concat(pieces);
      expect(stream.digest()).toBe(xxh32(whole, 0, whole.length));
    }));
  });
});
