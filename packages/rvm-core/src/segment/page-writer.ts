/**
 * Truncation from memory (LRVM's incremental truncation): writes the dirty
 * pages of a mapped segment from its in-memory bytes, which hold the
 * committed state, except for bytes declared by open transactions. Those are
 * patched back to their committed values from the transactions' undo copies
 * (with restore on, the undo copy of a declared byte is its committed value:
 * no other transaction can commit it while it is declared, see
 * Rvm.checkConflict). The caller must not use this while an open no-restore
 * transaction has declared bytes: their committed values exist only in the log
 * (write() skips such a segment).
 *
 * Crash safety: every page written holds only committed bytes, equal to what
 * replaying the whole log would produce, and the log is reset only after the
 * segment files are synced, so a crash at any point is repaired by replay.
 */
import { assert } from '../errors.js';
import { writeFully } from '../storage/file-io.js';
import type { Storage } from '../storage/storage.js';
import type { Transaction } from '../transaction/transaction.js';
import { PAGE_SIZE } from './dirty-pages.js';
import type { Segment } from './segment.js';

const RUN_SIZE_MAX = 1024 * 1024;

export class PageWriter {
  private readonly staging = Buffer.allocUnsafe(RUN_SIZE_MAX);
  /** Bytes written since construction. */
  bytesWritten = 0;

  constructor(private readonly storage: Storage) {}

  /**
   * Writes dirty pages of `segment` from page `startPage` on, clearing their
   * flags, until about `byteBudget` bytes are written. Returns the page to
   * continue from, or -1 when no dirty page is left after startPage. Does not
   * sync. Pages are left dirty (skipped) when an open no-restore transaction
   * declared bytes of this segment: their committed values are not in memory.
   */
  write(segment: Segment, openTransactions: readonly Transaction[], startPage: number, byteBudget: number): number {
    let patching = false;
    for (const tx of openTransactions) {
      const r = tx._resources!;
      if (!r.ranges.hasSegment(segment.id)) continue;
      if (!tx.restore) return -1;
      patching = true;
    }
    const flags = segment._dirty.flags;
    const bytes = segment._bytes;
    let written = 0;
    let p = startPage;
    while (p < flags.length) {
      if (written >= byteBudget) {
        this.bytesWritten += written;
        return p;
      }
      if (flags[p] === 0) {
        p++;
        continue;
      }
      // A run of dirty pages is written with one call, up to RUN_SIZE_MAX and
      // what is left of the budget (at least one page), so that a slice stays
      // near its budget even over a segment dirty from end to end.
      const runSizeMax = Math.min(RUN_SIZE_MAX, byteBudget - written);
      let q = p + 1;
      while (q < flags.length && flags[q] !== 0 && (q - p) * PAGE_SIZE < runSizeMax) q++;
      flags.fill(0, p, q);
      const start = p * PAGE_SIZE;
      const end = Math.min(q * PAGE_SIZE, bytes.length);
      if (patching) {
        bytes.copy(this.staging, 0, start, end);
        for (const tx of openTransactions) patchUndo(tx, segment, this.staging, start, end);
        writeFully(this.storage, segment.fd, this.staging, 0, end - start, start);
      } else {
        writeFully(this.storage, segment.fd, bytes, start, end, start);
      }
      written += end - start;
      p = q;
    }
    this.bytesWritten += written;
    return -1;
  }
}

/** Copies the committed values saved by `tx` for segment bytes [start, end) into staging (which holds [start, end)). */
function patchUndo(tx: Transaction, segment: Segment, staging: Buffer, start: number, end: number): void {
  const r = tx._resources!;
  // write() leaves alone a segment that an open no-restore transaction declared
  // bytes of; one that declared bytes of other segments only has nothing to patch.
  assert(tx.restore || !r.ranges.hasSegment(segment.id), 'memory truncation of a segment an open no-restore transaction declared bytes of');
  for (let k = 0; k < r.undoCount; k++) {
    if (r.undoSegments[k] !== segment) continue;
    const offset = r.undoOffsets[k]!;
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + r.undoLengths[k]!);
    if (from >= to) continue;
    const source = r.undoPositions[k]! + (from - offset);
    r.undoData.copy(staging, from - start, source, source + (to - from));
  }
}
