import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { isCodecError, msgpackCodec, rawCodec, SchemaError, schemaCodec } from '../src/codec/index.js';
import type { CodecErrorCode, ValueCodec } from '../src/codec/index.js';

// A pinned seed in CI (or FC_SEED to replay a failure); fast-check prints the seed on failure.
const seedPinned = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : process.env.CI ? 0x5eed : undefined;
const runs = (numRuns: number): fc.Parameters<unknown> => (seedPinned === undefined ? { numRuns } : { numRuns, seed: seedPinned });

function expectCode(action: () => unknown, code: CodecErrorCode): unknown {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(isCodecError(thrown, code), `expected ${code}, got ${String(thrown)}`).toBe(true);
  return thrown;
}

/** Encodes and decodes through a copy, as a value written to a segment and read back would be. */
function roundtrip<V>(codec: ValueCodec<V>, value: V): V {
  return codec.decode(Uint8Array.from(codec.encode(value)));
}

describe('msgpackCodec', () => {
  const codec = msgpackCodec<unknown>();

  it('round-trips JSON-like values (with -0 read as 0, and a key __proto__ as __proto_)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // JSON.stringify writes -0 as 0, which is also what MessagePack stores; msgpackr renames a
        // key __proto__ (which would set the prototype) to __proto_.
        const expected: unknown = JSON.parse(JSON.stringify(value), function (this: Record<string, unknown>, key, v: unknown) {
          if (key !== '__proto__') return v;
          this['__proto_'] = v;
          return undefined;
        });
        expect(roundtrip(codec, value)).toEqual(expected);
      }),
      runs(500),
    );
  });

  it('round-trips nested objects with Dates, bigints, byte arrays and more', () => {
    const value = {
      id: 7,
      name: 'caf\u00e9 \u{1f600}',
      at: new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123)),
      small: 42n,
      negative: -(2n ** 63n),
      unsigned: 2n ** 64n - 1n,
      huge: -(2n ** 500n) + 12345n,
      bytes: new Uint8Array([0, 1, 0xff]),
      nested: { list: [1, 'two', null, true, { three: [3.5, -Infinity] }], empty: {}, undefined: undefined },
      set: new Set([1, 'a']),
      floats: new Float64Array([1.5, -0.25]),
    };
    const back = roundtrip(codec, value) as typeof value;
    expect(back).toEqual(value);
    expect(back.at).toBeInstanceOf(Date);
    expect(typeof back.small).toBe('bigint');
    expect(typeof back.id).toBe('number');
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect(back.floats).toBeInstanceOf(Float64Array);
  });

  it('round-trips bigints of up to 1000 bits and keeps numbers numbers', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 1000n), max: 2n ** 1000n }), fc.double({ noNaN: true }), (big, number) => {
        expect(roundtrip(codec, big)).toBe(big);
        expect(roundtrip(codec, number)).toBe(number === 0 ? 0 : number);
      }),
      runs(500),
    );
  });

  it('documents its lossy cases: Map reads back as an object, Buffer as Uint8Array', () => {
    expect(roundtrip(codec, new Map([['a', 1]]))).toEqual({ a: 1 });
    const back = roundtrip(codec, Buffer.from([1, 2]));
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(back)).toBe(false);
  });

  it('decodes from a view inside a larger buffer, into values that share no memory with it', () => {
    const encoded = codec.encode({ bytes: new Uint8Array([5, 6, 7]) });
    const page = new Uint8Array(encoded.length + 10);
    page.set(encoded, 4);
    const back = codec.decode(page.subarray(4, 4 + encoded.length)) as { bytes: Uint8Array };
    page.fill(0);
    expect(back.bytes).toEqual(new Uint8Array([5, 6, 7]));
  });

  it('reuses its output buffer: the bytes are valid until the next encode', () => {
    const first = codec.encode({ x: 1 });
    const firstCopy = Uint8Array.from(first);
    const second = codec.encode({ y: 2 });
    expect(second.buffer).toBe(first.buffer);
    expect(codec.decode(firstCopy)).toEqual({ x: 1 });
    expect(codec.decode(second)).toEqual({ y: 2 });
  });

  it('refuses values it cannot encode with INVALID_VALUE', () => {
    expectCode(() => codec.encode(Symbol('s')), 'INVALID_VALUE');
  });

  it.each<[string, number[]]>([
    ['no bytes', []],
    ['a truncated array', [0x92, 0x01]],
    ['trailing bytes', [0x01, 0x02]],
    ['an unknown extension', [0xd4, 0x55, 0x01]],
  ])('refuses %s with VALUE_CORRUPT', (_, bytes) => {
    expectCode(() => codec.decode(Uint8Array.from(bytes)), 'VALUE_CORRUPT');
  });

  it('accepts options, overriding the defaults in a codec of its own', () => {
    const lossy = msgpackCodec<bigint>({ useBigIntExtension: false, largeBigIntToString: true });
    expect(lossy.decode(lossy.encode(2n ** 70n))).toBe((2n ** 70n).toString());
  });
});

describe('rawCodec', () => {
  const codec = rawCodec();

  it('encodes without copying and decodes into a copy', () => {
    const value = new Uint8Array([1, 0, 2]);
    expect(codec.encode(value)).toBe(value);
    const segment = Buffer.from([9, 8, 7]);
    const back = codec.decode(segment);
    segment.fill(0);
    expect(back).toEqual(new Uint8Array([9, 8, 7]));
    expect(Buffer.isBuffer(back)).toBe(false);
  });

  it('refuses a value that is not a Uint8Array with INVALID_VALUE', () => {
    expectCode(() => codec.encode('abc' as unknown as Uint8Array), 'INVALID_VALUE');
  });
});

