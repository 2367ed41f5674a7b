/**
 * Copying bytes between Buffers on the commit path (undo saves, batch
 * snapshots, abort) without allocating. Node 20's Buffer#copy makes a
 * Uint8Array view of the source for every copy that does not start at its
 * byte 0; short copies here run in JS over Int32 (or BigInt64) views of the
 * whole memory, made once per Buffer.
 */
import { assert } from './errors.js';

/**
 * copyBytes copies in JS up to this many bytes when source and target are
 * aligned alike (mod 4), and up to SHIFTED_COPY_SIZE_MAX when not; longer
 * copies go to Buffer#copy. bench/copy-bytes.ts (Node 20, in cache, CPU time
 * per copy): Buffer#copy 55-80 ns at any size up to 1 KiB; the 4-byte loop
 * 23 ns at 64 B, 46 ns at 192 B, 80 ns at 256 B; the shifted loop 40 ns at
 * 64 B, 55 ns at 96 B, 77 ns at 128 B; with all ends 8-aligned, the 8-byte
 * loop 15 ns at 64 B, 27 ns at 192 B, 35 ns at 256 B (below 32 B it was slower
 * than the 4-byte loop).
 */
const COPY_LOOP_SIZE_MAX = 256;
const SHIFTED_COPY_SIZE_MAX = 96;
/** Ranges whose ends are all 8-aligned are copied 8 bytes at a time from this size. */
const LONG_COPY_SIZE_MIN = 32;
/** Up to this size a byte loop is cheapest for ranges aligned differently (~3 ns a byte). */
const SHIFTED_BYTE_COPY_SIZE_MAX = 16;

/**
 * A Buffer and an Int32Array over its whole ArrayBuffer, so that short
 * ranges can be copied four bytes at a time. Buffer#copy (Node 20) creates a
 * Uint8Array view for every call, which costs more than copying a 128-byte
 * range word by word; for long ranges the native copy wins. Keep one WordView
 * per Buffer (creating one is what costs), and make a new one when the
 * Buffer is replaced.
 */
export class WordView {
  readonly words: Int32Array;
  /**
   * The same memory eight bytes at a time, for copies of 32 bytes or more
   * whose ends are all 8-aligned. Not Float64Array: an engine may change the bits of a NaN it
   * copies, a BigInt64 round trip is exact; and optimised code (Node 20)
   * copies BigInt64Array elements without allocating.
   */
  readonly longs: BigInt64Array;
  /** bytes.byteOffset: reading it per copy costs more than the copy of a few words. */
  readonly base: number;

  constructor(readonly bytes: Buffer) {
    const memory = bytes.buffer;
    this.words = new Int32Array(memory, 0, memory.byteLength >>> 2);
    this.longs = new BigInt64Array(memory, 0, memory.byteLength >>> 3);
    this.base = bytes.byteOffset;
  }
}

/**
 * Copies from.bytes[fromStart, fromStart + length) to to.bytes at toStart,
 * like Buffer#copy (the ranges must not overlap), without allocating: Node
 * 20's Buffer#copy makes a Uint8Array view of the source for every copy that
 * does not start at its byte 0. Short copies run in JS: 4-aligned ones word
 * by word (8 bytes at a time when every end is 8-aligned), others through
 * copyUnaligned. Keep it small enough for V8 to inline into its callers
 * (Node 20: at most 460 bytes of bytecode; it has 444, see
 * --trace-turbo-inlining): not inlined, it cost the 10 x 16 B no-flush
 * commit workload a third more time.
 */
