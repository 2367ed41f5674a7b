/**
 * Which 4 KiB pages of a mapped segment hold changes committed since the last
 * truncation: truncation writes exactly those pages from memory instead of
 * replaying the log (see segment/page-writer.ts). One byte per page, so a
 * 1 GiB segment needs 256 KiB.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

export class DirtyPages {
  flags: Uint8Array;
  any = false;

  constructor(segmentSize: number) {
    this.flags = new Uint8Array(pageCount(segmentSize));
  }

  /** Marks the pages holding bytes [start, end). */
  mark(start: number, end: number): void {
    const first = Math.floor(start / PAGE_SIZE);
    const last = Math.floor((end - 1) / PAGE_SIZE);
    if (first === last) this.flags[first] = 1;
    else this.flags.fill(1, first, last + 1);
    this.any = true;
  }

  resize(segmentSize: number): void {
    const flags = new Uint8Array(pageCount(segmentSize));
    flags.set(this.flags.subarray(0, Math.min(flags.length, this.flags.length)));
    this.flags = flags;
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
