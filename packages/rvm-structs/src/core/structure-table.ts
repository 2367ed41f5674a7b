/**
 * The table of shared MessagePack record structures of a segment: the key
 * lists that values written by the record codec (record-codec.ts) refer to by
 * number. It lives in one heap block found from the heap root
 * STRUCTURES_ROOT; a segment without that root has an empty table.
 *
 * Block layout (little-endian):
 *
 *  offset size field
 *       0    4 magic     STRUCTURES_MAGIC, "RVMS" in ASCII read as bytes: exposes a block of
 *                        another kind or a byte-order mistake
 *       4    4 count     structures in the table, 0 .. STRUCTURE_COUNT_MAX; structure i is
 *                        record id 0x40 + i in values
 *       8    4 size      bytes of the entries below
 *      12    . entries   `count` entries, one after the other:
 *                          0    2 keyCount   keys of the structure, 1 .. STRUCTURE_KEY_COUNT_MAX
 *                          2    .            keyCount keys, each a u16 UTF-8 size then its bytes
 *
 * The rest of the block is unused. A table is valid if and only if the magic
 * matches, count and size are in range, 12 + size fits the block, and the
 * entries parse to exactly `size` bytes with keys of at most
 * STRUCTURE_KEY_SIZE_MAX bytes each. Entries are only ever appended, in the
 * transaction that writes the first value using them: a committed value never
 * refers to an entry the committed table lacks.
 */
import { Buffer } from 'node:buffer';
import { StructError } from './struct-error.js';

export const STRUCTURES_ROOT = 'value-structures';
export const STRUCTURES_MAGIC = 0x534d5652; // bytes 52 56 4d 53: "RVMS"
export const STRUCTURES_HEADER_SIZE = 12;
export const STRUCTURES_COUNT = 4;
export const STRUCTURES_SIZE = 8;
/** Shared structures of a segment: msgpackr's one-byte record ids 0x40 .. 0x5f. */
export const STRUCTURE_COUNT_MAX = 32;
export const STRUCTURE_KEY_COUNT_MAX = 256;
export const STRUCTURE_KEY_SIZE_MAX = 256;

/** Keys of one structure. msgpackr hangs its own properties (read, isShared) on the array. */
export type Structure = string[];

/** Whether a structure may go into the table; one that may not is written inline in each value. */
export function shareable(keys: readonly unknown[]): boolean {
  if (keys.length === 0 || keys.length > STRUCTURE_KEY_COUNT_MAX) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (typeof key !== 'string') return false;
    // A lone surrogate would come back from UTF-8 as U+FFFD: such a key must stay inline.
    const utf8 = Buffer.from(key, 'utf8');
    if (utf8.length > STRUCTURE_KEY_SIZE_MAX || utf8.toString('utf8') !== key) return false;
  }
  return true;
}

/** Bytes of the table entry of `keys` (shareable). */
export function entrySize(keys: Structure): number {
  let size = 2;
  for (let i = 0; i < keys.length; i++) size += 2 + Buffer.byteLength(keys[i]!, 'utf8');
  return size;
}

/** Writes the entry of `keys` at target[offset ..]; returns the offset after it. */
export function writeEntry(target: Buffer, offset: number, keys: Structure): number {
  target.writeUInt16LE(keys.length, offset);
  let at = offset + 2;
  for (let i = 0; i < keys.length; i++) {
    const written = target.write(keys[i]!, at + 2, 'utf8');
    target.writeUInt16LE(written, at);
    at += 2 + written;
  }
  return at;
}

/** Reads and validates the table in the block at `offset` of `usableSize` bytes; STRUCT_CORRUPT when invalid. */
export function readTable(bytes: Buffer, offset: number, usableSize: number): Structure[] {
  const corrupt = (problem: string): StructError =>
    new StructError('STRUCT_CORRUPT', `The value structure table at ${offset} is damaged: ${problem}. Restore the store from a backup.`, { offset, problem });
  if (usableSize < STRUCTURES_HEADER_SIZE || offset + usableSize > bytes.length) throw corrupt(`its block of ${usableSize} bytes cannot hold a header`);
  if (bytes.readUInt32LE(offset) !== STRUCTURES_MAGIC) throw corrupt('the magic does not match');
  const count = bytes.readUInt32LE(offset + STRUCTURES_COUNT);
  const size = bytes.readUInt32LE(offset + STRUCTURES_SIZE);
  if (count > STRUCTURE_COUNT_MAX) throw corrupt(`it claims ${count} structures, more than ${STRUCTURE_COUNT_MAX}`);
  if (STRUCTURES_HEADER_SIZE + size > usableSize) throw corrupt(`its ${size} bytes of entries overflow the block`);
  const end = offset + STRUCTURES_HEADER_SIZE + size;
  let at = offset + STRUCTURES_HEADER_SIZE;
  const table: Structure[] = [];
  for (let index = 0; index < count; index++) {
    if (at + 2 > end) throw corrupt(`entry ${index} starts past the end`);
    const keyCount = bytes.readUInt16LE(at);
    at += 2;
    if (keyCount === 0 || keyCount > STRUCTURE_KEY_COUNT_MAX) throw corrupt(`entry ${index} has ${keyCount} keys`);
    const keys: Structure = [];
    for (let k = 0; k < keyCount; k++) {
      if (at + 2 > end) throw corrupt(`entry ${index} runs past the end`);
      const keySize = bytes.readUInt16LE(at);
      at += 2;
      if (keySize > STRUCTURE_KEY_SIZE_MAX || at + keySize > end) throw corrupt(`key ${k} of entry ${index} has a bad size ${keySize}`);
      keys.push(bytes.toString('utf8', at, at + keySize));
      at += keySize;
    }
    table.push(keys);
  }
  if (at !== end) throw corrupt(`the entries end at ${at - offset}, not at ${STRUCTURES_HEADER_SIZE + size}`);
  return table;
}
