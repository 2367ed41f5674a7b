/**
 * Decodes keys written by key-encode.ts. The bytes come from disk and are untrusted: every
 * malformed or non-canonical input throws KEY_CORRUPT, never an assertion, so that a byte string
 * is a valid key if and only if this decoder accepts it and re-encoding gives the same bytes
 * (see key-format.ts).
 *
 * Decoding allocates the result (a string, an array, a bigint); it does not allocate a cursor:
 * the position of the decode in progress is module state, which is safe because decoding is
 * synchronous and never calls out.
 */

import { Buffer } from 'node:buffer';
import { CodecError } from './codec-error.js';
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

/** `fatal` refuses invalid UTF-8; `ignoreBOM` keeps a leading U+FEFF, which is part of the key. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Holds a number's or a small bigint's 8 bytes after the order transform is undone. */
const wordScratch = Buffer.allocUnsafeSlow(8);
/** Holds an unescaped string or a large bigint magnitude; grows as needed. */
let scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE_INITIAL);
/** Index in the bytes being decoded of the next unread byte. */
let position = 0;
/** The number of escaped zeros `findTerminator` passed over; a second result without an object. */
let escapeCountFound = 0;

/**
 * Decodes the one key encoded in `bytes[start, end)`. Throws KEY_CORRUPT when those bytes are not
 * exactly one canonical key, INVALID_ARGUMENT when the range is not inside `bytes`.
 */
export function decodeKey(bytes: Uint8Array, start = 0, end = bytes.length): Key {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > bytes.length) {
    throw new CodecError('INVALID_ARGUMENT', `range [${start}, ${end}) is not inside ${bytes.length} bytes`, {
      start,
      end,
      size: bytes.length,
    });
  }
  position = start;
  const key = readKey(bytes, end, 0);
  if (position !== end) throw corrupt(`${end - position} bytes follow the key`, position);
  return key;
}

function readKey(bytes: Uint8Array, end: number, depth: number): Key {
  if (position >= end) throw corrupt('the bytes end where a key tag should be', position);
  const tag = bytes[position]!;
  switch (tag) {
    case KEY_TAG_NULL:
      position++;
      return null;
    case KEY_TAG_FALSE:
      position++;
      return false;
    case KEY_TAG_TRUE:
      position++;
      return true;
    case KEY_TAG_NUMBER:
      return readNumber(bytes, end);
    case KEY_TAG_BIGINT:
      return readBigint(bytes, end);
    case KEY_TAG_STRING:
      return readString(bytes, end);
    case KEY_TAG_BYTES:
      return readBytes(bytes, end);
    case KEY_TAG_TUPLE:
      return readTuple(bytes, end, depth);
    default:
      throw corrupt(`unknown tag 0x${tag.toString(16).padStart(2, '0')}`, position);
  }
}

function readNumber(bytes: Uint8Array, end: number): number {
  const start = position + 1;
  if (start + KEY_NUMBER_SIZE > end) throw corrupt('a number is cut short', position);
  // Undo the order transform: a set top bit marks a non-negative number whose sign bit was
  // flipped; otherwise every bit of a negative number was inverted.
  const invert = (bytes[start]! & 0x80) === 0 ? 0xff : 0x00;
  for (let index = 0; index < KEY_NUMBER_SIZE; index++) wordScratch[index] = bytes[start + index]! ^ invert;
  if (invert === 0) wordScratch[0] = wordScratch[0]! ^ 0x80;
  const value = wordScratch.readDoubleBE(0);
  if (Number.isNaN(value)) throw corrupt('a number is NaN', position);
  if (Object.is(value, -0)) throw corrupt('a number is -0, which is written as +0', position);
  position = start + KEY_NUMBER_SIZE;
  return value;
}

