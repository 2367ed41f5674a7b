/**
 * Out-of-line byte strings in the heap: a block holding
 *
 *  offset size field
 *       0    4 length   bytes that follow
 *       4    . bytes
 *
 * Used for values (and keys) too large to keep inside a node or bucket.
 */
import type { StructContext } from './struct-context.js';

export const BLOB_HEADER_SIZE = 4;

/** Stores bytes[start, end) in a new block; returns its offset. */
export function writeBlob(ctx: StructContext, bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  const offset = ctx.alloc(BLOB_HEADER_SIZE + length);
  ctx.writeU32(offset, length);
  ctx.writeBytes(offset + BLOB_HEADER_SIZE, bytes, start, end);
  return offset;
}

export function blobLength(ctx: StructContext, offset: number): number {
  return ctx.bytes.readUInt32LE(offset);
}

/** A view of the blob's bytes, valid until the segment grows or the blob is freed. */
export function blobView(ctx: StructContext, offset: number): Buffer {
  const start = offset + BLOB_HEADER_SIZE;
  return ctx.bytes.subarray(start, start + ctx.bytes.readUInt32LE(offset));
}

export function freeBlob(ctx: StructContext, offset: number): void {
  ctx.free(offset);
}
