/**
 * Growing and shrinking the table by one bucket (linear hashing, format.ts):
 * a split rewrites one chain into two, a merge two chains into one. Neither
 * reads or writes any other bucket, so the cost of a resize step is bounded by
 * one chain, never by the table.
 *
 * Both gather the chain's records into a scratch buffer first, then allocate
 * everything they need, and only then write. A split that cannot allocate
 * (OUT_OF_SPACE) changes nothing and is skipped: the map stays valid with a
 * higher load, and the next insertion tries again. A merge never allocates:
 * packing the records of the two chains in order into pages, a page at a time
 * (next fit), needs no more pages than the two chains had, because the i-th
 * page of the packing ends no earlier than the i-th old page did.
 */
import { isHeapError } from '@rvm/alloc';
import { assert } from '../core/invariant.js';
import type { StructContext } from '../core/struct-context.js';
import {
  BUCKET_COUNT_MAX, chunkEntryCount, chunkOf, corrupt, directoryEntryOffset, HEADER_BUCKET_COUNT, HEADER_CHUNKS, levelSizeOf,
  PAGE_DATA_SIZE, PAGE_HEADER_SIZE, PAGE_NEXT, PAGE_SIZE, recordSizeOf, RECORD_KEY_FIELD, RECORD_VALUE_FIELD,
} from './format.js';

/** Records gathered from chains: bytes, and the start of each record. */
let gathered = Buffer.allocUnsafeSlow(4 * PAGE_SIZE);
let gatheredSize = 0;
let recordStarts = new Int32Array(64);
let recordCount = 0;
/** Pages of the chains gathered, in chain order. */
let pages = new Int32Array(16);
let pageCount = 0;
/** One page image, composed before it is written with one declared range. */
const pageImage = Buffer.allocUnsafeSlow(PAGE_SIZE);

/** Grows the table by one bucket if the heap allows; returns whether it did. */
export function splitOne(ctx: StructContext, header: number): boolean {
  let bytes = ctx.bytes;
  const bucketCount = bytes.readUInt32LE(header + HEADER_BUCKET_COUNT);
  if (bucketCount >= BUCKET_COUNT_MAX) return false;
  const low = levelSizeOf(bucketCount);
  const source = bucketCount - low;
  const target = bucketCount;
  const highBit = low;

  gatheredSize = 0;
  recordCount = 0;
  pageCount = 0;
  gatherChain(ctx, header, bytes.readUInt32LE(directoryEntryOffset(bytes, header, source)));
  // Records of `source` whose hash has bit L set move to `target`; the others stay.
  let stayCount = 0;
  for (let r = 0; r < recordCount; r++) if ((gathered.readUInt32LE(recordStarts[r]!) & highBit) === 0) stayCount++;
  const stayPages = packedPageCount(highBit, 0);
  const movePages = packedPageCount(highBit, highBit);
  const chunk = chunkOf(target);
  const chunkMissing = bytes.readUInt32LE(header + HEADER_CHUNKS + chunk * 4) === 0;

  // Allocate first: a failure leaves the map as it was.
  const extraCount = Math.max(0, stayPages + movePages - pageCount);
  const firstExtra = pageCount;
  let chunkOffset = 0;
  try {
    if (chunkMissing) chunkOffset = ctx.alloc(chunkEntryCount(chunk) * 4);
    for (let k = 0; k < extraCount; k++) pushPage(ctx.alloc(PAGE_SIZE));
  } catch (e) {
    for (let k = firstExtra; k < pageCount; k++) ctx.free(pages[k]!);
    pageCount = firstExtra;
    if (chunkOffset !== 0) ctx.free(chunkOffset);
    if (isHeapError(e, 'OUT_OF_SPACE')) return false;
    throw e;
  }
  if (chunkOffset !== 0) ctx.writeU32(header + HEADER_CHUNKS + chunk * 4, chunkOffset);
  assert(stayCount <= recordCount, 'partition counts');

  // The stay chain keeps the source's first page, so its directory entry does not change.
  writeChain(ctx, 0, stayPages, highBit, 0);
  writeChain(ctx, stayPages, movePages, highBit, highBit);
  for (let k = stayPages + movePages; k < pageCount; k++) ctx.free(pages[k]!);
  bytes = ctx.bytes;
  ctx.writeU32(directoryEntryOffset(bytes, header, target), pages[stayPages]!);
  ctx.writeU32(header + HEADER_BUCKET_COUNT, bucketCount + 1);
  return true;
}

