/**
 * The field types of a fixed layout (layout.ts): each knows its size, how to
 * read itself from segment bytes, how to check a value before anything is
 * written, and how to write itself into a buffer. Integers and floats are
 * little-endian; every field starts right after the one before (no padding).
 *
 *  type        size      value          stored as
 *  u8/i8       1         number         integer (two's complement for i8)
 *  u16/i16     2         number
 *  u32/i32     4         number
 *  u64/i64     8         bigint
 *  f32         4         number         IEEE-754 binary32 (rounded on write)
 *  f64         8         number         IEEE-754 binary64
 *  bool        1         boolean        0 or 1
 *  bytes(n)    n         Uint8Array     exactly n bytes
 *  string(n)   2 + n     string         u16 UTF-8 length, then up to n bytes of UTF-8 (zero after)
 *  ref()       4         number         u32 offset of a heap block in the same segment, 0 for none
 */
import { StructError } from '../core/struct-error.js';

export type FieldKind = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64' | 'bool' | 'bytes' | 'string' | 'ref';

export interface Field<T> {
  readonly kind: FieldKind;
  /** Bytes the field takes in a record. */
  readonly size: number;
  /** For bytes(n) and string(n): n. */
  readonly capacity: number;
  read(bytes: Buffer, at: number): T;
  /** Throws INVALID_ARGUMENT or VALUE_TOO_LARGE when `value` cannot be stored; `name` is for the message. */
  check(value: unknown, name: string): void;
  /** Writes a checked value into target[at, at + size). */
  encode(target: Buffer, at: number, value: T): void;
  /** Phantom: the value type, for inference. */
  readonly __value?: T;
}

function invalid(name: string, why: string, value: unknown): StructError {
  return new StructError('INVALID_ARGUMENT', `Field "${name}": ${why}; got ${typeof value === 'bigint' ? `${value}n` : String(value)}.`, { field: name });
}

function integer(kind: FieldKind, size: number, min: number, max: number, read: (b: Buffer, at: number) => number, write: (b: Buffer, at: number, v: number) => void): Field<number> {
  return {
    kind,
    size,
    capacity: 0,
    read,
    check(value, name) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(name, `a ${kind} is an integer from ${min} to ${max}`, value);
    },
    encode: write,
  };
}

function bigint(kind: FieldKind, min: bigint, max: bigint, read: (b: Buffer, at: number) => bigint, write: (b: Buffer, at: number, v: bigint) => void): Field<bigint> {
  return {
    kind,
    size: 8,
    capacity: 0,
    read,
    check(value, name) {
      if (typeof value !== 'bigint' || value < min || value > max) throw invalid(name, `a ${kind} is a bigint from ${min} to ${max}`, value);
    },
    encode: write,
  };
}

function float(kind: FieldKind, size: number, read: (b: Buffer, at: number) => number, write: (b: Buffer, at: number, v: number) => void): Field<number> {
  return {
    kind,
    size,
    capacity: 0,
    read,
    check(value, name) {
      if (typeof value !== 'number') throw invalid(name, `a ${kind} is a number`, value);
    },
    encode: write,
  };
}

const U8 = integer('u8', 1, 0, 0xff, (b, at) => b[at]!, (b, at, v) => { b[at] = v; });
const I8 = integer('i8', 1, -0x80, 0x7f, (b, at) => b.readInt8(at), (b, at, v) => { b.writeInt8(v, at); });
const U16 = integer('u16', 2, 0, 0xffff, (b, at) => b.readUInt16LE(at), (b, at, v) => { b.writeUInt16LE(v, at); });
const I16 = integer('i16', 2, -0x8000, 0x7fff, (b, at) => b.readInt16LE(at), (b, at, v) => { b.writeInt16LE(v, at); });
const U32 = integer('u32', 4, 0, 0xffff_ffff, (b, at) => b.readUInt32LE(at), (b, at, v) => { b.writeUInt32LE(v, at); });
const I32 = integer('i32', 4, -0x8000_0000, 0x7fff_ffff, (b, at) => b.readInt32LE(at), (b, at, v) => { b.writeInt32LE(v, at); });
const U64 = bigint('u64', 0n, 0xffff_ffff_ffff_ffffn, (b, at) => b.readBigUInt64LE(at), (b, at, v) => { b.writeBigUInt64LE(v, at); });
const I64 = bigint('i64', -(2n ** 63n), 2n ** 63n - 1n, (b, at) => b.readBigInt64LE(at), (b, at, v) => { b.writeBigInt64LE(v, at); });
const F32 = float('f32', 4, (b, at) => b.readFloatLE(at), (b, at, v) => { b.writeFloatLE(v, at); });
const F64 = float('f64', 8, (b, at) => b.readDoubleLE(at), (b, at, v) => { b.writeDoubleLE(v, at); });

