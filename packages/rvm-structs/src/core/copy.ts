/** Copies up to this many bytes in a loop: a subarray view (an allocation) and a native call cost more. */
const COPY_LOOP_SIZE_MAX = 128;

/**
 * Copies source[start, end) to target at `offset`. Short copies between
 * different buffers run as a loop and allocate nothing; the rest use set(),
 * which also copies overlapping regions of one buffer correctly.
 */
export function copyRange(source: Uint8Array, start: number, end: number, target: Uint8Array, offset: number): void {
  if (end - start > COPY_LOOP_SIZE_MAX || source.buffer === target.buffer) {
    target.set(source.subarray(start, end), offset);
    return;
  }
  for (let i = start; i < end; i++) target[offset + i - start] = source[i]!;
}