/** Shrinks the table by one bucket (bucketCount >= 2): the last bucket joins its buddy. */
export function mergeOne(ctx: StructContext, header: number): void {
  const bytes = ctx.bytes;
  const bucketCount = bytes.readUInt32LE(header + HEADER_BUCKET_COUNT);
  assert(bucketCount >= 2, 'merge needs two buckets');
  const last = bucketCount - 1;
  const buddy = last - levelSizeOf(last);
  gatheredSize = 0;
  recordCount = 0;
  pageCount = 0;
  gatherChain(ctx, header, bytes.readUInt32LE(directoryEntryOffset(bytes, header, buddy)));
  gatherChain(ctx, header, bytes.readUInt32LE(directoryEntryOffset(bytes, header, last)));
  const needed = packedPageCount(0, 0);
  assert(needed <= pageCount, 'next fit needs no more pages than the chains had');
  writeChain(ctx, 0, needed, 0, 0);
  for (let k = needed; k < pageCount; k++) ctx.free(pages[k]!);
  ctx.writeU32(header + HEADER_BUCKET_COUNT, last);
}

/** Appends the records and pages of the chain starting at `page` to the gathered ones. */
function gatherChain(ctx: StructContext, header: number, page: number): void {
  const bytes = ctx.bytes;
  const pageCountMax = bytes.length / PAGE_SIZE;
  let steps = 0;
  while (page !== 0) {
    if (++steps > pageCountMax || page + PAGE_SIZE > bytes.length) throw corrupt(header, page, 'a bucket chain loops or leaves the segment');
    pushPage(page);
    const used = bytes.readUInt16LE(page);
    if (used > PAGE_DATA_SIZE) throw corrupt(header, page, `a page claims ${used} bytes of records`);
    const start = page + PAGE_HEADER_SIZE;
    const end = start + used;
    if (gatheredSize + used > gathered.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(gathered.length * 2, gatheredSize + used));
      gathered.copy(grown, 0, 0, gatheredSize);
      gathered = grown;
    }
    bytes.copy(gathered, gatheredSize, start, end);
    let pos = start;
    while (pos < end) {
      if (pos + 8 > end) throw corrupt(header, pos, 'a record is cut short');
      const size = recordSizeOf(bytes.readUInt16LE(pos + RECORD_KEY_FIELD), bytes.readUInt16LE(pos + RECORD_VALUE_FIELD));
      if (pos + size > end) throw corrupt(header, pos, 'a record runs past its page');
      if (recordCount === recordStarts.length) {
        const grown = new Int32Array(recordStarts.length * 2);
        grown.set(recordStarts);
        recordStarts = grown;
      }
      recordStarts[recordCount++] = gatheredSize + (pos - start);
      pos += size;
    }
    gatheredSize += used;
    page = bytes.readUInt32LE(page + PAGE_NEXT);
  }
}

function pushPage(page: number): void {
  if (pageCount === pages.length) {
    const grown = new Int32Array(pages.length * 2);
    grown.set(pages);
    pages = grown;
  }
  pages[pageCount++] = page;
}

function recordSizeAt(r: number): number {
  const start = recordStarts[r]!;
  const end = r + 1 < recordCount ? recordStarts[r + 1]! : gatheredSize;
  return end - start;
}

/** Pages that next fit needs for the gathered records with (hash & mask) === value; at least 1 (a bucket always has a page). */
function packedPageCount(mask: number, value: number): number {
  let count = 1;
  let used = 0;
  for (let r = 0; r < recordCount; r++) {
    if ((gathered.readUInt32LE(recordStarts[r]!) & mask) !== value) continue;
    const size = recordSizeAt(r);
    if (used + size > PAGE_DATA_SIZE) {
      count++;
      used = 0;
    }
    used += size;
  }
  return count;
}

/**
 * Writes the gathered records with (hash & mask) === value, by next fit, into
 * pages[first .. first + count), linked in that order. Every page is written
 * whole (header and records) with one declared range.
 */
function writeChain(ctx: StructContext, first: number, count: number, mask: number, value: number): void {
  let pageIndex = first;
  let used = 0;
  let entries = 0;
  for (let r = 0; r < recordCount; r++) {
    if ((gathered.readUInt32LE(recordStarts[r]!) & mask) !== value) continue;
    const start = recordStarts[r]!;
    const size = recordSizeAt(r);
    if (used + size > PAGE_DATA_SIZE) {
      flushPage(ctx, pageIndex, used, entries, pages[pageIndex + 1]!);
      pageIndex++;
      used = 0;
      entries = 0;
    }
    gathered.copy(pageImage, PAGE_HEADER_SIZE + used, start, start + size);
    used += size;
    entries++;
  }
  assert(pageIndex === first + count - 1, 'the chain has the pages counted for it');
  flushPage(ctx, pageIndex, used, entries, 0);
}

function flushPage(ctx: StructContext, pageIndex: number, used: number, entries: number, next: number): void {
  pageImage.writeUInt16LE(used, 0);
  pageImage.writeUInt16LE(entries, 2);
  pageImage.writeUInt32LE(next, PAGE_NEXT);
  ctx.writeBytes(pages[pageIndex]!, pageImage, 0, PAGE_HEADER_SIZE + used);
}
