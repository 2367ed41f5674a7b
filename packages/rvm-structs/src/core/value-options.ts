/**
 * How a structure is told to encode its values: a codec, a zod schema, or both
 * (the schema then validates before the codec encodes). MessagePack by default.
 */
import type { z } from 'zod';
import { msgpackCodec } from '../codec/msgpack-codec.js';
import { schemaCodec } from '../codec/schema.js';
import type { ValueCodec } from '../codec/value-codec.js';
import type { StructContext } from './struct-context.js';

export interface ValueOptions<V> {
  /** Encodes values: msgpackCodec() by default, rawCodec() for raw bytes, or any ValueCodec. */
  readonly codec?: ValueCodec<V>;
  /**
   * Validates every value before it is written: an invalid one is refused with
   * SchemaError (code SCHEMA_INVALID, with zod's issues) and nothing is written.
   * The value type is inferred from it.
   */
  readonly schema?: z.ZodType<V>;
  /** With `schema`: validate decoded values too (data written before a schema change). Default false. */
  readonly validateOnRead?: boolean;
}

/**
 * The codec a structure in `ctx`'s segment uses: the given one (or MessagePack), bound to the
 * segment (ValueCodec.inSegment), so that the default MessagePack codec is the segment's record codec.
 */
export function resolveValueCodec<V>(options: ValueOptions<V> | undefined, ctx: StructContext): ValueCodec<V> {
  const codec = options?.codec;
  const schema = options?.schema;
  const base = schema === undefined
    ? codec ?? msgpackCodec<V>()
    : schemaCodec(schema, (codec ?? msgpackCodec<unknown>()) as ValueCodec<unknown>, {
      validateOnRead: options?.validateOnRead === true,
    }) as ValueCodec<V>;
  return base.inSegment === undefined ? base : base.inSegment(ctx.records());
}
