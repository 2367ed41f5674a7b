import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareKeyRanges,
  compareKeys,
  decodeKey,
  encodeKey,
  encodeKeyInto,
  isCodecError,
  KEY_DEPTH_MAX,
} from '../src/codec/index.js';
import type { CodecErrorCode, Key } from '../src/codec/index.js';

// A pinned seed in CI (or FC_SEED to replay a failure); fast-check prints the seed on failure.
const seedPinned = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : process.env.CI ? 0x5eed : undefined;
const runs = (numRuns: number): fc.Parameters<unknown> => (seedPinned === undefined ? { numRuns } : { numRuns, seed: seedPinned });

// ---------------------------------------------------------------------------------------------
// The reference order, written independently of the encoding.

/** null < false < true < number < bigint < string < Uint8Array < tuple. */
function typeRank(key: Key): number {
  if (key === null) return 0;
  if (key === false) return 1;
  if (key === true) return 2;
  if (typeof key === 'number') return 3;
  if (typeof key === 'bigint') return 4;
  if (typeof key === 'string') return 5;
  if (key instanceof Uint8Array) return 6;
  return 7;
}

function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}

function naturalCompare(a: Key, b: Key): number {
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA < rankB ? -1 : 1;
  if (typeof a === 'number' || typeof a === 'bigint') {
    const y = b as number | bigint;
    return a < y ? -1 : a > y ? 1 : 0; // -0 and 0 compare equal here
  }
  if (typeof a === 'string') return compareCodePoints(a, b as string);
  if (a instanceof Uint8Array || Array.isArray(a)) {
    const y = b as Uint8Array | Key[];
    const size = Math.min(a.length, y.length);
    for (let index = 0; index < size; index++) {
      const order = a instanceof Uint8Array ? Math.sign(a[index]! - (y as Uint8Array)[index]!) : naturalCompare(a[index]!, (y as Key[])[index]!);
      if (order !== 0) return order;
    }
    return Math.sign(a.length - y.length);
  }
  return 0; // null, false, true: equal within their rank
}

/** What a key decodes to: -0 becomes 0. */
function normalized(key: Key): Key {
  if (typeof key === 'number') return key === 0 ? 0 : key;
  if (Array.isArray(key)) return key.map(normalized);
  return key;
}

function expectCode(action: () => unknown, code: CodecErrorCode): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(isCodecError(thrown, code), `expected ${code}, got ${String(thrown)}`).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries, biased toward the edges of each encoding.

const numberArb = fc.oneof(
  fc.double({ noNaN: true }),
  fc.integer().map((n) => n),
  fc.constantFrom(
    0, -0, 1, -1, Infinity, -Infinity,
    Number.MIN_VALUE, -Number.MIN_VALUE, // smallest subnormals
    2.225073858507201e-308, -2.225073858507201e-308, // largest subnormals
    2.2250738585072014e-308, -2.2250738585072014e-308, // smallest normals
    Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, Number.EPSILON, 0.5, -0.5,
  ),
);

const bigintEdges = [1n, 255n, 256n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 2032n - 1n, 2n ** 2032n, 2n ** 2040n].flatMap((n) => [n, -n, n + 1n, -n - 1n]);
const bigintArb = fc.oneof(
  fc.bigInt({ min: -300n, max: 300n }),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.bigInt({ min: -(2n ** 2100n), max: 2n ** 2100n }),
  fc.constantFrom(0n, ...bigintEdges),
);

const stringUnitArb = fc.constantFrom('\0', '\x01', 'a', '\x7f', '\x80', '\u00e9', '\u07ff', '\u0800', '\ue000', '\ufeff', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}');
/** Long enough for the encoder's `Buffer#write` path (over 32 UTF-16 units); the rest take its loop. */
const stringLongArb = fc.oneof(
  fc.string({ unit: 'binary', minLength: 20, maxLength: 60 }),
  fc.string({ unit: stringUnitArb, minLength: 20, maxLength: 60 }),
);
const stringArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: stringUnitArb, maxLength: 6 }),
  stringLongArb,
);

const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 12 }),
  fc.array(fc.constantFrom(0x00, 0x01, 0xfe, 0xff), { maxLength: 6 }).map((bytes) => Uint8Array.from(bytes)),
);