function readBigint(bytes: Uint8Array, end: number): bigint {
  const tagIndex = position;
  if (tagIndex + 2 > end) throw corrupt('a bigint is cut short', tagIndex);
  const sign = bytes[tagIndex + 1]!;
  if (sign === KEY_BIGINT_ZERO) {
    position = tagIndex + 2;
    return 0n;
  }
  if (sign !== KEY_BIGINT_NEGATIVE && sign !== KEY_BIGINT_POSITIVE) throw corrupt(`a bigint has sign byte ${sign}`, tagIndex);
  const invert = sign === KEY_BIGINT_NEGATIVE ? 0xff : 0x00;
  let index = tagIndex + 2;
  if (index >= end) throw corrupt('a bigint is cut short', tagIndex);
  let count = bytes[index++]! ^ invert;
  if (count === KEY_BIGINT_COUNT_LONG) {
    if (index + 4 > end) throw corrupt('a bigint is cut short', tagIndex);
    count = 0;
    for (let i = 0; i < 4; i++) count = count * 256 + (bytes[index++]! ^ invert);
    if (count < KEY_BIGINT_COUNT_LONG) throw corrupt('a bigint uses the long count form for a short magnitude', tagIndex);
  }
  if (count === 0) throw corrupt('a non-zero bigint has an empty magnitude', tagIndex);
  if (index + count > end) throw corrupt('a bigint is cut short', tagIndex);
  if ((bytes[index]! ^ invert) === 0) throw corrupt('a bigint magnitude has a leading zero byte', tagIndex);

  let magnitude: bigint;
  if (count <= 8) {
    wordScratch.fill(0);
    for (let i = 0; i < count; i++) wordScratch[8 - count + i] = bytes[index + i]! ^ invert;
    magnitude = wordScratch.readBigUInt64BE(0);
  } else {
    ensureScratch(count);
    for (let i = 0; i < count; i++) scratch[i] = bytes[index + i]! ^ invert;
    try {
      magnitude = BigInt(`0x${scratch.toString('hex', 0, count)}`);
    } catch (error) {
      throw corrupt(`a bigint of ${count} bytes is too large for this runtime`, tagIndex, error);
    }
  }
  position = index + count;
  return invert === 0 ? magnitude : -magnitude;
}

/**
 * Finds the terminator of the escaped run that starts after the tag at `position`. Returns its
 * index and leaves the number of escapes in `escapeCountFound`.
 */
function findTerminator(bytes: Uint8Array, end: number): number {
  let index = position + 1;
  let escapeCount = 0;
  for (;;) {
    if (index >= end) throw corrupt('a string or byte array has no terminator', position);
    if (bytes[index] === KEY_END) {
      if (index + 1 < end && bytes[index + 1] === KEY_ESCAPE) {
        escapeCount++;
        index += 2;
        continue;
      }
      escapeCountFound = escapeCount;
      return index;
    }
    index++;
  }
}

/** Copies the escaped run `bytes[start, terminator)` into `target` at 0, dropping escapes. */
function unescapeInto(bytes: Uint8Array, start: number, terminator: number, target: Uint8Array): void {
  let out = 0;
  for (let index = start; index < terminator; index++) {
    const byte = bytes[index]!;
    target[out++] = byte;
    if (byte === 0) index++; // skip the 0xFF that findTerminator matched
  }
}

function readString(bytes: Uint8Array, end: number): string {
  const tagIndex = position;
  const terminator = findTerminator(bytes, end);
  const escapeCount = escapeCountFound;
  const start = tagIndex + 1;
  const size = terminator - start - escapeCount;
  let value: string;
  try {
    if (escapeCount === 0) {
      value = utf8Decoder.decode(bytes.subarray(start, terminator));
    } else {
      ensureScratch(size);
      unescapeInto(bytes, start, terminator, scratch);
      value = utf8Decoder.decode(scratch.subarray(0, size));
    }
  } catch (error) {
    throw corrupt('a string is not valid UTF-8', tagIndex, error);
  }
  position = terminator + 1;
  return value;
}

function readBytes(bytes: Uint8Array, end: number): Uint8Array {
  const terminator = findTerminator(bytes, end);
  const start = position + 1;
  const value = new Uint8Array(terminator - start - escapeCountFound);
  if (escapeCountFound === 0) value.set(bytes.subarray(start, terminator));
  else unescapeInto(bytes, start, terminator, value);
  position = terminator + 1;
  return value;
}

function readTuple(bytes: Uint8Array, end: number, depth: number): Key[] {
  const tagIndex = position;
  if (depth >= KEY_DEPTH_MAX) throw corrupt(`tuples nest deeper than ${KEY_DEPTH_MAX}`, tagIndex);
  position++;
  const elements: Key[] = [];
  for (;;) {
    if (position >= end) throw corrupt('a tuple has no end marker', tagIndex);
    if (bytes[position] === KEY_END) {
      position++;
      return elements;
    }
    elements.push(readKey(bytes, end, depth + 1));
  }
}

function ensureScratch(size: number): void {
  if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, scratch.length * 2));
}

function corrupt(why: string, offset: number, cause?: unknown): CodecError {
  return new CodecError('KEY_CORRUPT', `encoded key is corrupt at byte ${offset}: ${why}`, { offset }, cause);
}
