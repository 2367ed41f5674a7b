/** Typed fixed layouts: records of typed fields in segment bytes, written through the transaction. */
export { defineLayout, Layout } from './layout.js';
export type { FieldInfo, LayoutSpec, LayoutValues, RecordAccessor } from './layout.js';
export { field, FIELD_CAPACITY_MAX, STRING_LENGTH_SIZE } from './field.js';
export type { Field, FieldKind } from './field.js';
