import { CodecError } from './codec-error.js';
import type { ValueCodec } from './value-codec.js';

/**
 * Stores `Uint8Array` values as they are. `encode` returns the value itself without copying;
 * `decode` copies, because the bytes it is given may be a view into a segment.
 */
const raw: ValueCodec<Uint8Array> = {
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new CodecError('INVALID_VALUE', 'rawCodec encodes only Uint8Array values', { type: typeof value });
    }
    return value;
  },
  decode(bytes: Uint8Array): Uint8Array {
    // Not `bytes.slice()`: on a Buffer that returns a view, not a copy.
    return new Uint8Array(bytes);
  },
  decodeRange(bytes: Uint8Array, start: number, end: number): Uint8Array {
    // A plain Uint8Array copy, like decode (a slice of a Buffer would be a Buffer).
    return new Uint8Array(bytes.subarray(start, end));
  },
};

export function rawCodec(): ValueCodec<Uint8Array> {
  return raw;
}
