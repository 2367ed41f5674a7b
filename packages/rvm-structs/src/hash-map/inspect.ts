/**
 * Walks a whole HashMap: verification of every rule of the format (format.ts)
 * with shape statistics, and freeing every block (clear, destroy). The bytes
 * are untrusted here: every offset is checked before it is read, and every
 * violation is a STRUCT_CORRUPT error naming its offset, never an exception
 * of another kind.
 */
import { compareKeyRanges, decodeKey } from '../codec/key-codec.js';
import { BlockCensus } from '../core/block-census.js';
import type { StructContext } from '../core/struct-context.js';
import {
  BLOB_REF_SIZE, BUCKET_COUNT_MAX, bucketOf, CELL_BLOB, CHUNK_COUNT_MAX, chunkEntryCount, chunkOf, corrupt, directoryEntryOffset,
  HASH_MAP_FORMAT_VERSION, HASH_MAP_MAGIC, HEADER_BUCKET_COUNT, HEADER_CHUNKS, HEADER_ENTRY_COUNT, HEADER_HASH_SEED, HEADER_MAGIC,
  HEADER_PAGE_SIZE, HEADER_RECORD_SIZE, HEADER_SIZE, HEADER_VERSION, KEY_INLINE_MAX, KEY_SIZE_MAX, PAGE_DATA_SIZE, PAGE_HEADER_SIZE,
  PAGE_NEXT, PAGE_SIZE, RECORD_HEADER_SIZE, RECORD_KEY_FIELD, RECORD_VALUE_FIELD, VALUE_INLINE_MAX, VALUE_SIZE_MAX,
} from './format.js';
import { murmur3 } from './hash.js';

export interface HashMapStats {
  readonly entryCount: number;
  readonly bucketCount: number;
  /** Bytes of records in pages (the load that drives splits). */
  readonly recordSize: number;
  readonly pageCount: number;
  /** Pages after the first of their chain. */
  readonly overflowPageCount: number;
  /** Pages in the longest chain. */
  readonly chainLengthMax: number;
  readonly blobCount: number;
  /** Bytes of all blocks the map owns (usable sizes): header, chunks, pages, blobs. */
  readonly blockSize: number;
}

