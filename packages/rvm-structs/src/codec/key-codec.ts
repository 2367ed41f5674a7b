/**
 * The order-preserving key codec: the format (key-format.ts), its encoder, decoder and
 * comparison. Import from here or from the codec index, not from the parts.
 */

export type { Key } from './key-format.js';
export { KEY_DEPTH_MAX, KEY_FORMAT_VERSION } from './key-format.js';
export { encodeKey, encodeKeyInto } from './key-encode.js';
export { decodeKey } from './key-decode.js';
export { compareKeyRanges, compareKeys } from './key-compare.js';
