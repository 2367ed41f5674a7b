/**
 * Typed fixed layouts: describe a record's fields once and read and write
 * records in segment bytes through typed accessors.
 *
 *   const Account = defineLayout({ id: field.u32(), balance: field.i64(), owner: field.string(32) });
 *   const offset = Account.alloc(ctx, { id: 7, balance: 0n, owner: 'ada' });   // in a transaction
 *   const account = Account.at(ctx, offset);
 *   account.balance += 100n;   // declares the 8 bytes, then writes them
 *
 * Every write checks its value first (INVALID_ARGUMENT, VALUE_TOO_LARGE: then
 * nothing is written), declares exactly the bytes it changes in the current
 * transaction (RVM merges them with earlier declarations of the same
 * transaction), then writes. A write with no transaction open throws
 * NO_TRANSACTION. Reads need no transaction and read the segment afresh each
 * time, so they see aborts, recovery and growth.
 *
 * Records are packed in field order (field.ts gives each type's size); a
 * record written by one layout is read by any layout with the same fields in
 * the same order. Keep a version field in records whose layout may change.
 */
import { StructError } from '../core/struct-error.js';
import type { StructContext } from '../core/struct-context.js';
import type { Field, FieldKind } from './field.js';

export type LayoutSpec = Readonly<Record<string, Field<unknown>>>;

