/**
 * The commit loops (and the log priming) that run.ts and commit-path.ts both use, each with its
 * own `measure` (run.ts: median wall-clock rate; commit-path.ts: CPU time and
 * wall time).
 */
import type { Rvm } from '../src/index.js';

export const RECORD_SIZE = 128;
export const SEGMENT_SIZE = 64 * 1024 * 1024;

/**
 * Commits of `rangeCount` ranges of `rangeSize` bytes each, at scattered
 * 128-byte slots of a working set of `workingSetSize` bytes of one segment.
 */
export function commitLoop<T>(
  measure: (round: () => number) => T, rvm: Rvm, ops: number, rangeCount: number, flush: boolean, restore: boolean,
  workingSetSize = SEGMENT_SIZE, rangeSize = RECORD_SIZE,
): T {
  const seg = rvm.map(`seg-${rangeCount}-${flush}-${restore}-${workingSetSize}-${rangeSize}`, SEGMENT_SIZE);
  const slots = workingSetSize / RECORD_SIZE;
  let slot = 0;
  const options = { flush };
  const beginOptions = { restore };
  const rate = measure(() => {
    for (let i = 0; i < ops; i++) {
      const tx = rvm.begin(beginOptions);
      for (let r = 0; r < rangeCount; r++) {
        const offset = ((slot * 7919) % slots) * RECORD_SIZE;
        slot++;
        tx.setRange(seg, offset, rangeSize);
        seg.bytes.writeUInt32LE(i, offset);
      }
      tx.commit(options);
    }
    rvm.flush();
    return ops;
  });
  rvm.unmap(seg);
  return rate;
}

/** The physical floor of a no-flush commit: the same write and one copy of 128 bytes into a log buffer, per op. */
export function bareCopyLoop<T>(measure: (round: () => number) => T, ops: number): T {
  const seg = Buffer.alloc(SEGMENT_SIZE);
  const log = Buffer.alloc(8 * 1024 * 1024);
  const slots = SEGMENT_SIZE / RECORD_SIZE;
  let slot = 0;
  let pos = 0;
  return measure(() => {
    for (let i = 0; i < ops; i++) {
      const offset = ((slot * 7919) % slots) * RECORD_SIZE;
      slot++;
      seg.writeUInt32LE(i, offset);
      if (pos + RECORD_SIZE > log.length) pos = 0;
      seg.copy(log, pos, offset, offset + RECORD_SIZE);
      pos += RECORD_SIZE;
    }
    return ops;
  });
}

/**
 * Takes the store's log through one pass (to a synchronous truncation), so
 * that the no-flush rows measure a store that has run a while: RVM writes its
 * log file over again after every truncation (the file never shrinks), while
 * a new store's first pass appends, which needs new page-cache pages. On these
 * virtual machines memory not touched recently costs the kernel about 3 ms of
 * system time per MB on first touch (144 MB of 4 MiB writes: 270-440 ms
 * appended, 23 ms written over; scratch measurement, 2026-11-22), and whether a
 * new page is such memory depends on what ran before, so without this the
 * 64 MiB row moved between 0.9 and 1.7 M commits/s from round to round.
 */
export function primeLog(rvm: Rvm): void {
  const seg = rvm.map('prime', SEGMENT_SIZE);
  const rangeSize = 1 << 20;
  const truncations = rvm.query().counters.truncations;
  // Until a commit past twice logSizeMax truncates synchronously: the log file then has its full size.
  for (let i = 0; rvm.query().counters.truncations === truncations; i++) {
    const tx = rvm.begin({ restore: false });
    const offset = (i % (SEGMENT_SIZE / rangeSize)) * rangeSize;
    tx.setRange(seg, offset, rangeSize);
    seg.bytes[offset] = i & 0xff;
    tx.commit({ flush: false });
  }
  rvm.unmap(seg);
  rvm.truncate();
}
