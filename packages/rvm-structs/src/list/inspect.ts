/**
 * Walks a whole List: verification of every rule of the format (format.ts)
 * with shape statistics, and freeing every block (clear, destroy). The bytes
 * are untrusted here: every offset is checked before it is read, and every
 * violation is a STRUCT_CORRUPT error naming its offset.
 */
import { BlockCensus } from '../core/block-census.js';
import type { StructContext } from '../core/struct-context.js';
import {
  BLOB_REF_SIZE, CELL_BLOB, corrupt, ELEMENT_INLINE_MAX, ELEMENT_SIZE_MAX, ENTRY_SIZE, FANOUT_MAX, HEADER_HEIGHT, HEADER_LENGTH, HEADER_MAGIC,
  HEADER_ROOT, HEADER_SIZE, HEADER_VERSION, HEIGHT_MAX, INTERNAL_SIZE, LEAF_DATA_SIZE, LEAF_SIZE, LIST_FORMAT_VERSION, LIST_MAGIC,
  NODE_COUNT, NODE_HEADER_SIZE, NODE_LEVEL, NODE_SKIP_SIZE, NODE_USED_SIZE, RECORD_FIELD_SIZE,
} from './format.js';

export interface ListStats {
  readonly length: number;
  /** Levels of internal nodes above the leaves. */
  readonly height: number;
  readonly leafCount: number;
  readonly internalCount: number;
  readonly blobCount: number;
  /** Bytes of records in leaves over the leaves' capacity (0 .. 1). */
  readonly leafFill: number;
  /** Bytes of all blocks the list owns (usable sizes). */
  readonly blockSize: number;
}

