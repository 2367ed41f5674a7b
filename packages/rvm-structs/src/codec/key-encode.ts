/**
 * Encodes keys into the order-preserving format described in key-format.ts.
 *
 * `encodeKeyInto` is the hot path (B-tree inserts and lookups) and allocates nothing for null,
 * booleans, numbers, strings, byte arrays and tuples of them: numbers go through
 * `Buffer#writeDoubleBE`; short strings through a UTF-8 loop and long ones through `Buffer#write`
 * (UTF-8 straight into the target, where `TextEncoder#encodeInto` would need a `subarray` view
 * per call); and recursion carries the position as a number instead of a cursor object.
 * Bigints are the exception: V8 allocates for every bigint operation, so a negative bigint costs
 * one transient bigint and one wider than 64 bits a hex string.
 */

import { Buffer } from 'node:buffer';
import { assert, CodecError } from './codec-error.js';
import {
  KEY_BIGINT_COUNT_LONG,
  KEY_BIGINT_NEGATIVE,
  KEY_BIGINT_POSITIVE,
  KEY_BIGINT_ZERO,
  KEY_DEPTH_MAX,
  KEY_END,
  KEY_ESCAPE,
  KEY_NUMBER_SIZE,
  KEY_TAG_BIGINT,
  KEY_TAG_BYTES,
  KEY_TAG_FALSE,
  KEY_TAG_NULL,
  KEY_TAG_NUMBER,
  KEY_TAG_STRING,
  KEY_TAG_TRUE,
  KEY_TAG_TUPLE,
} from './key-format.js';
import type { Key } from './key-format.js';

const SCRATCH_SIZE_INITIAL = 256;
/** A scratch buffer grown beyond this for one huge key is dropped afterwards, not kept. */
const SCRATCH_SIZE_KEEP_MAX = 64 * 1024;
const BIGINT_64_MAX = 0xffff_ffff_ffff_ffffn;
/**
 * Strings up to this many UTF-16 units are encoded by a JavaScript loop, longer ones by
 * `Buffer#write`: the native call costs about 90 ns, the loop about 2 ns per unit.
 */
const STRING_LENGTH_JS_MAX = 32;

/** `encodeKey` encodes here first, so it allocates exactly one array of the final size. */
let scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE_INITIAL);
/** Holds a bigint magnitude of at most 64 bits while its leading zero bytes are skipped. */
const bigintScratch = Buffer.allocUnsafeSlow(8);

/** Encodes `key` into a new array of exactly its encoded size. Throws INVALID_KEY. */
export function encodeKey(key: Key): Uint8Array {
  let end = encodeKeyInto(key, scratch, 0);
  while (end < 0) {
    scratch = Buffer.allocUnsafeSlow(scratch.length * 2);
    end = encodeKeyInto(key, scratch, 0);
  }
  const bytes = new Uint8Array(end);
  scratch.copy(bytes, 0, 0, end);
  if (scratch.length > SCRATCH_SIZE_KEEP_MAX) scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE_INITIAL);
  return bytes;
}

/**
 * Encodes `key` into `target` starting at `offset` and returns the end offset (exclusive), or -1
 * when the encoding does not fit before `target.length`. A key that does not fit is an expected
 * outcome (a full page), so it is a return value, not an exception. After -1 or a throw, the bytes
 * of `target` from `offset` on are unspecified. Throws INVALID_KEY for a value that is not a Key.
 */
export function encodeKeyInto(key: Key, target: Buffer, offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > target.length) {
    throw new CodecError('INVALID_ARGUMENT', `offset ${offset} is not an integer within the target of ${target.length} bytes`, {
      offset,
      targetSize: target.length,
    });
  }
  const end = writeKey(key, target, offset, 0);
  assert(end === -1 || (end > offset && end <= target.length), 'a written key ends inside the target');
  return end;
}

function writeKey(key: Key, target: Buffer, offset: number, depth: number): number {
  switch (typeof key) {
    case 'number':
      return writeNumber(key, target, offset);
    case 'string':
      return writeString(key, target, offset);
    case 'bigint':
      return writeBigint(key, target, offset);
    case 'boolean':
      if (offset >= target.length) return -1;
      target[offset] = key ? KEY_TAG_TRUE : KEY_TAG_FALSE;
      return offset + 1;
    case 'object':
      if (key === null) {
        if (offset >= target.length) return -1;
        target[offset] = KEY_TAG_NULL;
        return offset + 1;
      }
      if (Array.isArray(key)) return writeTuple(key, target, offset, depth);
      if (key instanceof Uint8Array) return writeBytes(key, target, offset);
      break;
  }
  throw invalidKey(key, 'it is not a string, number, bigint, Uint8Array, boolean, null or an array of keys');
}

