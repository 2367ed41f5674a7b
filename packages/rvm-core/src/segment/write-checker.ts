/**
 * The `checkWrites` debug option: a shadow copy of each mapped segment's
 * committed bytes, compared with the segment at begin() and at commit. Any
 * byte that differs outside the ranges declared by open transactions was
 * written without setRange: that write is not recoverable (the bug class that
 * costs RVM and PMDK users most). It is reported as UNDECLARED_WRITE with the
 * segment, offset and length of each run of such bytes.
 *
 * After a report the shadow takes the segment's current bytes, so each bad
 * write is reported once. Costs a full comparison of every mapped segment per
 * begin and commit, and one extra copy of each segment: for tests and debugging.
 */
import { RvmError } from '../errors.js';
import type { Transaction } from '../transaction/transaction.js';
import type { Segment } from './segment.js';

export interface UndeclaredWrite {
  readonly segment: string;
  readonly offset: number;
  readonly length: number;
}

const CHUNK_SIZE = 4096;
const REPORTED_MAX = 16;

export class WriteChecker {
  private readonly shadows = new Map<Segment, Buffer>();

  track(segment: Segment): void {
    this.shadows.set(segment, Buffer.from(segment.bytes));
  }

  forget(segment: Segment): void {
    this.shadows.delete(segment);
  }

  /** The segment grew: zero bytes were added, committed as such. */
  grown(segment: Segment): void {
    const old = this.shadows.get(segment);
    if (old === undefined) return;
    const shadow = Buffer.alloc(segment.size);
    old.copy(shadow);
    this.shadows.set(segment, shadow);
  }

  /** Throws UNDECLARED_WRITE if any segment differs from its shadow outside the open transactions' ranges. */
  check(openTransactions: readonly Transaction[], when: string): void {
    const found: UndeclaredWrite[] = [];
    for (const [segment, shadow] of this.shadows) {
      const bytes = segment.bytes;
      for (let chunk = 0; chunk < bytes.length && found.length < REPORTED_MAX; chunk += CHUNK_SIZE) {
        const end = Math.min(chunk + CHUNK_SIZE, bytes.length);
        if (bytes.compare(shadow, chunk, end, chunk, end) === 0) continue;
        let b = chunk;
        while (b < end && found.length < REPORTED_MAX) {
          if (bytes[b] === shadow[b] || declared(openTransactions, segment, b)) {
            b++;
            continue;
          }
          const start = b;
          while (b < bytes.length && bytes[b] !== shadow[b] && !declared(openTransactions, segment, b)) b++;
          found.push({ segment: segment.name, offset: start, length: b - start });
          bytes.copy(shadow, start, start, b);
        }
      }
    }
    if (found.length === 0) return;
    const list = found.map((w) => `${w.segment}[${w.offset}..${w.offset + w.length})`).join(', ');
    throw new RvmError('UNDECLARED_WRITE', `Found at ${when}: bytes changed without setRange: ${list}. Such writes are not recoverable; call tx.setRange before changing them.`, { writes: found });
  }

  /** After a commit: its declared bytes are the new committed values. */
  committed(segment: Segment, start: number, end: number): void {
    const shadow = this.shadows.get(segment);
    if (shadow !== undefined) segment.bytes.copy(shadow, start, start, end);
  }
}

function declared(openTransactions: readonly Transaction[], segment: Segment, offset: number): boolean {
  for (const tx of openTransactions) {
    if (tx._resources!.ranges.contains(segment.id, offset, offset + 1)) return true;
  }
  return false;
}
