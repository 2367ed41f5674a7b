/**
 * The order-preserving key format: keys are compared as raw bytes (memcmp, `Buffer.compare`)
 * and that byte order equals the natural order of the keys, so a B-tree page never decodes a
 * key to search it.
 *
 * Every key is one type tag byte followed by its payload. Tags are spaced so a later version can
 * add a type between two others without renumbering:
 *
 *   tag  type        payload
 *  0x10  null        none
 *  0x20  false       none
 *  0x21  true        none
 *  0x30  number      8 bytes: IEEE-754 binary64 big-endian; positive: sign bit set,
 *                    negative: every bit inverted. -0 is written as +0; NaN is refused.
 *  0x40  bigint      sign byte 0x00 negative, 0x01 zero, 0x02 positive; zero ends there.
 *                    Otherwise the magnitude's byte count L >= 1, as one byte if L < 0xFF,
 *                    else 0xFF and L as uint32 big-endian; then the magnitude big-endian with no
 *                    leading zero byte. For a negative bigint the count and the magnitude bytes
 *                    are all inverted, so a larger magnitude sorts first.
 *  0x50  string      UTF-8 bytes, each 0x00 escaped as 0x00 0xFF, terminated by one 0x00.
 *  0x60  Uint8Array  the bytes, escaped and terminated exactly like a string.
 *  0x70  tuple       the elements' encodings one after another, then 0x00.
 *
 * Cross-type order (by tag): null < false < true < numbers < bigints < strings < byte arrays
 * < tuples. Numbers and bigints are separate type classes, as they are for `Map` and `===`
 * (1 !== 1n): every number sorts before every bigint, and 1 and 1n are two different keys. A key
 * schema should use one of the two for a given position.
 *
 * Why the order holds:
 * - Within numbers: flipping the sign bit of a non-negative double and inverting every bit of a
 *   negative one maps IEEE-754 order (with -Infinity and +Infinity at the ends and subnormals in
 *   place) onto unsigned big-endian order.
 * - Within bigints: the sign byte orders negative < zero < positive; among positives a longer
 *   minimal magnitude is larger and the count comes first (the long form's 0xFF marker is larger
 *   than every short count); equal counts compare the magnitudes bytewise. Inversion reverses all
 *   of that for negatives.
 * - Strings and byte arrays: an escaped 0x00 is 0x00 0xFF, which sorts after the terminator
 *   0x00 followed by anything that can follow a key (a tag or the tuple end 0x00, all below 0xFF,
 *   or the end of the bytes), and before any non-zero data byte. So a prefix sorts first and
 *   embedded zeros keep their place, as in FoundationDB's tuple layer. UTF-8 byte order equals
 *   code point order (not JavaScript's UTF-16 code unit order: '\u{10000}' > '\uE000' here).
 * - Tuples: no tag is 0x00, so the end marker of a shorter tuple sorts before the next element
 *   of a longer one: a tuple sorts after each of its proper prefixes.
 *
 * Every element encoding is self-delimiting, so elements concatenate without lengths. Removing
 * the final 0x00 of an encoded tuple gives a byte prefix shared by every tuple that extends it.
 *
 * A byte string is a valid key if and only if `decodeKey` accepts it; it is then canonical:
 * `encodeKey(decodeKey(bytes))` returns the same bytes. The decoder refuses NaN and -0 payloads,
 * non-minimal bigint counts or magnitudes, invalid UTF-8, missing terminators, unknown tags,
 * nesting deeper than KEY_DEPTH_MAX and trailing bytes, so two byte strings that differ never
 * decode to equal keys and byte equality is key equality.
 */

/** A key: a scalar or a tuple (an array) of keys for composite keys. */
export type Key = string | number | bigint | Uint8Array | boolean | null | Key[];

/** Bumped whenever bytes written by an earlier version would decode differently. */
export const KEY_FORMAT_VERSION = 1;

export const KEY_TAG_NULL = 0x10;
export const KEY_TAG_FALSE = 0x20;
export const KEY_TAG_TRUE = 0x21;
export const KEY_TAG_NUMBER = 0x30;
export const KEY_TAG_BIGINT = 0x40;
export const KEY_TAG_STRING = 0x50;
export const KEY_TAG_BYTES = 0x60;
export const KEY_TAG_TUPLE = 0x70;

/** Ends a string, a byte array and a tuple. No tag may be 0x00. */
export const KEY_END = 0x00;
/** Follows a 0x00 data byte inside a string or byte array. No tag may be 0xFF. */
export const KEY_ESCAPE = 0xff;

export const KEY_NUMBER_SIZE = 8;

export const KEY_BIGINT_NEGATIVE = 0x00;
export const KEY_BIGINT_ZERO = 0x01;
export const KEY_BIGINT_POSITIVE = 0x02;
/** A magnitude byte count at or above this is written as this marker and a uint32. */
export const KEY_BIGINT_COUNT_LONG = 0xff;

/**
 * Tuples nest at most this deep. Encoding stops a cyclic array with INVALID_KEY instead of a
 * stack overflow, and decoding bounds the recursion that untrusted bytes can cause.
 */
export const KEY_DEPTH_MAX = 32;
