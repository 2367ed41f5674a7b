/**
 * Values as MessagePack, through msgpackr.
 *
 * Configuration, and why:
 * - `useRecords: false`: plain objects are written as ordinary MessagePack maps, each value
 *   self-describing. msgpackr's records would need their structure table stored and shared
 *   across every reader of a segment.
 * - `mapsAsObjects: true`: those maps read back as plain objects.
 * - `moreTypes: true`: Sets, typed arrays other than Uint8Array, Errors and RegExps round-trip
 *   through msgpackr extensions; without it a Float64Array silently reads back as its raw bytes
 *   and a Set as an array. The values live in this library's segments, so fidelity in JavaScript
 *   matters more than being readable by other MessagePack decoders.
 * - `useBigIntExtension: true` and `int64AsType: 'bigint'`: bigints of any size up to about
 *   1000 bits read back as bigints; numbers stay numbers.
 * - `copyBuffers: true`: decoded byte arrays are copies, never views into the segment.
 *
 * Caveats: a `Map` reads back as a plain object (its keys as strings), -0 as 0, a Buffer as a
 * Uint8Array, a function as undefined, class instances as plain objects, and a key `__proto__` as
 * `__proto_` (msgpackr's guard against setting a prototype; records do the same).
 *
 * Records. `msgpackCodec()` without options is replaced, in every structure of a segment, by
 * the segment's record codec (core/record-codec.ts): objects are written as msgpackr records
 * whose key lists live once in the segment (about 40 % smaller values, about 2x faster decoding),
 * and each such value starts with VALUE_RECORDS_TAG. This codec, used on its own or with
 * options, writes plain maps; its `decode` reads plain values and refuses record values
 * (VALUE_CORRUPT), whose meaning depends on the table of their segment.
 *
 * Encoding reuses msgpackr's buffer (RESET_BUFFER_MODE): the bytes `encode` returns are valid
 * until the next msgpackr encode anywhere in the process, and no buffer is allocated per call.
 */

import { Packr, RESET_BUFFER_MODE } from 'msgpackr';
import type { Options } from 'msgpackr';
import { CodecError } from './codec-error.js';
import type { ValueCodec } from './value-codec.js';

export type MsgpackOptions = Options;

export const MSGPACK_OPTIONS: Readonly<MsgpackOptions> = Object.freeze({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: true,
  useBigIntExtension: true,
  int64AsType: 'bigint',
  copyBuffers: true,
});

/**
 * The first byte of a value written by a segment's record codec. 0xc1 is the one byte
 * MessagePack never uses, so no value written as plain MessagePack (before records, or by a codec
 * with options) starts with it: the two formats are told apart by their first byte.
 */
export const VALUE_RECORDS_TAG = 0xc1;

/** Shared by every codec made without options, so most programs hold one Packr. */
let packrDefault: Packr | undefined;

/** The plain Packr of codecs without options: reads values that do not start with VALUE_RECORDS_TAG. */
export function plainPackr(): Packr {
  packrDefault ??= new Packr(MSGPACK_OPTIONS);
  return packrDefault;
}

class MsgpackCodec<V> implements ValueCodec<V> {
  /** Reused by decodeRange; msgpackr reads start and end from it and caches a DataView on the source. */
  private readonly range = { start: 0, end: 0 };

  constructor(
    private readonly packr: Packr,
    /** Made without options: structures use their segment's record codec instead. */
    private readonly replaceable: boolean,
  ) {}

  inSegment(records: ValueCodec<unknown>): ValueCodec<V> {
    return this.replaceable ? (records as ValueCodec<V>) : this;
  }

  encode(value: V): Uint8Array {
    try {
      return this.packr.pack(value, RESET_BUFFER_MODE);
    } catch (error) {
      throw new CodecError('INVALID_VALUE', `MessagePack cannot encode the value: ${String(error)}`, {}, error);
    }
  }

  decode(bytes: Uint8Array): V {
    if (bytes[0] === VALUE_RECORDS_TAG) throw recordsRefused(bytes.length);
    try {
      return this.packr.unpack(bytes) as V;
    } catch (error) {
      throw new CodecError('VALUE_CORRUPT', `bytes are not one MessagePack value: ${String(error)}`, { size: bytes.length }, error);
    }
  }

  decodeRange(bytes: Uint8Array, start: number, end: number): V {
    if (start === end) return this.decode(bytes.subarray(start, end));
    if (bytes[start] === VALUE_RECORDS_TAG) throw recordsRefused(end - start);
    const range = this.range;
    range.start = start;
    range.end = end;
    try {
      return this.packr.unpack(bytes, range) as V;
    } catch (error) {
      throw new CodecError('VALUE_CORRUPT', `bytes are not one MessagePack value: ${String(error)}`, { size: end - start }, error);
    }
  }
}

/**
 * A codec storing values as MessagePack with the configuration above. `V` is not checked at run
 * time; wrap the codec with `schemaCodec` for that. `options` override the defaults and give the
 * codec its own Packr (one per codec, never one per call); a codec with options keeps writing
 * plain maps in structures (it is not replaced by the segment's record codec).
 */
export function msgpackCodec<V>(options?: MsgpackOptions): ValueCodec<V> {
  if (options === undefined) return new MsgpackCodec<V>(plainPackr(), true);
  return new MsgpackCodec<V>(new Packr({ ...MSGPACK_OPTIONS, ...options }), false);
}

function recordsRefused(size: number): CodecError {
  return new CodecError('VALUE_CORRUPT', 'These bytes are a record value of a segment (they start with VALUE_RECORDS_TAG): only the structures of that segment can decode them.', { size });
}