const BOOL: Field<boolean> = {
  kind: 'bool',
  size: 1,
  capacity: 0,
  read: (b, at) => b[at] !== 0,
  check(value, name) {
    if (typeof value !== 'boolean') throw invalid(name, 'a bool is true or false', value);
  },
  encode(b, at, v) {
    b[at] = v ? 1 : 0;
  },
};

/** The size of a string(n) field's length prefix. */
export const STRING_LENGTH_SIZE = 2;
/** The largest n of bytes(n) and string(n). */
export const FIELD_CAPACITY_MAX = 0xffff;

function checkCapacity(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > FIELD_CAPACITY_MAX) {
    throw new StructError('INVALID_ARGUMENT', `${what}(n) takes n from 1 to ${FIELD_CAPACITY_MAX}; got ${String(n)}.`, { n });
  }
}

function bytesField(n: number): Field<Uint8Array> {
  checkCapacity(n, 'bytes');
  return {
    kind: 'bytes',
    size: n,
    capacity: n,
    // Not slice(): on a Buffer that makes a Buffer (its species), not a plain Uint8Array.
    read: (b, at) => new Uint8Array(b.subarray(at, at + n)),
    check(value, name) {
      if (!(value instanceof Uint8Array)) throw invalid(name, `bytes(${n}) holds a Uint8Array`, value);
      if (value.length !== n) {
        throw new StructError(value.length > n ? 'VALUE_TOO_LARGE' : 'INVALID_ARGUMENT', `Field "${name}": bytes(${n}) holds exactly ${n} bytes; got ${value.length}.`, { field: name, size: value.length, sizeMax: n });
      }
    },
    encode(b, at, v) {
      b.set(v, at);
    },
  };
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringField(n: number): Field<string> {
  checkCapacity(n, 'string');
  return {
    kind: 'string',
    size: STRING_LENGTH_SIZE + n,
    capacity: n,
    read(b, at) {
      const length = b.readUInt16LE(at);
      if (length > n) {
        throw new StructError('STRUCT_CORRUPT', `A string(${n}) field at offset ${at} claims ${length} bytes. Restore the segment from a backup.`, { offset: at, length, capacity: n });
      }
      return b.toString('utf8', at + STRING_LENGTH_SIZE, at + STRING_LENGTH_SIZE + length);
    },
    check(value, name) {
      if (typeof value !== 'string') throw invalid(name, `string(${n}) holds a string`, value);
      if (LONE_SURROGATE.test(value)) throw invalid(name, 'the string has a lone surrogate, which UTF-8 cannot represent', value);
      const size = Buffer.byteLength(value, 'utf8');
      if (size > n) throw new StructError('VALUE_TOO_LARGE', `Field "${name}": string(${n}) holds at most ${n} bytes of UTF-8; got ${size}.`, { field: name, size, sizeMax: n });
    },
    encode(b, at, v) {
      const written = b.write(v, at + STRING_LENGTH_SIZE, n, 'utf8');
      b.writeUInt16LE(written, at);
      b.fill(0, at + STRING_LENGTH_SIZE + written, at + STRING_LENGTH_SIZE + n);
    },
  };
}

const REF: Field<number> = {
  kind: 'ref',
  size: 4,
  capacity: 0,
  read: (b, at) => b.readUInt32LE(at),
  check(value, name) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff || value % 8 !== 0) {
      throw invalid(name, 'a ref is 0 or the offset of a heap block (a multiple of 8)', value);
    }
  },
  encode(b, at, v) {
    b.writeUInt32LE(v, at);
  },
};

/** The field types, to describe a layout: `defineLayout({ id: field.u32(), name: field.string(24) })`. */
export const field = {
  u8: (): Field<number> => U8,
  i8: (): Field<number> => I8,
  u16: (): Field<number> => U16,
  i16: (): Field<number> => I16,
  u32: (): Field<number> => U32,
  i32: (): Field<number> => I32,
  u64: (): Field<bigint> => U64,
  i64: (): Field<bigint> => I64,
  f32: (): Field<number> => F32,
  f64: (): Field<number> => F64,
  bool: (): Field<boolean> => BOOL,
  /** Exactly n bytes. */
  bytes: (n: number): Field<Uint8Array> => bytesField(n),
  /** A string of at most n bytes of UTF-8. */
  string: (n: number): Field<string> => stringField(n),
  /** The offset of another block of the same segment (0: none). */
  ref: (): Field<number> => REF,
} as const;