export function copyBytes(from: WordView, fromStart: number, to: WordView, toStart: number, length: number): void {
  const source = from.bytes;
  const target = to.bytes;
  const src = from.base + fromStart;
  const dst = to.base + toStart;
  if (((src | dst) & 3) === 0 && length <= COPY_LOOP_SIZE_MAX) {
    assert(fromStart >= 0 && fromStart + length <= source.length && toStart >= 0 && toStart + length <= target.length, 'a copy lies inside both buffers');
    if (((src | dst | length) & 7) === 0 && length >= LONG_COPY_SIZE_MIN) {
      copyLongs(from, src, to, dst, length);
      return;
    }
    const words = from.words;
    const out = to.words;
    const wordCount = length >>> 2;
    let a = src >>> 2;
    let b = dst >>> 2;
    const a4 = a + (wordCount & ~3);
    while (a < a4) {
      out[b] = words[a]!;
      out[b + 1] = words[a + 1]!;
      out[b + 2] = words[a + 2]!;
      out[b + 3] = words[a + 3]!;
      a += 4;
      b += 4;
    }
    const aEnd = (src >>> 2) + wordCount;
    while (a < aEnd) out[b++] = words[a++]!;
    for (let k = wordCount << 2; k < length; k++) target[toStart + k] = source[fromStart + k]!;
    return;
  }
  if (length <= SHIFTED_COPY_SIZE_MAX) {
    copyUnaligned(from, fromStart, to, toStart, length);
    return;
  }
  source.copy(target, toStart, fromStart, fromStart + length);
}

/**
 * copyBytes for a range whose ends are all 8-aligned (declared ranges usually
 * are: record data is padded to 8), eight bytes at a time: half the loads and
 * stores of the 4-byte loop. Apart from copyBytes so that copyBytes stays
 * small enough to be inlined.
 */
function copyLongs(from: WordView, src: number, to: WordView, dst: number, length: number): void {
  const longs = from.longs;
  const out = to.longs;
  let a = src >>> 3;
  let b = dst >>> 3;
  const aEnd = a + (length >>> 3);
  const a4 = a + ((length >>> 3) & ~3);
  while (a < a4) {
    out[b] = longs[a]!;
    out[b + 1] = longs[a + 1]!;
    out[b + 2] = longs[a + 2]!;
    out[b + 3] = longs[a + 3]!;
    a += 4;
    b += 4;
  }
  while (a < aEnd) out[b++] = longs[a++]!;
}

/**
 * copyBytes for a short range that is not 4-aligned at both ends: byte by
 * byte up to SHIFTED_BYTE_COPY_SIZE_MAX, else bytes until the target is
 * 4-aligned, whole words (each assembled from two source words when the
 * source is aligned differently), then the last bytes.
 */
function copyUnaligned(from: WordView, fromStart: number, to: WordView, toStart: number, length: number): void {
  const source = from.bytes;
  const target = to.bytes;
  assert(fromStart >= 0 && fromStart + length <= source.length && toStart >= 0 && toStart + length <= target.length, 'a copy lies inside both buffers');
  if (length <= SHIFTED_BYTE_COPY_SIZE_MAX) {
    for (let k = 0; k < length; k++) target[toStart + k] = source[fromStart + k]!;
    return;
  }
  let k = 0;
  const dst = to.base + toStart;
  while (((dst + k) & 3) !== 0) {
    target[toStart + k] = source[fromStart + k]!;
    k++;
  }
  const words = from.words;
  const out = to.words;
  const src = from.base + fromStart + k;
  const shift = (src & 3) << 3;
  let wordCount = (length - k) >>> 2;
  // A shifted copy reads the whole source word holding its last byte; in memory whose size is
  // not a multiple of 4 that word may be past the words view: leave the last word to the byte loop.
  if (shift !== 0 && (src >>> 2) + wordCount >= words.length) wordCount--;
  let b = (dst + k) >>> 2;
  const bEnd = b + wordCount;
  let a = src >>> 2;
  if (shift === 0) {
    while (b < bEnd) out[b++] = words[a++]!;
  } else {
    // Little-endian: target word = the high bytes of source word a, then the low bytes of word a + 1.
    // The last a + 1 read holds the last source byte copied here, so no read leaves the source.
    const back = 32 - shift;
    let word = words[a]!;
    while (b < bEnd) {
      const next = words[++a]!;
      out[b++] = (word >>> shift) | (next << back);
      word = next;
    }
  }
  for (k += wordCount << 2; k < length; k++) target[toStart + k] = source[fromStart + k]!;
}