describe('schemaCodec', () => {
  const User = z.object({ id: z.number().int(), name: z.string().min(1), tags: z.array(z.string()) });

  /** A msgpack codec that counts encodes, to show an invalid value never reaches it. */
  function countingCodec(): ValueCodec<unknown> & { encodeCount: number } {
    const inner = msgpackCodec<unknown>();
    const counting = {
      encodeCount: 0,
      encode(value: unknown): Uint8Array {
        counting.encodeCount++;
        return inner.encode(value);
      },
      decode: (bytes: Uint8Array): unknown => inner.decode(bytes),
    };
    return counting;
  }

  it('passes valid values and infers their type', () => {
    const codec = schemaCodec(User);
    const bytes = Uint8Array.from(codec.encode({ id: 1, name: 'ada', tags: ['x'] }));
    const user: { id: number; name: string; tags: string[] } = codec.decode(bytes);
    expect(user).toEqual({ id: 1, name: 'ada', tags: ['x'] });
    expectTypeOf(codec).toEqualTypeOf<ValueCodec<{ id: number; name: string; tags: string[] }>>();
    expectTypeOf(codec.decode).returns.toEqualTypeOf<z.infer<typeof User>>();
    // @ts-expect-error: the inferred type refuses a string id at compile time.
    expect(() => codec.encode({ id: '1', name: 'ada', tags: [] })).toThrow(SchemaError);
  });

  it('refuses invalid values with SCHEMA_INVALID and zod issues, before encoding anything', () => {
    const inner = countingCodec();
    const codec = schemaCodec(User, inner);
    const error = expectCode(() => codec.encode({ id: 1.5, name: '', tags: ['a', 2] } as never), 'SCHEMA_INVALID');
    expect(error).toBeInstanceOf(SchemaError);
    const schemaError = error as SchemaError;
    expect(schemaError.operation).toBe('encode');
    expect(schemaError.issues.map((issue) => issue.path)).toEqual([['id'], ['name'], ['tags', 1]]);
    expect(schemaError.issues.map((issue) => issue.code)).toEqual(['invalid_type', 'too_small', 'invalid_type']);
    expect(schemaError.message).toContain('tags.1');
    expect(inner.encodeCount).toBe(0);
    codec.encode({ id: 2, name: 'b', tags: [] });
    expect(inner.encodeCount).toBe(1);
  });

  it('names the root when the whole value is wrong', () => {
    const error = expectCode(() => schemaCodec(User).encode(null as never), 'SCHEMA_INVALID') as SchemaError;
    expect(error.issues[0]?.path).toEqual([]);
    expect(error.message).toContain('(root)');
  });

  it('stores the parsed value: unknown keys of an object are dropped', () => {
    const codec = schemaCodec(User);
    const bytes = Uint8Array.from(codec.encode({ id: 1, name: 'a', tags: [], extra: true } as never));
    expect(msgpackCodec().decode(bytes)).toEqual({ id: 1, name: 'a', tags: [] });
  });

  it('trusts stored bytes by default, and validates them with validateOnRead', () => {
    const stale = Uint8Array.from(msgpackCodec().encode({ id: 'old', name: 'a', tags: [] }));
    expect(schemaCodec(User).decode(stale)).toEqual({ id: 'old', name: 'a', tags: [] });
    const checked = schemaCodec(User, msgpackCodec(), { validateOnRead: true });
    const error = expectCode(() => checked.decode(stale), 'SCHEMA_INVALID') as SchemaError;
    expect(error.operation).toBe('decode');
    expect(error.issues[0]?.path).toEqual(['id']);
    expect(checked.decode(Uint8Array.from(checked.encode({ id: 3, name: 'c', tags: [] })))).toEqual({ id: 3, name: 'c', tags: [] });
  });

  it('wraps any inner codec, such as rawCodec for byte values', () => {
    const codec = schemaCodec(z.instanceof(Uint8Array).refine((bytes) => bytes.length <= 4), rawCodec() as ValueCodec<unknown>);
    expect(codec.decode(codec.encode(new Uint8Array([1, 2])))).toEqual(new Uint8Array([1, 2]));
    expectCode(() => codec.encode(new Uint8Array(5)), 'SCHEMA_INVALID');
  });

  it('accepts exactly the values the schema accepts', () => {
    const codec = schemaCodec(User);
    fc.assert(
      fc.property(fc.record({ id: fc.oneof(fc.integer(), fc.double(), fc.string()), name: fc.string({ maxLength: 2 }), tags: fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }) }), (value) => {
        const valid = User.safeParse(value).success;
        let encoded = false;
        try {
          encoded = codec.decode(Uint8Array.from(codec.encode(value as never))) !== undefined;
        } catch (error) {
          expect(isCodecError(error, 'SCHEMA_INVALID')).toBe(true);
        }
        expect(encoded).toBe(valid);
      }),
      runs(500),
    );
  });
});

describe('rawCodec.decodeRange', () => {
  it('decodeRange returns a plain Uint8Array copy, like decode', () => {
    const source = Buffer.from([1, 2, 3]);
    const out = rawCodec().decodeRange!(source, 0, 2);
    expect(Buffer.isBuffer(out)).toBe(false);
    expect(out).toEqual(new Uint8Array([1, 2]));
    source[0] = 9;
    expect(out[0]).toBe(1);
  });
});