/** Verifies the list at `header` and returns its statistics; throws STRUCT_CORRUPT at the first violation. */
export function inspectList(ctx: StructContext, header: number): ListStats {
  const bytes = ctx.bytes;
  const census = new BlockCensus(ctx, (offset, problem) => corrupt(header, offset, problem));
  census.claim(header, HEADER_SIZE, 'the header', header);
  if (bytes.readUInt32LE(header + HEADER_MAGIC) !== LIST_MAGIC) throw corrupt(header, header, 'the magic number is wrong');
  const version = bytes.readUInt16LE(header + HEADER_VERSION);
  if (version !== LIST_FORMAT_VERSION) throw corrupt(header, header + HEADER_VERSION, `format version ${version} is not ${LIST_FORMAT_VERSION}`);
  const height = bytes[header + HEADER_HEIGHT]!;
  if (height > HEIGHT_MAX) throw corrupt(header, header + HEADER_HEIGHT, `height ${height} is past HEIGHT_MAX`);
  let leafCount = 0;
  let internalCount = 0;
  let blobCount = 0;
  let recordBytes = 0;

  /** Verifies the subtree at `node`, `level` levels above the leaves; returns its element count. */
  const walk = (node: number, level: number, from: number, isRoot: boolean): number => {
    census.claim(node, level === 0 ? LEAF_SIZE : INTERNAL_SIZE, level === 0 ? 'a leaf' : 'an internal node', from);
    if (bytes[node + NODE_LEVEL] !== level) throw corrupt(header, node, `a node of level ${bytes[node + NODE_LEVEL]} stands at level ${level}`);
    const count = bytes.readUInt16LE(node + NODE_COUNT);
    const used = bytes.readUInt16LE(node + NODE_USED_SIZE);
    if (level === 0) {
      leafCount++;
      const skip = bytes.readUInt16LE(node + NODE_SKIP_SIZE);
      if (skip + used > LEAF_DATA_SIZE) throw corrupt(header, node, `a leaf claims ${used} bytes of records after ${skip} free ones`);
      if (count === 0 && !isRoot) throw corrupt(header, node, 'a leaf other than the root is empty');
      let pos = node + NODE_HEADER_SIZE + skip;
      const end = pos + used;
      let records = 0;
      while (pos < end) {
        if (pos + RECORD_FIELD_SIZE > end) throw corrupt(header, pos, 'a record field is cut short');
        const field = bytes.readUInt16LE(pos);
        const size = RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
        if (pos + size > end) throw corrupt(header, pos, 'a record runs past its leaf');
        if (field === CELL_BLOB) {
          census.claimBlob(bytes.readUInt32LE(pos + RECORD_FIELD_SIZE), ELEMENT_INLINE_MAX, ELEMENT_SIZE_MAX, 'an element blob', pos);
          blobCount++;
        } else if (field > ELEMENT_INLINE_MAX) {
          throw corrupt(header, pos, `an inline element of ${field} bytes`);
        }
        records++;
        pos += size;
      }
      if (records !== count) throw corrupt(header, node, `a leaf counts ${count} records and holds ${records}`);
      recordBytes += used;
      return count;
    }
    internalCount++;
    if (count < (isRoot ? 2 : 1) || count > FANOUT_MAX) throw corrupt(header, node, `an internal node has ${count} children`);
    if (used !== count * ENTRY_SIZE) throw corrupt(header, node, `an internal node's used size ${used} is not ${count} entries`);
    if (bytes.readUInt16LE(node + NODE_SKIP_SIZE) !== 0) throw corrupt(header, node, 'an internal node has a skip size');
    let elements = 0;
    for (let i = 0; i < count; i++) {
      const entry = node + NODE_HEADER_SIZE + i * ENTRY_SIZE;
      const under = bytes.readUInt32LE(entry + 4);
      if (under === 0) throw corrupt(header, entry, 'an entry counts no elements');
      const actual = walk(bytes.readUInt32LE(entry), level - 1, entry, false);
      if (actual !== under) throw corrupt(header, entry + 4, `an entry counts ${under} elements; its child holds ${actual}`);
      elements += under;
    }
    return elements;
  };

  const length = walk(bytes.readUInt32LE(header + HEADER_ROOT), height, header + HEADER_ROOT, true);
  if (length !== bytes.readUInt32LE(header + HEADER_LENGTH)) {
    throw corrupt(header, header + HEADER_LENGTH, `the header counts ${bytes.readUInt32LE(header + HEADER_LENGTH)} elements; the tree holds ${length}`);
  }
  return { length, height, leafCount, internalCount, blobCount, leafFill: recordBytes / (leafCount * LEAF_DATA_SIZE), blockSize: census.blockSize };
}

/**
 * Frees every blob and node of the list (not its header). With `keepFirstLeaf`
 * the leftmost leaf stays allocated (its records are not cleared here) and is
 * returned; otherwise returns 0.
 */
export function freeList(ctx: StructContext, header: number, keepFirstLeaf: boolean): number {
  const bytes = ctx.bytes;
  let kept = 0;
  const free = (node: number, level: number): void => {
    const count = bytes.readUInt16LE(node + NODE_COUNT);
    if (level === 0) {
      let pos = node + NODE_HEADER_SIZE + bytes.readUInt16LE(node + NODE_SKIP_SIZE);
      for (let r = 0; r < count; r++) {
        const field = bytes.readUInt16LE(pos);
        if (field === CELL_BLOB) ctx.free(bytes.readUInt32LE(pos + RECORD_FIELD_SIZE));
        pos += RECORD_FIELD_SIZE + (field === CELL_BLOB ? BLOB_REF_SIZE : field);
      }
      if (keepFirstLeaf && kept === 0) kept = node;
      else ctx.free(node);
      return;
    }
    for (let i = 0; i < count; i++) free(bytes.readUInt32LE(node + NODE_HEADER_SIZE + i * ENTRY_SIZE), level - 1);
    ctx.free(node);
  };
  free(bytes.readUInt32LE(header + HEADER_ROOT), bytes[header + HEADER_HEIGHT]!);
  return kept;
}
