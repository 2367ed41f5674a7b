/**
 * The on-disk format of a HashMap, version 1: linear hashing over slotless
 * bucket pages, found through a directory of chunks that double in size.
 * Every block is a heap block (@rvm/alloc); every field is little-endian;
 * every offset is a byte offset in the segment (0 = none).
 *
 * HEADER (HEADER_SIZE bytes; its offset is the map's identity, kept by the
 * Store's catalog or a heap root)
 *  offset size field
 *       0    4 magic        0x50414d48, the bytes "HMAP": readable in a hex dump, and
 *                           read with the wrong byte order it becomes "PAMH"
 *       4    2 version      HASH_MAP_FORMAT_VERSION
 *       6    2 pageSize     PAGE_SIZE; pins the page geometry below
 *       8    4 hashSeed     the seed of murmur3 (hash.ts) for every key of this map
 *      12    4 bucketCount  n, 1 <= n <= BUCKET_COUNT_MAX: buckets 0 .. n-1 exist
 *      16    4 entryCount   records in all pages
 *      20    4 recordSize   bytes of records in all pages: the load, which decides splits
 *      24    4 changeCount  + 1 (mod 2^32) per mutation; iterators compare it
 *      28    4 reserved     zero
 *      32   84 chunks       CHUNK_COUNT_MAX offsets of directory chunks; chunk k is
 *                           allocated iff bucketCount ever passed chunkStart(k)
 *     116   12 reserved     zero
 *
 * DIRECTORY CHUNK k (a block of chunkEntryCount(k) u32 entries): chunk 0 holds
 * CHUNK0_ENTRY_COUNT entries, chunk k >= 1 holds CHUNK0_ENTRY_COUNT << (k-1),
 * so chunk k starts at bucket chunkStart(k) = CHUNK0_ENTRY_COUNT << (k-1) and
 * the table doubles without ever copying the entries it has: growth adds one
 * chunk, and the chunk table itself has a fixed size inside the header.
 * Entry b (b < bucketCount) is the offset of bucket b's first page. Entries at
 * or past bucketCount are stale and never read.
 *
 * PAGE (a block of PAGE_SIZE bytes; a bucket is a chain of pages)
 *  offset size field
 *       0    2 usedSize     bytes of records; they fill [8, 8 + usedSize) exactly
 *       2    2 entryCount   records in this page
 *       4    4 next         the next page of the chain (an overflow page), 0 at the end
 *       8    . records, packed in insertion order; bytes past usedSize are garbage
 *
 * RECORD (RECORD_HEADER_SIZE + key cell + value cell bytes)
 *  offset size field
 *       0    4 hash         murmur3(encoded key, hashSeed)
 *       4    2 keyField     encoded key size 1 .. KEY_INLINE_MAX (the key follows), or
 *                           CELL_BLOB: a 4-byte blob offset follows (core/blob.ts)
 *       6    2 valueField   encoded value size 0 .. VALUE_INLINE_MAX (inline), or CELL_BLOB
 *       8    . key cell     the encoded key (codec/key-format.ts), or its blob offset
 *       .    . value cell   the encoded value, or its blob offset
 *
 * Which bucket: with L = floor(log2(n)), bucketOf(h) = h mod 2^(L+1) if that is
 * below n, else h mod 2^L. Splitting bucket n - 2^L into itself and bucket n
 * moves exactly the records whose hash has bit L set, so growth by one bucket
 * touches one chain: no operation rehashes the table.
 *
 * A map is valid if and only if: the header has the magic, version and page
 * size above and 1 <= bucketCount <= BUCKET_COUNT_MAX; chunks 0 .. the chunk of
 * bucket n-1 are allocated; each bucket b < n is a chain of distinct pages, and
 * no page, chunk or blob belongs to two places; in each page the records tile
 * [8, 8 + usedSize) with usedSize <= PAGE_DATA_SIZE and entryCount records;
 * every page after the first of a chain holds a record; each record's cells
 * respect the inline limits (a key or value is a blob iff it is larger than
 * its inline limit, up to its maximum size), its hash is murmur3 of its key,
 * its key decodes canonically, and bucketOf(hash) = b; no key occurs twice;
 * and entryCount and recordSize are the sums over all pages.
 */
import { StructError } from '../core/struct-error.js';

export const HASH_MAP_MAGIC = 0x50414d48;
export const HASH_MAP_FORMAT_VERSION = 1;

export const HEADER_MAGIC = 0;
export const HEADER_VERSION = 4;
export const HEADER_PAGE_SIZE = 6;
export const HEADER_HASH_SEED = 8;
export const HEADER_BUCKET_COUNT = 12;
export const HEADER_ENTRY_COUNT = 16;
export const HEADER_RECORD_SIZE = 20;
export const HEADER_CHANGE_COUNT = 24;
export const HEADER_CHUNKS = 32;
export const HEADER_SIZE = 128;

