/**
 * How a structure turns its values into bytes and back. Structures own keys (key-codec.ts);
 * values are opaque to them, so any codec fits.
 */

export interface ValueCodec<V> {
  /**
   * Returns the bytes of `value`. The result may be a view into a buffer the codec reuses, valid
   * only until the next `encode` call: write it into the segment (or copy it) before encoding
   * again. Throws a CodecError (INVALID_VALUE, SCHEMA_INVALID) for a value it cannot encode.
   */
  encode(value: V): Uint8Array;
  /**
   * Returns the value encoded in `bytes`, which may be a view into a mapped segment: the result
   * never shares memory with `bytes`, so it stays valid after the segment changes or is unmapped.
   * Throws VALUE_CORRUPT for bytes that do not decode.
   */
  decode(bytes: Uint8Array): V;
  /**
   * Optional: decodes bytes[start, end) like `decode(bytes.subarray(start, end))`, without making
   * the view. Structures reading from a segment call it when present: for MessagePack, decoding in
   * place saves a view and a DataView per value, a large share of a point read.
   */
  decodeRange?(bytes: Uint8Array, start: number, end: number): V;
  /**
   * Optional: the codec a structure should use in a segment whose record codec is `records`
   * (MessagePack with the segment's shared structure table, core/record-codec.ts). Structures
   * call it once when they open. The default `msgpackCodec()` returns `records`; `schemaCodec`
   * returns itself around its inner codec's choice. A codec without it is used as it is.
   */
  inSegment?(records: ValueCodec<unknown>): ValueCodec<V>;
}

export { rawCodec } from './raw-codec.js';
export { msgpackCodec } from './msgpack-codec.js';