const scalarArb: fc.Arbitrary<Key> = fc.oneof(
  fc.constantFrom<Key>(null, false, true),
  numberArb,
  bigintArb,
  stringArb,
  bytesArb,
);

const { key: keyArb, tuple: tupleArb } = fc.letrec<{ key: Key; tuple: Key[] }>((tie) => ({
  key: fc.oneof({ maxDepth: 3, depthSize: 'small' }, scalarArb, tie('tuple')),
  tuple: fc.array(tie('key'), { maxLength: 4 }),
}));

/** Two keys of the same shape, so comparisons exercise more than the type tag. */
const samePairArb: fc.Arbitrary<[Key, Key]> = fc.oneof(
  fc.tuple(numberArb, numberArb),
  fc.tuple(bigintArb, bigintArb),
  fc.tuple(stringArb, stringArb),
  fc.tuple(stringLongArb, stringArb, stringArb).map(([prefix, x, y]): [Key, Key] => [prefix + x, prefix + y]),
  fc.tuple(bytesArb, bytesArb),
  // Tuples sharing a prefix, differing in the remainder.
  fc.tuple(tupleArb, tupleArb, tupleArb).map(([prefix, x, y]): [Key, Key] => [[...prefix, ...x], [...prefix, ...y]]),
  fc.tuple(tupleArb, scalarArb, scalarArb).map(([prefix, x, y]): [Key, Key] => [[...prefix, x], [...prefix, y]]),
);

// ---------------------------------------------------------------------------------------------

describe('key order', () => {
  it('byte order of encodings equals the natural order for any two keys', () => {
    fc.assert(
      fc.property(keyArb, keyArb, (a, b) => {
        expect(compareKeys(encodeKey(a), encodeKey(b))).toBe(naturalCompare(a, b));
      }),
      runs(3000),
    );
  });

  it('byte order equals the natural order for keys of the same shape', () => {
    fc.assert(
      fc.property(samePairArb, ([a, b]) => {
        expect(compareKeys(encodeKey(a), encodeKey(b))).toBe(naturalCompare(a, b));
      }),
      runs(5000),
    );
  });

  it('a tuple sorts after each of its proper prefixes, also inside an enclosing tuple', () => {
    fc.assert(
      fc.property(tupleArb, scalarArb, (tuple, after) => {
        const whole = encodeKey(tuple);
        for (let length = 0; length < tuple.length; length++) {
          const prefix = tuple.slice(0, length);
          expect(compareKeys(encodeKey(prefix), whole)).toBe(-1);
          expect(compareKeys(encodeKey([prefix, after]), encodeKey([tuple, after]))).toBe(-1);
        }
        // Dropping the end marker gives a byte prefix of every extension of the tuple.
        const open = whole.subarray(0, whole.length - 1);
        const extended = encodeKey([...tuple, after]);
        expect(Buffer.from(extended.subarray(0, open.length)).equals(open)).toBe(true);
      }),
      runs(1000),
    );
  });

  it('sorting by encoding sorts by the natural order', () => {
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 30 }), (keys) => {
        const sorted = keys.map((key) => ({ key, bytes: encodeKey(key) })).sort((x, y) => compareKeys(x.bytes, y.bytes));
        for (let index = 1; index < sorted.length; index++) {
          expect(naturalCompare(sorted[index - 1]!.key, sorted[index]!.key)).toBeLessThanOrEqual(0);
        }
      }),
      runs(300),
    );
  });

  it('adjacent doubles stay ordered, through subnormals and across zero', () => {
    const buffer = new DataView(new ArrayBuffer(8));
    const next = (x: number): number => {
      // The next double up, from the bit pattern.
      if (x === 0) return Number.MIN_VALUE;
      buffer.setFloat64(0, x);
      const bits = buffer.getBigUint64(0);
      buffer.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
      return buffer.getFloat64(0);
    };
    for (const start of [-Number.MAX_VALUE, -1, -2.2250738585072014e-308, -4 * Number.MIN_VALUE, 0, 2.225073858507201e-308 - 2 * Number.MIN_VALUE, 1, Number.MAX_VALUE / 2]) {
      let x = start;
      for (let step = 0; step < 8; step++) {
        const y = next(x);
        expect(x < y).toBe(true);
        expect(compareKeys(encodeKey(x), encodeKey(y))).toBe(-1);
        x = y;
      }
    }
    expect(compareKeys(encodeKey(Number.MAX_VALUE), encodeKey(Infinity))).toBe(-1);
    expect(compareKeys(encodeKey(-Infinity), encodeKey(-Number.MAX_VALUE))).toBe(-1);
  });

  it('orders types by tag: null < false < true < number < bigint < string < bytes < tuple', () => {
    const ascending: Key[] = [null, false, true, -Infinity, 0, Infinity, -(2n ** 3000n), 0n, 2n ** 3000n, '', '\u{10ffff}', new Uint8Array(), new Uint8Array([0xff]), [], [null], [[]]];
    for (let index = 1; index < ascending.length; index++) {
      expect(compareKeys(encodeKey(ascending[index - 1]!), encodeKey(ascending[index]!))).toBe(-1);
    }
  });

  it('sorts strings by code point, not by UTF-16 code unit', () => {
    expect('\u{10000}' < '\ue000').toBe(true); // JavaScript's order
    expect(compareKeys(encodeKey('\u{10000}'), encodeKey('\ue000'))).toBe(1);
  });

  it('keeps embedded zeros in order, inside tuples too', () => {
    const ascending: Key[] = [['a', 'z'], ['a\0', 'a'], ['a\0\0'], ['a\x01']];
    for (let index = 1; index < ascending.length; index++) {
      expect(compareKeys(encodeKey(ascending[index - 1]!), encodeKey(ascending[index]!))).toBe(-1);
    }
    expect(compareKeys(encodeKey([new Uint8Array([1]), 5]), encodeKey([new Uint8Array([1, 0]), 0]))).toBe(-1);
  });

  it('-0 and 0 are one key', () => {
    expect(encodeKey(-0)).toEqual(encodeKey(0));
    expect(compareKeys(encodeKey([-0, 'x']), encodeKey([0, 'x']))).toBe(0);
  });

  it('numbers and bigints are separate classes: every number sorts before every bigint', () => {
    expect(compareKeys(encodeKey(Infinity), encodeKey(-(2n ** 100n)))).toBe(-1);
    expect(compareKeys(encodeKey(1), encodeKey(1n))).toBe(-1);
  });
});