function writeNumber(key: number, target: Buffer, offset: number): number {
  if (Number.isNaN(key)) throw invalidKey(key, 'NaN has no place in a total order');
  const end = offset + 1 + KEY_NUMBER_SIZE;
  if (end > target.length) return -1;
  target[offset] = KEY_TAG_NUMBER;
  // `key === 0` holds for -0 too: both are written as +0 so they are one key.
  target.writeDoubleBE(key === 0 ? 0 : key, offset + 1);
  if ((target[offset + 1]! & 0x80) === 0) {
    target[offset + 1] = target[offset + 1]! | 0x80;
  } else {
    for (let index = offset + 1; index < end; index++) target[index] = target[index]! ^ 0xff;
  }
  return end;
}

function writeBigint(key: bigint, target: Buffer, offset: number): number {
  if (offset + 2 > target.length) return -1;
  target[offset] = KEY_TAG_BIGINT;
  if (key === 0n) {
    target[offset + 1] = KEY_BIGINT_ZERO;
    return offset + 2;
  }
  const negative = key < 0n;
  const magnitude = negative ? -key : key;
  // Inverting every byte after the sign byte makes larger magnitudes sort first for negatives.
  const invert = negative ? 0xff : 0x00;
  target[offset + 1] = negative ? KEY_BIGINT_NEGATIVE : KEY_BIGINT_POSITIVE;
  let position = offset + 2;

  if (magnitude <= BIGINT_64_MAX) {
    bigintScratch.writeBigUInt64BE(magnitude, 0);
    let first = 0;
    while (bigintScratch[first] === 0) first++;
    assert(first < 8, 'a non-zero magnitude has a non-zero byte');
    const count = 8 - first;
    if (position + 1 + count > target.length) return -1;
    target[position++] = count ^ invert;
    for (let index = first; index < 8; index++) target[position++] = bigintScratch[index]! ^ invert;
    return position;
  }

  const hex = magnitude.toString(16);
  const digitCount = hex.length;
  const count = (digitCount + 1) >> 1;
  const headerSize = count < KEY_BIGINT_COUNT_LONG ? 1 : 5;
  if (position + headerSize + count > target.length) return -1;
  if (count < KEY_BIGINT_COUNT_LONG) {
    target[position++] = count ^ invert;
  } else {
    target[position++] = KEY_BIGINT_COUNT_LONG ^ invert;
    target.writeUInt32BE(negative ? ~count >>> 0 : count, position);
    position += 4;
  }
  let digitIndex = 0;
  if ((digitCount & 1) === 1) {
    target[position++] = hexDigitValue(hex.charCodeAt(0)) ^ invert;
    digitIndex = 1;
  }
  for (; digitIndex < digitCount; digitIndex += 2) {
    const byte = (hexDigitValue(hex.charCodeAt(digitIndex)) << 4) | hexDigitValue(hex.charCodeAt(digitIndex + 1));
    target[position++] = byte ^ invert;
  }
  return position;
}

/** `bigint.toString(16)` writes the digits 0-9 and a-f. */
function hexDigitValue(code: number): number {
  return code <= 0x39 ? code - 0x30 : code - 0x57;
}

function writeString(key: string, target: Buffer, offset: number): number {
  const length = key.length;
  // Fast path: a string of ASCII without zeros is its own UTF-8, written in the one pass that
  // checks it. At the first other character the general path below starts again from `offset`.
  if (offset + length + 2 <= target.length) {
    let position = offset + 1;
    let index = 0;
    for (; index < length; index++) {
      const code = key.charCodeAt(index);
      if (code === 0 || code >= 0x80) break;
      target[position++] = code;
    }
    if (index === length) {
      target[offset] = KEY_TAG_STRING;
      target[position] = KEY_END;
      return position + 1;
    }
  }
  // One pass finds the UTF-8 size and the zero bytes to escape, and refuses lone surrogates:
  // UTF-8 would replace them with U+FFFD and the key would not decode to itself.
  let size = 0;
  let zeroCount = 0;
  for (let index = 0; index < length; index++) {
    const code = key.charCodeAt(index);
    if (code < 0x80) {
      size += 1;
      if (code === 0) zeroCount++;
    } else if (code < 0x800) {
      size += 2;
    } else if (code < 0xd800 || code > 0xdfff) {
      size += 3;
    } else {
      const next = code <= 0xdbff && index + 1 < length ? key.charCodeAt(index + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) {
        throw invalidKey(key, `it has a lone surrogate at index ${index}, which UTF-8 cannot represent`);
      }
      size += 4;
      index++;
    }
  }
  const end = offset + 1 + size + zeroCount + 1;
  if (end > target.length) return -1;
  target[offset] = KEY_TAG_STRING;
  if (length <= STRING_LENGTH_JS_MAX) {
    const position = writeUtf8Escaped(key, target, offset + 1);
    assert(position === end - 1, 'the UTF-8 encoder writes the size computed above');
  } else {
    const written = target.write(key, offset + 1, size, 'utf8');
    assert(written === size, 'Buffer#write writes the UTF-8 size computed above');
    if (zeroCount > 0) escapeZeros(target, offset + 1, size, zeroCount);
  }
  target[end - 1] = KEY_END;
  return end;
}

