/** The codec layer of @rvm/structs: order-preserving keys and pluggable value codecs. */

export type { CodecErrorCode } from './codec-error.js';
export { CodecAssertionError, CodecError, isCodecError } from './codec-error.js';
export type { Key } from './key-codec.js';
export {
  compareKeyRanges,
  compareKeys,
  decodeKey,
  encodeKey,
  encodeKeyInto,
  KEY_DEPTH_MAX,
  KEY_FORMAT_VERSION,
} from './key-codec.js';
export type { ValueCodec } from './value-codec.js';
export { rawCodec } from './raw-codec.js';
export type { MsgpackOptions } from './msgpack-codec.js';
export { MSGPACK_OPTIONS, msgpackCodec } from './msgpack-codec.js';
export type { SchemaCodecOptions } from './schema.js';
export { SchemaError, schemaCodec } from './schema.js';