describe('key roundtrip and canonical form', () => {
  it('decode(encode(k)) equals k, with -0 read as 0', () => {
    fc.assert(
      fc.property(keyArb, (key) => {
        expect(decodeKey(encodeKey(key))).toEqual(normalized(key));
      }),
      runs(3000),
    );
  });

  it('decodes a key that sits inside a larger buffer', () => {
    fc.assert(
      fc.property(keyArb, fc.uint8Array({ maxLength: 5 }), fc.uint8Array({ maxLength: 5 }), (key, before, after) => {
        const bytes = encodeKey(key);
        const page = Buffer.concat([before, bytes, after]);
        expect(decodeKey(page, before.length, before.length + bytes.length)).toEqual(normalized(key));
      }),
      runs(500),
    );
  });

  it('any byte string either is refused with KEY_CORRUPT or re-encodes to itself', () => {
    const tagged = fc
      .tuple(fc.constantFrom(0x10, 0x20, 0x21, 0x30, 0x40, 0x50, 0x60, 0x70), fc.uint8Array({ maxLength: 16 }))
      .map(([tag, rest]) => Uint8Array.from([tag, ...rest]));
    const mutated = fc
      .tuple(keyArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
      .map(([key, at, byte, truncate]) => {
        const bytes = encodeKey(key);
        const index = at % bytes.length;
        if (truncate) return bytes.subarray(0, index);
        bytes[index] = byte;
        return bytes;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 16 }), tagged, mutated), (bytes) => {
        let key: Key;
        try {
          key = decodeKey(bytes);
        } catch (error) {
          expect(isCodecError(error, 'KEY_CORRUPT'), String(error)).toBe(true);
          return;
        }
        expect(Buffer.from(encodeKey(key)).equals(bytes)).toBe(true);
      }),
      runs(5000),
    );
  });

  it('pins the format version 1 bytes', () => {
    const hex = (key: Key): string => Buffer.from(encodeKey(key)).toString('hex');
    expect(hex(null)).toBe('10');
    expect(hex(false)).toBe('20');
    expect(hex(true)).toBe('21');
    expect(hex(0)).toBe('308000000000000000');
    expect(hex(1)).toBe('30bff0000000000000');
    expect(hex(-1)).toBe('30400fffffffffffff');
    expect(hex(0n)).toBe('4001');
    expect(hex(1n)).toBe('40020101');
    expect(hex(256n)).toBe('4002020100');
    expect(hex(-1n)).toBe('4000fefe');
    expect(hex(2n ** 2040n)).toBe(`4002ff0000010001${'00'.repeat(255)}`);
    expect(hex(-(2n ** 2040n))).toBe(`4000`+`00fffffeff`+`fe${'ff'.repeat(255)}`);
    expect(hex('a\0b')).toBe('506100ff6200');
    expect(hex(new Uint8Array([0, 0xff]))).toBe('6000ffff00');
    expect(hex(['a', [1n]])).toBe('7050610070400201010000');
  });
});