/**
 * Writes `key` as UTF-8 with each zero escaped, for short strings, where the native call of
 * `Buffer#write` costs more than the loop. The caller has refused lone surrogates and checked
 * that the bytes fit.
 */
function writeUtf8Escaped(key: string, target: Buffer, position: number): number {
  const length = key.length;
  for (let index = 0; index < length; index++) {
    const code = key.charCodeAt(index);
    if (code < 0x80) {
      target[position++] = code;
      if (code === 0) target[position++] = KEY_ESCAPE;
    } else if (code < 0x800) {
      target[position++] = 0xc0 | (code >> 6);
      target[position++] = 0x80 | (code & 0x3f);
    } else if (code < 0xd800 || code > 0xdfff) {
      target[position++] = 0xe0 | (code >> 12);
      target[position++] = 0x80 | ((code >> 6) & 0x3f);
      target[position++] = 0x80 | (code & 0x3f);
    } else {
      const point = ((code - 0xd800) << 10) + (key.charCodeAt(++index) - 0xdc00) + 0x10000;
      target[position++] = 0xf0 | (point >> 18);
      target[position++] = 0x80 | ((point >> 12) & 0x3f);
      target[position++] = 0x80 | ((point >> 6) & 0x3f);
      target[position++] = 0x80 | (point & 0x3f);
    }
  }
  return position;
}

function writeBytes(key: Uint8Array, target: Buffer, offset: number): number {
  const size = key.length;
  let zeroCount = 0;
  for (let index = 0; index < size; index++) if (key[index] === 0) zeroCount++;
  const end = offset + 1 + size + zeroCount + 1;
  if (end > target.length) return -1;
  target[offset] = KEY_TAG_BYTES;
  if (zeroCount === 0) {
    target.set(key, offset + 1);
  } else {
    let position = offset + 1;
    for (let index = 0; index < size; index++) {
      const byte = key[index]!;
      target[position++] = byte;
      if (byte === 0) target[position++] = KEY_ESCAPE;
    }
    assert(position === end - 1, 'escaping adds one byte per zero');
  }
  target[end - 1] = KEY_END;
  return end;
}

/**
 * Rewrites `size` bytes at `start` in place, from the back, so that each 0x00 becomes
 * 0x00 0xFF; the caller has checked that `zeroCount` more bytes fit.
 */
function escapeZeros(target: Buffer, start: number, size: number, zeroCount: number): void {
  let source = start + size - 1;
  let destination = source + zeroCount;
  while (destination > source) {
    const byte = target[source--]!;
    if (byte === 0) target[destination--] = KEY_ESCAPE;
    target[destination--] = byte;
  }
  assert(destination === source, 'every zero was escaped');
}

function writeTuple(key: Key[], target: Buffer, offset: number, depth: number): number {
  if (depth >= KEY_DEPTH_MAX) {
    throw invalidKey(key, `tuples nest deeper than ${KEY_DEPTH_MAX} (is the array cyclic?)`, { depth });
  }
  if (offset >= target.length) return -1;
  target[offset] = KEY_TAG_TUPLE;
  let position = offset + 1;
  const length = key.length;
  for (let index = 0; index < length; index++) {
    // A hole reads as undefined and is refused by writeKey like any other non-key.
    position = writeKey(key[index] as Key, target, position, depth + 1);
    if (position < 0) return -1;
  }
  if (position >= target.length) return -1;
  target[position] = KEY_END;
  return position + 1;
}

function invalidKey(key: unknown, why: string, details: Record<string, unknown> = {}): CodecError {
  const type = key === null ? 'null' : typeof key === 'object' ? (key.constructor?.name ?? 'object') : typeof key;
  return new CodecError('INVALID_KEY', `cannot encode a ${type} as a key: ${why}`, { type, ...details });
}
