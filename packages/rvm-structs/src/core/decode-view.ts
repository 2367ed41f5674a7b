/**
 * Decodes a value that sits inside the segment without handing the codec a
 * fresh view per call. msgpackr caches a DataView as a property of the
 * buffer it decodes; on a new subarray each call that is an allocation and a
 * hidden-class change, which costs more than decoding a short value. A codec
 * with `decodeRange` decodes in place; for one without it, small values are
 * copied (a plain loop) into one scratch buffer and decoded through a view of
 * it of exactly their length, made once per length.
 *
 * The copy is safe because ValueCodec.decode never returns memory shared with
 * its input (value-codec.ts), so the scratch may be overwritten by the next
 * call, even one made from inside a codec (a schema refinement that reads).
 */
import type { ValueCodec } from '../codec/value-codec.js';

/** Values up to this size go through the scratch; larger ones are decoded in place. */
export const DECODE_VIEW_SIZE_MAX = 256;

const scratch = Buffer.allocUnsafeSlow(DECODE_VIEW_SIZE_MAX);
const views: Buffer[] = [];
for (let size = 0; size <= DECODE_VIEW_SIZE_MAX; size++) views.push(scratch.subarray(0, size));

/** Decodes bytes[start, end) with `codec`. */
export function decodeRange<V>(codec: ValueCodec<V>, bytes: Buffer, start: number, end: number): V {
  if (codec.decodeRange !== undefined) return codec.decodeRange(bytes, start, end);
  const size = end - start;
  if (size > DECODE_VIEW_SIZE_MAX) return codec.decode(bytes.subarray(start, end));
  for (let i = 0; i < size; i++) scratch[i] = bytes[start + i]!;
  return codec.decode(views[size]!);
}