describe('encodeKeyInto', () => {
  it('writes the same bytes as encodeKey at any offset, and returns -1 exactly when they do not fit', () => {
    fc.assert(
      fc.property(keyArb, fc.nat({ max: 8 }), fc.nat({ max: 8 }), (key, offset, slack) => {
        const expected = encodeKey(key);
        const target = Buffer.alloc(offset + expected.length + slack, 0xaa);
        const end = encodeKeyInto(key, target, offset);
        expect(end).toBe(offset + expected.length);
        expect(target.subarray(offset, end).equals(expected)).toBe(true);
        expect(target.subarray(0, offset).every((byte) => byte === 0xaa)).toBe(true);
        expect(target.subarray(end).every((byte) => byte === 0xaa)).toBe(true);
        for (let size = offset; size < offset + expected.length; size++) {
          expect(encodeKeyInto(key, Buffer.alloc(size), offset)).toBe(-1);
        }
      }),
      runs(500),
    );
  });

  it('reuses one target for many keys, as a page does', () => {
    const page = Buffer.alloc(64);
    let end = encodeKeyInto('a\0b', page, 0);
    end = encodeKeyInto([1, 2n], page, end);
    expect(decodeKey(page, 0, 6)).toBe('a\0b');
    expect(decodeKey(page, 6, end)).toEqual([1, 2n]);
    expect(encodeKeyInto(new Uint8Array(64), page, end)).toBe(-1);
  });

  it('refuses an offset outside the target', () => {
    expectCode(() => encodeKeyInto(1, Buffer.alloc(4), -1), 'INVALID_ARGUMENT');
    expectCode(() => encodeKeyInto(1, Buffer.alloc(4), 5), 'INVALID_ARGUMENT');
    expectCode(() => encodeKeyInto(1, Buffer.alloc(4), 1.5), 'INVALID_ARGUMENT');
    expect(encodeKeyInto(null, Buffer.alloc(4), 4)).toBe(-1);
  });
});

describe('compareKeyRanges', () => {
  it('agrees with compareKeys on keys inside larger buffers', () => {
    fc.assert(
      fc.property(keyArb, keyArb, fc.uint8Array({ maxLength: 4 }), (a, b, padding) => {
        const x = encodeKey(a);
        const y = encodeKey(b);
        const pageA = Buffer.concat([padding, x, padding]);
        const pageB = Buffer.concat([y, padding]);
        expect(compareKeyRanges(pageA, padding.length, padding.length + x.length, pageB, 0, y.length)).toBe(compareKeys(x, y));
      }),
      runs(1000),
    );
  });
});