/** Entries of directory chunk 0; chunk k >= 1 has CHUNK0_ENTRY_COUNT << (k - 1). */
export const CHUNK0_ENTRY_COUNT = 64;
export const CHUNK0_SHIFT = 6;
/** Chunks 0 .. 20 address 64 << 20 = 2^26 buckets, more than a 4 GiB segment can hold pages for. */
export const CHUNK_COUNT_MAX = 21;
export const BUCKET_COUNT_MAX = CHUNK0_ENTRY_COUNT << (CHUNK_COUNT_MAX - 1);

export const PAGE_SIZE = 1024;
export const PAGE_HEADER_SIZE = 8;
export const PAGE_USED_SIZE = 0;
export const PAGE_ENTRY_COUNT = 2;
export const PAGE_NEXT = 4;
export const PAGE_DATA_SIZE = PAGE_SIZE - PAGE_HEADER_SIZE;

export const RECORD_HEADER_SIZE = 8;
export const RECORD_KEY_FIELD = 4;
export const RECORD_VALUE_FIELD = 6;
/** A cell field with this value means the cell is a 4-byte blob offset. */
export const CELL_BLOB = 0xffff;
export const BLOB_REF_SIZE = 4;

/** Encoded keys up to this size live in the page; larger ones in a blob. */
export const KEY_INLINE_MAX = 64;
/** Encoded values up to this size live in the page; larger ones in a blob. */
export const VALUE_INLINE_MAX = 400;
/** The largest encoded key accepted (KEY_TOO_LARGE past it). */
export const KEY_SIZE_MAX = 16 * 1024;
/** The largest encoded value accepted (VALUE_TOO_LARGE past it). */
export const VALUE_SIZE_MAX = 16 * 1024 * 1024;
/** The largest record: it always fits in an empty page. */
export const RECORD_SIZE_MAX = RECORD_HEADER_SIZE + KEY_INLINE_MAX + VALUE_INLINE_MAX;

/**
 * Split a bucket when the records pass this many bytes per bucket (about 60%
 * of a page), merge the last one into its buddy when they fall below the
 * second figure. Linear hashing leaves the buckets not yet split in a round
 * with up to twice the load of the ones split, and those should rarely
 * overflow. The gap between the two keeps a workload that hovers at a
 * boundary from splitting and merging the same bucket over and over.
 * Measured (bench/hash-map.ts, records of ~100 bytes): 512-byte pages at 256
 * bytes per bucket gave 11% overflow pages and 233 block bytes per entry;
 * 1 KiB pages at 600 give 7% and 189, with faster loads and equal gets.
 */
export const LOAD_SPLIT_SIZE = 600;
export const LOAD_MERGE_SIZE = 150;

export const HASH_SEED_DEFAULT = 0x9747b28c;

/** The size of the record whose fields are `keyField` and `valueField`. */
export function recordSizeOf(keyField: number, valueField: number): number {
  return RECORD_HEADER_SIZE + (keyField === CELL_BLOB ? BLOB_REF_SIZE : keyField) + (valueField === CELL_BLOB ? BLOB_REF_SIZE : valueField);
}

/** 2^floor(log2(n)) for n >= 1. */
export function levelSizeOf(bucketCount: number): number {
  return 1 << (31 - Math.clz32(bucketCount));
}

/** The bucket of `hash` in a table of `bucketCount` buckets (see the rule above). */
export function bucketOf(hash: number, bucketCount: number): number {
  const low = 1 << (31 - Math.clz32(bucketCount));
  const bucket = hash & ((low << 1) - 1);
  return bucket < bucketCount ? bucket : hash & (low - 1);
}

/** The directory chunk that holds bucket `bucket`. */
export function chunkOf(bucket: number): number {
  return bucket < CHUNK0_ENTRY_COUNT ? 0 : 32 - Math.clz32(bucket >>> CHUNK0_SHIFT);
}

/** The first bucket of chunk `chunk`. */
export function chunkStart(chunk: number): number {
  return chunk === 0 ? 0 : CHUNK0_ENTRY_COUNT << (chunk - 1);
}

export function chunkEntryCount(chunk: number): number {
  return chunk === 0 ? CHUNK0_ENTRY_COUNT : CHUNK0_ENTRY_COUNT << (chunk - 1);
}

/** The offset of the directory entry of `bucket`, whose chunk must be allocated. */
export function directoryEntryOffset(bytes: Buffer, header: number, bucket: number): number {
  if (bucket < CHUNK0_ENTRY_COUNT) return bytes.readUInt32LE(header + HEADER_CHUNKS) + bucket * 4;
  const chunk = 32 - Math.clz32(bucket >>> CHUNK0_SHIFT);
  return bytes.readUInt32LE(header + HEADER_CHUNKS + chunk * 4) + (bucket - (CHUNK0_ENTRY_COUNT << (chunk - 1))) * 4;
}

/** A STRUCT_CORRUPT error for the map at `header`, naming the offending offset. */
export function corrupt(header: number, offset: number, problem: string): StructError {
  return new StructError(
    'STRUCT_CORRUPT',
    `HashMap at offset ${header}: ${problem} (at offset ${offset}). The segment is damaged or another structure wrote over this one; restore it from a backup.`,
    { structure: 'HashMap', header, offset, problem },
  );
}
