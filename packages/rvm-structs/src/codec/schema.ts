/**
 * Values checked against a zod schema before they are encoded. Validation runs before the inner
 * codec sees the value, so an invalid value never reaches a segment. Reading trusts the bytes by
 * default (they were validated when written, and the segment layer checks their integrity);
 * `validateOnRead` re-validates, for data written before a schema change.
 *
 * The schema should not transform: `encode` stores zod's parsed output (for `z.object`, without
 * unknown keys), and a transforming schema would be applied again on a validated read. Async
 * refinements are not supported (zod throws on a synchronous parse).
 */

import type { z } from 'zod';
import { SchemaError } from './schema-error.js';
import { msgpackCodec } from './msgpack-codec.js';
import type { ValueCodec } from './value-codec.js';

export { SchemaError } from './schema-error.js';

export interface SchemaCodecOptions {
  /** Validate decoded values too, throwing SchemaError with operation 'decode'. Default false. */
  validateOnRead?: boolean;
}

class SchemaCodec<S extends z.ZodType> implements ValueCodec<z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly inner: ValueCodec<unknown>,
    private readonly validateOnRead: boolean,
  ) {}

  inSegment(records: ValueCodec<unknown>): ValueCodec<z.infer<S>> {
    const inner = this.inner.inSegment === undefined ? this.inner : this.inner.inSegment(records);
    return inner === this.inner ? this : new SchemaCodec(this.schema, inner, this.validateOnRead);
  }

  encode(value: z.infer<S>): Uint8Array {
    const result = this.schema.safeParse(value);
    if (!result.success) throw new SchemaError(result.error.issues, 'encode');
    return this.inner.encode(result.data);
  }

  decode(bytes: Uint8Array): z.infer<S> {
    return this.checked(this.inner.decode(bytes));
  }

  decodeRange(bytes: Uint8Array, start: number, end: number): z.infer<S> {
    const inner = this.inner;
    return this.checked(inner.decodeRange === undefined ? inner.decode(bytes.subarray(start, end)) : inner.decodeRange(bytes, start, end));
  }

  private checked(value: unknown): z.infer<S> {
    if (!this.validateOnRead) return value as z.infer<S>;
    const result = this.schema.safeParse(value);
    if (!result.success) throw new SchemaError(result.error.issues, 'decode');
    return result.data;
  }
}

/** Wraps `inner` (MessagePack by default) so that only values matching `schema` are encoded. */
export function schemaCodec<S extends z.ZodType>(
  schema: S,
  inner: ValueCodec<unknown> = msgpackCodec<unknown>(),
  options: SchemaCodecOptions = {},
): ValueCodec<z.infer<S>> {
  return new SchemaCodec(schema, inner, options.validateOnRead ?? false);
}