/** The plain values of a record of layout spec S. */
export type LayoutValues<S extends LayoutSpec> = { -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** A record in the segment: a property per field (reads and checked, declared writes), and where it is. */
export type RecordAccessor<S extends LayoutSpec> = LayoutValues<S> & {
  /** The record's offset in the segment. */
  readonly offset: number;
};

export interface FieldInfo {
  readonly name: string;
  readonly kind: FieldKind;
  /** Byte offset of the field in the record. */
  readonly offset: number;
  readonly size: number;
}

const RESERVED_NAMES = new Set(['offset', 'ctx', 'constructor', '__proto__', 'toJSON']);

export class Layout<S extends LayoutSpec> {
  /** Bytes of one record. */
  readonly size: number;
  /** Every field with its offset, in record order. */
  readonly fields: readonly FieldInfo[];
  private readonly byName = new Map<string, { field: Field<unknown>; offset: number }>();
  private readonly accessor: new (ctx: StructContext, offset: number) => RecordAccessor<S>;
  /** Records being composed before they are written. */
  private readonly scratch: Buffer;

  constructor(spec: S) {
    const fields: FieldInfo[] = [];
    let offset = 0;
    for (const [name, f] of Object.entries(spec)) {
      if (RESERVED_NAMES.has(name)) throw new StructError('INVALID_ARGUMENT', `A layout field may not be named "${name}".`, { name });
      if (f === null || typeof f !== 'object' || typeof f.read !== 'function') throw new StructError('INVALID_ARGUMENT', `Field "${name}" is not a field type; use field.u32(), field.string(n), ...`, { name });
      fields.push(Object.freeze({ name, kind: f.kind, offset, size: f.size }));
      this.byName.set(name, { field: f, offset });
      offset += f.size;
    }
    if (offset === 0) throw new StructError('INVALID_ARGUMENT', 'A layout needs at least one field.', {});
    this.size = offset;
    this.fields = Object.freeze(fields);
    this.scratch = Buffer.alloc(offset);
    this.accessor = makeAccessor(this, spec, fields);
  }

  /** An accessor over the record at `offset` (no check that a record is there: keep offsets from alloc). */
  at(ctx: StructContext, offset: number): RecordAccessor<S> {
    this.checkOffset(ctx, offset);
    return new this.accessor(ctx, offset);
  }

  /** The value of one field of the record at `offset`. */
  get<K extends keyof S & string>(ctx: StructContext, offset: number, name: K): LayoutValues<S>[K] {
    const entry = this.entry(name);
    return entry.field.read(ctx.bytes, offset + entry.offset) as LayoutValues<S>[K];
  }

  /** Sets one field of the record at `offset`, in the current transaction. */
  set<K extends keyof S & string>(ctx: StructContext, offset: number, name: K, value: LayoutValues<S>[K]): void {
    const { field: f, offset: at } = this.entry(name);
    f.check(value, name);
    if (f.kind === 'ref') this.checkRef(ctx, value as number, name);
    ctx.tx();
    f.encode(this.scratch, 0, value);
    ctx.writeBytes(offset + at, this.scratch, 0, f.size);
  }

  /** Every field of the record at `offset`, as a plain object. */
  read(ctx: StructContext, offset: number): LayoutValues<S> {
    this.checkOffset(ctx, offset);
    const bytes = ctx.bytes;
    const values: Record<string, unknown> = {};
    for (const info of this.fields) values[info.name] = this.byName.get(info.name)!.field.read(bytes, offset + info.offset);
    return values as LayoutValues<S>;
  }

  /**
   * Sets the given fields of the record at `offset`, in the current
   * transaction: all values are checked first, then the span from the first
   * to the last field given is declared once and written.
   */
  write(ctx: StructContext, offset: number, values: Partial<LayoutValues<S>>): void {
    this.checkOffset(ctx, offset);
    const span = this.compose(ctx, offset, values, false);
    if (span.end > span.start) ctx.writeBytes(offset + span.start, this.scratch, span.start, span.end);
  }

  /**
   * Allocates a record in the current transaction, zero-filled except for the
   * given values (checked before anything is allocated); returns its offset.
   */
  alloc(ctx: StructContext, values: Partial<LayoutValues<S>> = {}): number {
    ctx.tx();
    this.compose(ctx, -1, values, true);
    const offset = ctx.alloc(this.size);
    ctx.writeBytes(offset, this.scratch, 0, this.size);
    return offset;
  }

  /** Frees the record at `offset` (from alloc), in the current transaction. */
  free(ctx: StructContext, offset: number): void {
    ctx.free(offset);
  }

  // ---------------------------------------------------------------- private

  private entry(name: string): { field: Field<unknown>; offset: number } {
    const entry = this.byName.get(name);
    if (entry === undefined) throw new StructError('INVALID_ARGUMENT', `The layout has no field "${name}".`, { name });
    return entry;
  }

  private checkOffset(ctx: StructContext, offset: number): void {
    if (!Number.isInteger(offset) || offset <= 0 || offset + this.size > ctx.bytes.length) {
      throw new StructError('INVALID_ARGUMENT', `A ${this.size}-byte record does not fit at offset ${String(offset)} of segment "${ctx.segment.name}".`, { offset, size: this.size });
    }
  }

  private checkRef(ctx: StructContext, value: number, name: string): void {
    if (value === 0) return;
    try {
      ctx.heap.usableSize(value);
    } catch (e) {
      throw new StructError('INVALID_ARGUMENT', `Field "${name}": ${value} is not the offset of a live heap block (${(e as { code?: string }).code ?? String(e)}).`, { field: name, value });
    }
  }

  /**
   * Checks `values` and composes the record in scratch: over the current
   * bytes at `offset`, or over zeros (`fresh`). Returns the span of the fields given.
   */
  private compose(ctx: StructContext, offset: number, values: Partial<LayoutValues<S>>, fresh: boolean): { start: number; end: number } {
    let start = this.size;
    let end = 0;
    const given: Array<[Field<unknown>, number, unknown]> = [];
    for (const name of Object.keys(values)) {
      const value = (values as Record<string, unknown>)[name];
      if (value === undefined) continue;
      const entry = this.entry(name);
      entry.field.check(value, name);
      if (entry.field.kind === 'ref') this.checkRef(ctx, value as number, name);
      given.push([entry.field, entry.offset, value]);
      if (entry.offset < start) start = entry.offset;
      if (entry.offset + entry.field.size > end) end = entry.offset + entry.field.size;
    }
    const scratch = this.scratch;
    if (fresh) scratch.fill(0);
    else ctx.bytes.copy(scratch, 0, offset, offset + this.size);
    for (const [f, at, value] of given) f.encode(scratch, at, value);
    return { start, end };
  }
}

/** A class whose instances have a getter and a setter per field, made once per layout. */
function makeAccessor<S extends LayoutSpec>(layout: Layout<S>, spec: S, fields: readonly FieldInfo[]): new (ctx: StructContext, offset: number) => RecordAccessor<S> {
  class Accessor {
    constructor(
      readonly ctx: StructContext,
      readonly offset: number,
    ) {}

    toJSON(): LayoutValues<S> {
      return layout.read(this.ctx, this.offset);
    }
  }
  for (const info of fields) {
    const f = spec[info.name]!;
    const at = info.offset;
    const name = info.name;
    Object.defineProperty(Accessor.prototype, name, {
      enumerable: true,
      get(this: Accessor) {
        return f.read(this.ctx.bytes, this.offset + at);
      },
      set(this: Accessor, value: unknown) {
        layout.set(this.ctx, this.offset, name as keyof S & string, value as never);
      },
    });
  }
  return Accessor as unknown as new (ctx: StructContext, offset: number) => RecordAccessor<S>;
}

/** Describes a record layout: `defineLayout({ id: field.u32(), name: field.string(24) })`. */
export function defineLayout<S extends LayoutSpec>(spec: S): Layout<S> {
  return new Layout(spec);
}
