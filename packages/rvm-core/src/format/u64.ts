/**
 * Unsigned 64-bit little-endian integers held in JS numbers. Every value we
 * store (offsets, sequences, generations) stays below 2^53, so a number is
 * exact; reading a larger value is reported as invalid by returning -1.
 */

export function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value % 0x1_0000_0000, offset);
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), offset + 4);
}

/** Returns the value, or -1 when it is not below 2^53 (only corrupted bytes can hold such a value). */
export function readU64(buf: Buffer, offset: number): number {
  const lo = buf.readUInt32LE(offset);
  const hi = buf.readUInt32LE(offset + 4);
  if (hi >= 0x20_0000) return -1;
  return hi * 0x1_0000_0000 + lo;
}