/** Verifies the map at `header` and returns its statistics; throws STRUCT_CORRUPT at the first violation. */
export function inspectHashMap(ctx: StructContext, header: number): HashMapStats {
  const bytes = ctx.bytes;
  const census = new BlockCensus(ctx, (offset, problem) => corrupt(header, offset, problem));
  const block = (offset: number, size: number, what: string, from: number): void => {
    census.claim(offset, size, what, from);
  };

  block(header, HEADER_SIZE, 'the header', header);
  if (bytes.readUInt32LE(header + HEADER_MAGIC) !== HASH_MAP_MAGIC) throw corrupt(header, header, 'the magic number is wrong');
  const version = bytes.readUInt16LE(header + HEADER_VERSION);
  if (version !== HASH_MAP_FORMAT_VERSION) throw corrupt(header, header + HEADER_VERSION, `format version ${version} is not ${HASH_MAP_FORMAT_VERSION}`);
  if (bytes.readUInt16LE(header + HEADER_PAGE_SIZE) !== PAGE_SIZE) throw corrupt(header, header + HEADER_PAGE_SIZE, 'the page size is wrong');
  const seed = bytes.readUInt32LE(header + HEADER_HASH_SEED);
  const bucketCount = bytes.readUInt32LE(header + HEADER_BUCKET_COUNT);
  if (bucketCount < 1 || bucketCount > BUCKET_COUNT_MAX) throw corrupt(header, header + HEADER_BUCKET_COUNT, `bucketCount ${bucketCount} is out of range`);
  const chunkLast = chunkOf(bucketCount - 1);
  for (let k = 0; k < CHUNK_COUNT_MAX; k++) {
    const at = header + HEADER_CHUNKS + k * 4;
    const chunk = bytes.readUInt32LE(at);
    if (chunk === 0) {
      if (k <= chunkLast) throw corrupt(header, at, `directory chunk ${k} is missing`);
      continue;
    }
    block(chunk, chunkEntryCount(k) * 4, `directory chunk ${k}`, at);
  }

  let entryCount = 0;
  let recordSize = 0;
  let pageCount = 0;
  let overflowPageCount = 0;
  let chainLengthMax = 0;
  let blobCount = 0;
  const bucketKeys: Array<{ hash: number; start: number; end: number }> = [];
  let bucketKeyCount = 0;
  for (let bucket = 0; bucket < bucketCount; bucket++) {
    bucketKeyCount = 0;
    const entryAt = directoryEntryOffset(bytes, header, bucket);
    let page = bytes.readUInt32LE(entryAt);
    let from = entryAt;
    let chainLength = 0;
    while (page !== 0) {
      block(page, PAGE_SIZE, `a page of bucket ${bucket}`, from);
      chainLength++;
      pageCount++;
      if (chainLength > 1) overflowPageCount++;
      const used = bytes.readUInt16LE(page);
      const count = bytes.readUInt16LE(page + 2);
      if (used > PAGE_DATA_SIZE) throw corrupt(header, page, `a page claims ${used} bytes of records`);
      if (chainLength > 1 && count === 0) throw corrupt(header, page, 'an overflow page is empty');
      const end = page + PAGE_HEADER_SIZE + used;
      let pos = page + PAGE_HEADER_SIZE;
      let records = 0;
      while (pos < end) {
        if (pos + RECORD_HEADER_SIZE > end) throw corrupt(header, pos, 'a record header is cut short');
        const hash = bytes.readUInt32LE(pos);
        const keyField = bytes.readUInt16LE(pos + RECORD_KEY_FIELD);
        const valueField = bytes.readUInt16LE(pos + RECORD_VALUE_FIELD);
        const keyCellSize = keyField === CELL_BLOB ? BLOB_REF_SIZE : keyField;
        const size = RECORD_HEADER_SIZE + keyCellSize + (valueField === CELL_BLOB ? BLOB_REF_SIZE : valueField);
        if (pos + size > end) throw corrupt(header, pos, 'a record runs past its page');
        // The key: inline up to KEY_INLINE_MAX bytes, else a blob of more.
        let keyStart = pos + RECORD_HEADER_SIZE;
        let keyEnd = keyStart + keyField;
        if (keyField === CELL_BLOB) {
          const blob = bytes.readUInt32LE(keyStart);
          const length = census.claimBlob(blob, KEY_INLINE_MAX, KEY_SIZE_MAX, 'a key blob', pos);
          blobCount++;
          keyStart = blob + 4;
          keyEnd = keyStart + length;
        } else if (keyField === 0 || keyField > KEY_INLINE_MAX) {
          throw corrupt(header, pos, `an inline key of ${keyField} bytes`);
        }
        if (murmur3(bytes, keyStart, keyEnd, seed) !== hash) throw corrupt(header, pos, 'a record hash does not match its key');
        try {
          decodeKey(bytes, keyStart, keyEnd);
        } catch (e) {
          throw corrupt(header, pos, `a key does not decode (${(e as { code?: string }).code ?? String(e)})`);
        }
        const owner = bucketOf(hash, bucketCount);
        if (owner !== bucket) throw corrupt(header, pos, `a key of bucket ${owner} is in bucket ${bucket}`);
        // Equal keys have equal hashes and so share a bucket: compare with the bucket's earlier keys of the same hash.
        for (let k = 0; k < bucketKeyCount; k++) {
          const other = bucketKeys[k]!;
          if (other.hash === hash && compareKeyRanges(bytes, other.start, other.end, bytes, keyStart, keyEnd) === 0) throw corrupt(header, pos, 'a key occurs twice');
        }
        if (bucketKeyCount === bucketKeys.length) bucketKeys.push({ hash: 0, start: 0, end: 0 });
        const slot = bucketKeys[bucketKeyCount++]!;
        slot.hash = hash;
        slot.start = keyStart;
        slot.end = keyEnd;
        // The value: inline up to VALUE_INLINE_MAX bytes, else a blob of more.
        if (valueField === CELL_BLOB) {
          census.claimBlob(bytes.readUInt32LE(pos + RECORD_HEADER_SIZE + keyCellSize), VALUE_INLINE_MAX, VALUE_SIZE_MAX, 'a value blob', pos);
          blobCount++;
        } else if (valueField > VALUE_INLINE_MAX) {
          throw corrupt(header, pos, `an inline value of ${valueField} bytes`);
        }
        records++;
        pos += size;
      }
      if (records !== count) throw corrupt(header, page, `a page counts ${count} records and holds ${records}`);
      entryCount += count;
      recordSize += used;
      from = page + PAGE_NEXT;
      page = bytes.readUInt32LE(from);
    }
    if (chainLength === 0) throw corrupt(header, entryAt, `bucket ${bucket} has no page`);
    if (chainLength > chainLengthMax) chainLengthMax = chainLength;
  }
  if (entryCount !== bytes.readUInt32LE(header + HEADER_ENTRY_COUNT)) throw corrupt(header, header + HEADER_ENTRY_COUNT, `the header counts ${bytes.readUInt32LE(header + HEADER_ENTRY_COUNT)} entries; the pages hold ${entryCount}`);
  if (recordSize !== bytes.readUInt32LE(header + HEADER_RECORD_SIZE)) throw corrupt(header, header + HEADER_RECORD_SIZE, `the header counts ${bytes.readUInt32LE(header + HEADER_RECORD_SIZE)} bytes of records; the pages hold ${recordSize}`);
  return { entryCount, bucketCount, recordSize, pageCount, overflowPageCount, chainLengthMax, blobCount, blockSize: census.blockSize };
}

