/**
 * Which 4 KiB pages of a mapped segment hold changes committed since the last
 * truncation: truncation writes exactly those pages from memory instead of
 * replaying the log (see segment/page-writer.ts). One byte per page, so a
 * 1 GiB segment needs 256 KiB.
 *
 * Beside the flags, `stamps` holds per page the serial of the last commit
 * that put one of the page's bytes in the log batch; the batch uses them to
 * know, without sorting, that its ranges cannot overlap (log/commit-batch.ts).
 * Four bytes per page, so 1 MiB for a 1 GiB segment. Truncation does not
 * clear them: the batch tolerates stale stamps.
 */
import { assert } from '../errors.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

export class DirtyPages {
  flags: Uint8Array;
  any = false;
  /** Owned by the Rvm's CommitBatch: serial of the last commit that touched each page (0: none). */
  stamps: Int32Array;

  constructor(segmentSize: number) {
    this.flags = new Uint8Array(pageCount(segmentSize));
    this.stamps = new Int32Array(this.flags.length);
  }

  /** Marks the pages holding bytes [start, end). */
  mark(start: number, end: number): void {
    // Segments are at most 2^32 bytes (SEGMENT_SIZE_MAX), so >>> is exact and avoids a float division.
    const first = start >>> PAGE_SHIFT;
    const last = (end - 1) >>> PAGE_SHIFT;
    assert(start >= 0 && start < end && last < this.flags.length, 'marked bytes lie inside the segment');
    if (first === last) this.flags[first] = 1;
    else this.flags.fill(1, first, last + 1);
    this.any = true;
  }

  resize(segmentSize: number): void {
    const flags = new Uint8Array(pageCount(segmentSize));
    flags.set(this.flags.subarray(0, Math.min(flags.length, this.flags.length)));
    this.flags = flags;
    const stamps = new Int32Array(flags.length);
    stamps.set(this.stamps.subarray(0, Math.min(stamps.length, this.stamps.length)));
    this.stamps = stamps;
  }

  clear(): void {
    if (!this.any) return;
    this.flags.fill(0);
    this.any = false;
  }
}

function pageCount(size: number): number {
  return Math.ceil(size / PAGE_SIZE);
}
