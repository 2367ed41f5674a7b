/**
 * Walks the records of the current log generation (format: format/log-record.ts)
 * and decides where the valid log ends. Used by recovery (end unknown) and by
 * truncation (end known: everything before it must be valid).
 *
 * Decision table at the first record R that does not validate at position p,
 * with expected sequence s:
 *
 *   later valid record of this generation | its durableSequence >= s | verdict
 *   --------------------------------------+---------------------------+-----------------------
 *   none                                  | -                         | torn tail: log ends at p
 *   exists                                | no                        | torn tail: log ends at p
 *   exists                                | yes                       | LOG_CORRUPT (R was synced)
 *
 * With a known end (truncation), any invalid record before that end is LOG_CORRUPT.
 */
import { RvmError } from '../errors.js';
import type { LogHeader } from '../format/log-header.js';
import { LOG_RECORDS_OFFSET } from '../format/log-header.js';
import type { ParsedRecord } from '../format/log-record.js';
import {
  checkRecord, parseRecord, RECORD_HEADER_SIZE, RECORD_MAGIC, RECORD_SIZE_MAX, RecordCheck,
  recordDurableSequence, recordSequence, recordSize, R_SALT,
} from '../format/log-record.js';
import type { FileHandle, Storage } from '../storage/storage.js';
import { FileWindow } from './file-window.js';

export interface ScanResult {
  /** File offset one past the last valid record. */
  readonly endOffset: number;
  /** Sequence number the next record must carry. */
  readonly nextSequence: number;
  readonly recordCount: number;
  /** Whether the log ended in an invalid record (a torn write, discarded) rather than in zeros or the end of the file. */
  readonly tornTail: boolean;
}

/**
 * Calls `onRecord` for each valid record in order. `knownEnd` is the end of the
 * log when the caller wrote it itself (truncation); pass -1 at recovery.
 */
export function scanLog(
  storage: Storage, fd: FileHandle, fileSize: number, header: LogHeader, knownEnd: number,
  onRecord: (record: ParsedRecord, position: number) => void,
): ScanResult {
  const window = new FileWindow(storage, fd, knownEnd >= 0 ? knownEnd : fileSize);
  let pos = LOG_RECORDS_OFFSET;
  let sequence = header.startSequence;
  let count = 0;
  for (;;) {
    if (knownEnd >= 0 && pos === knownEnd) return { endOffset: pos, nextSequence: sequence, recordCount: count, tornTail: false };
    const size = validRecordAt(window, pos, header.salt, header.version);
    if (size < 0 || recordSequence(window.buf, window.ensure(pos, size)) !== sequence) {
      if (knownEnd >= 0) throw corrupt(pos, sequence, 'a record the log wrote in this process no longer validates');
      const index = window.ensure(pos, RECORD_HEADER_SIZE);
      if (index < 0) return { endOffset: pos, nextSequence: sequence, recordCount: count, tornTail: false };
      // Zeros (the preallocated part of the file) and records of earlier
      // generations end the log cleanly; a record of this generation that
      // does not validate, or valid ones after it, are a torn write.
      const headerOfThisGeneration = window.buf.readUInt32LE(index) === RECORD_MAGIC && window.buf.readUInt32LE(index + R_SALT) === header.salt >>> 0;
      const laterRecords = proveTornTail(window, pos, header.salt, header.version, sequence);
      return { endOffset: pos, nextSequence: sequence, recordCount: count, tornTail: headerOfThisGeneration || laterRecords };
    }
    const index = window.ensure(pos, size);
    const parsed = parseRecord(window.buf, index);
    if (typeof parsed === 'string') throw corrupt(pos, sequence, parsed);
    onRecord(parsed, pos);
    pos += size;
    sequence++;
    count++;
  }
}

/** Size of the valid record of this salt (in a log of format `version`) at `pos`, or -1. */
function validRecordAt(window: FileWindow, pos: number, salt: number, version: number): number {
  let i = window.ensure(pos, RECORD_HEADER_SIZE);
  if (i < 0) return -1;
  const buf = window.buf;
  if (buf.readUInt32LE(i) !== RECORD_MAGIC || buf.readUInt32LE(i + R_SALT) !== salt >>> 0) return -1;
  const size = recordSize(buf, i);
  if (size < RECORD_HEADER_SIZE || size % 8 !== 0 || size > RECORD_SIZE_MAX) return -1;
  i = window.ensure(pos, size);
  if (i < 0) return -1;
  return checkRecord(window.buf, i, i + size, salt, version) === RecordCheck.Valid ? size : -1;
}

/**
 * The record at `pos` (expected sequence `sequence`) is invalid. Looks at every
 * 8-byte-aligned position after it for a valid record of this generation that
 * proves the invalid one had been synced; throws LOG_CORRUPT if it finds one.
 * Returns whether it found any valid record of this generation after `pos`.
 */
function proveTornTail(window: FileWindow, pos: number, salt: number, version: number, sequence: number): boolean {
  let found = false;
  for (let q = nextMagic(window, pos + 8); q >= 0; q = nextMagic(window, q + 8)) {
    const size = validRecordAt(window, q, salt, version);
    if (size < 0) continue;
    const i = window.ensure(q, size);
    const laterSequence = recordSequence(window.buf, i);
    found = true;
    if (laterSequence > sequence && recordDurableSequence(window.buf, i) >= sequence) {
      throw corrupt(pos, sequence, `record ${laterSequence} at offset ${q} shows that record ${sequence} had been synced`);
    }
  }
  return found;
}

const MAGIC_BYTES = Buffer.alloc(4);
MAGIC_BYTES.writeUInt32LE(RECORD_MAGIC, 0);

/**
 * The first 8-byte-aligned file offset >= q (q itself aligned) where the record
 * magic starts and a record header still fits, or -1. Records start at aligned
 * offsets, so no record can start elsewhere; searching with the native indexOf
 * instead of validating every aligned offset keeps recovery's walk over the
 * zero-preallocated tail of the log (usually all of what follows the last
 * record) at memory speed.
 */
function nextMagic(window: FileWindow, q: number): number {
  while (q + RECORD_HEADER_SIZE <= window.fileSize) {
    const base = window.ensure(q, RECORD_HEADER_SIZE);
    if (base < 0) return -1;
    const held = window.buf.subarray(0, window.length);
    let j = held.indexOf(MAGIC_BYTES, base);
    while (j >= 0 && (j - base) % 8 !== 0) j = held.indexOf(MAGIC_BYTES, j + 1);
    if (j >= 0) return q + (j - base) <= window.fileSize - RECORD_HEADER_SIZE ? q + (j - base) : -1;
    // No aligned magic starts in the window: go on from the first aligned
    // offset whose 4 magic bytes would not have fitted in it.
    q += Math.floor((held.length - base - 4) / 8) * 8 + 8;
  }
  return -1;
}

function corrupt(position: number, sequence: number, reason: string): RvmError {
  return new RvmError(
    'LOG_CORRUPT',
    `The log is damaged at offset ${position} (record ${sequence}): ${reason}. Committed data after this point cannot be recovered automatically; keep a copy of the directory and restore from a backup, or inspect it with \`rvm log\`.`,
    { position, sequence, reason },
  );
}
