/**
 * MurmurHash3 (x86, 32-bit) over bytes[start, end): fast in plain JavaScript
 * (four bytes per round, Math.imul, no allocation) and with full avalanche, so
 * the low bits that linear hashing uses are as good as the high ones. Part of
 * the on-disk format: a record's hash field holds it, so it may never change
 * for format version 1 (the golden test pins known vectors).
 *
 * Not a defence against hash flooding: keys chosen by an adversary who knows
 * the seed can all land in one bucket. Give maps of untrusted keys a random
 * `hashSeed`.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function murmur3(bytes: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed | 0;
  const blockEnd = end - ((end - start) & 3);
  let i = start;
  for (; i < blockEnd; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = end - i;
  if (tail > 0) {
    let k = bytes[i]!;
    if (tail > 1) k |= bytes[i + 1]! << 8;
    if (tail > 2) k |= bytes[i + 2]! << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  h ^= end - start;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