describe('refused keys', () => {
  const nested = (depth: number): Key => (depth === 0 ? 1 : [nested(depth - 1)]);

  it.each<[string, unknown]>([
    ['NaN', NaN],
    ['NaN in a tuple', [1, NaN]],
    ['undefined', undefined],
    ['an object', { a: 1 }],
    ['a symbol', Symbol('k')],
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['an Int16Array', new Int16Array(2)],
    ['an ArrayBuffer', new ArrayBuffer(2)],
    ['a lone high surrogate', 'a\ud800'],
    ['a lone low surrogate', '\udc00b'],
    ['undefined in a tuple', [1, undefined]],
    ['a hole in a tuple', [, 1]],
  ])('refuses %s with INVALID_KEY', (_, key) => {
    expectCode(() => encodeKey(key as Key), 'INVALID_KEY');
    expectCode(() => encodeKeyInto(key as Key, Buffer.alloc(64), 0), 'INVALID_KEY');
  });

  it('refuses a cyclic tuple and nesting deeper than KEY_DEPTH_MAX', () => {
    const cyclic: Key[] = [1];
    cyclic.push(cyclic);
    expectCode(() => encodeKey(cyclic), 'INVALID_KEY');
    expect(decodeKey(encodeKey(nested(KEY_DEPTH_MAX)))).toEqual(nested(KEY_DEPTH_MAX));
    expectCode(() => encodeKey(nested(KEY_DEPTH_MAX + 1)), 'INVALID_KEY');
  });

  it('reports the offending type in the details', () => {
    try {
      encodeKey({} as unknown as Key);
      expect.unreachable();
    } catch (error) {
      expect(isCodecError(error, 'INVALID_KEY') && error.details['type']).toBe('Object');
    }
  });
});

describe('corrupt encodings', () => {
  const long = (count: number, byte = 1): number[] => new Array<number>(count).fill(byte);

  it.each<[string, number[]]>([
    ['no bytes', []],
    ['a zero tag', [0x00]],
    ['an unknown tag', [0x11]],
    ['an 0xFF tag', [0xff]],
    ['trailing bytes', [0x10, 0x10]],
    ['a short number', [0x30, 0x80, 0]],
    ['a NaN payload', [0x30, 0xff, 0xf8, 0, 0, 0, 0, 0, 0]],
    ['a -0 payload', [0x30, 0x7f, ...long(7, 0xff)]],
    ['a bigint without sign', [0x40]],
    ['a bigint sign byte 3', [0x40, 0x03]],
    ['a bigint with an empty magnitude', [0x40, 0x02, 0x00]],
    ['a bigint with a leading zero byte', [0x40, 0x02, 0x02, 0x00, 0x01]],
    ['a negative bigint with a leading zero byte', [0x40, 0x00, 0xfd, 0xff, 0xfe]],
    ['a short bigint magnitude', [0x40, 0x02, 0x02, 0x01]],
    ['a long bigint count for a short magnitude', [0x40, 0x02, 0xff, 0, 0, 0, 9, ...long(9)]],
    ['a long bigint count past the end', [0x40, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['a string without terminator', [0x50, 0x61]],
    ['a string ending in an escape', [0x50, 0x61, 0x00, 0xff]],
    ['invalid UTF-8', [0x50, 0xc3, 0x28, 0x00]],
    ['an overlong UTF-8 zero', [0x50, 0xc0, 0x80, 0x00]],
    ['a UTF-8 surrogate', [0x50, 0xed, 0xa0, 0x80, 0x00]],
    ['bytes without terminator', [0x60, 0x00, 0xff]],
    ['a tuple without end', [0x70, 0x10]],
    ['tuples nested too deep', [...long(KEY_DEPTH_MAX + 1, 0x70), ...long(KEY_DEPTH_MAX + 1, 0x00)]],
  ])('refuses %s with KEY_CORRUPT', (_, bytes) => {
    expectCode(() => decodeKey(Uint8Array.from(bytes)), 'KEY_CORRUPT');
  });

  it('keeps a leading byte order mark', () => {
    expect(decodeKey(encodeKey('\ufeffa'))).toBe('\ufeffa');
  });

  it('refuses a range outside the bytes', () => {
    const bytes = encodeKey(null);
    expectCode(() => decodeKey(bytes, 1, 0), 'INVALID_ARGUMENT');
    expectCode(() => decodeKey(bytes, 0, 2), 'INVALID_ARGUMENT');
    expectCode(() => decodeKey(bytes, -1), 'INVALID_ARGUMENT');
  });
});