/**
 * Frees every blob, page and directory chunk of the map; with `keepPage` (the
 * first page of bucket 0, for clear) that page and chunk 0 stay. The header
 * and the kept page are not rewritten here.
 */
export function freeContents(ctx: StructContext, header: number, keepPage: number): void {
  const bucketCount = ctx.bytes.readUInt32LE(header + HEADER_BUCKET_COUNT);
  for (let bucket = 0; bucket < bucketCount; bucket++) {
    let bytes = ctx.bytes;
    let page = bytes.readUInt32LE(directoryEntryOffset(bytes, header, bucket));
    while (page !== 0) {
      bytes = ctx.bytes;
      const end = page + PAGE_HEADER_SIZE + bytes.readUInt16LE(page);
      let pos = page + PAGE_HEADER_SIZE;
      while (pos < end) {
        const keyField = bytes.readUInt16LE(pos + RECORD_KEY_FIELD);
        const valueField = bytes.readUInt16LE(pos + RECORD_VALUE_FIELD);
        const keyCellSize = keyField === CELL_BLOB ? BLOB_REF_SIZE : keyField;
        if (keyField === CELL_BLOB) ctx.free(bytes.readUInt32LE(pos + RECORD_HEADER_SIZE));
        if (valueField === CELL_BLOB) ctx.free(bytes.readUInt32LE(pos + RECORD_HEADER_SIZE + keyCellSize));
        pos += RECORD_HEADER_SIZE + keyCellSize + (valueField === CELL_BLOB ? BLOB_REF_SIZE : valueField);
      }
      const next = bytes.readUInt32LE(page + PAGE_NEXT);
      if (page !== keepPage) ctx.free(page);
      page = next;
    }
  }
  for (let k = keepPage === 0 ? 0 : 1; k < CHUNK_COUNT_MAX; k++) {
    const chunk = ctx.bytes.readUInt32LE(header + HEADER_CHUNKS + k * 4);
    if (chunk !== 0) ctx.free(chunk);
  }
}
