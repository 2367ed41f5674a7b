/**
 * Unsigned 64-bit little-endian integers held in JS numbers. Every value we
 * store (offsets, sequences, generations) stays below 2^53, so a number is
 * exact; reading a larger value is reported as invalid by returning -1.
 */
import { assert } from '../errors.js';

const TWO_32 = 0x1_0000_0000;

/**
 * Writes `value` (an integer in [0, 2^53)) at buf[offset, offset + 8).
 *
 * On the commit path (a range header per declared range), so it stores the
 * bytes itself: `value % 2^32` on a number that is not a small integer is a
 * call to fmod in V8, and Buffer#writeUInt32LE repeats the range checks that
 * the assertions below make once.
 */
export function writeU64(buf: Uint8Array, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, 'u64 value is a non-negative safe integer');
  assert(offset >= 0 && offset + 8 <= buf.length, 'u64 lies inside the buffer');
  const lo = value >>> 0; // ToUint32: value mod 2^32, exact for an integer below 2^53
  const hi = (value - lo) / TWO_32;
  buf[offset] = lo;
  buf[offset + 1] = lo >>> 8;
  buf[offset + 2] = lo >>> 16;
  buf[offset + 3] = lo >>> 24;
  buf[offset + 4] = hi;
  buf[offset + 5] = hi >>> 8;
  buf[offset + 6] = hi >>> 16;
  buf[offset + 7] = hi >>> 24;
}

/** Returns the value, or -1 when it is not below 2^53 (only corrupted bytes can hold such a value). */
export function readU64(buf: Buffer, offset: number): number {
  const lo = buf.readUInt32LE(offset);
  const hi = buf.readUInt32LE(offset + 4);
  if (hi >= 0x20_0000) return -1;
  return hi * TWO_32 + lo;
}
