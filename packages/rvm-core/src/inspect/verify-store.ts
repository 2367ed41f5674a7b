/**
 * verifyStore: checks a store directory without opening it, and says what is
 * wrong and where. It checks what recovery relies on:
 *
 *   check                                             problem code
 *   the store file: size, magic, checksum, version    STORE_CORRUPT, VERSION_MISMATCH
 *   a usable log header of this store                 LOG_CORRUPT, VERSION_MISMATCH
 *   every record: checksum, salt, size, sequence,     LOG_CORRUPT (at the first synced record
 *   body (scanLog, the scanner recovery uses)         that no longer validates)
 *   every segment a record writes has a file          SEGMENT_MISSING
 *   ... large enough for every range written to it    SEGMENT_SHORT
 *
 * A torn tail and leftover temporary files are what a crash leaves; they are
 * reported as notes, not problems: recovery handles them.
 */
import { LOG_FILE_NAME, SEGMENT_FILE_SUFFIX, STORE_FILE_NAME } from '../constants.js';
import type { RvmError } from '../errors.js';
import { isRvmError } from '../errors.js';
import type { StoreMeta } from '../format/store-meta.js';
import { joinPath } from '../storage/storage.js';
import type { InspectOptions } from './inspect-store.js';
import type { LogSummary } from './log-snapshot.js';
import { consistentRead, scanLogOnce } from './log-snapshot.js';
import { readOnlyStorage } from './read-only-storage.js';
import { listSegmentFiles, listTempFiles, readStoreMeta } from './store-files.js';

export type VerifyProblemCode = 'STORE_CORRUPT' | 'VERSION_MISMATCH' | 'LOG_CORRUPT' | 'SEGMENT_MISSING' | 'SEGMENT_SHORT';

export interface VerifyProblem {
  readonly code: VerifyProblemCode;
  /** One sentence: what is wrong, where, and what to do. */
  readonly message: string;
  /** The file the problem is in. */
  readonly path: string;
  /** File offset in the log of the record concerned. */
  readonly position?: number;
  /** Sequence number of the record concerned. */
  readonly sequence?: number;
  readonly segment?: string;
}

export interface StoreVerification {
  /** Empty when the store is sound. */
  readonly problems: readonly VerifyProblem[];
  /** Conditions a crash leaves and recovery handles (a torn tail, temporary files). */
  readonly notes: readonly string[];
  /** null when the store file or the log header could not be read. */
  readonly log: LogSummary | null;
  /** Segment files checked against the log. */
  readonly segmentCount: number;
}

/** What the log writes to one segment: the first record that does, and the one reaching furthest. */
interface SegmentUse {
  firstPosition: number;
  firstSequence: number;
  end: number;
  endPosition: number;
  endSequence: number;
}

/** Verifies the store in `dir`. Throws only STORE_NOT_FOUND (and I/O errors); everything else is a problem. */
export function verifyStore(dir: string, options: InspectOptions = {}): StoreVerification {
  const storage = readOnlyStorage(options.storage);
  const problems: VerifyProblem[] = [];
  const notes: string[] = [];
  let meta: StoreMeta;
  try {
    meta = readStoreMeta(storage, dir);
  } catch (e) {
    const code = isRvmError(e) ? e.code : null;
    if (code !== 'STORE_CORRUPT' && code !== 'VERSION_MISMATCH') throw e;
    problems.push({ code, message: (e as RvmError).message, path: joinPath(dir, STORE_FILE_NAME) });
    return { problems, notes, log: null, segmentCount: 0 };
  }
  const logPath = joinPath(dir, LOG_FILE_NAME);
  const progress = options.onProgress;
  let reading;
  try {
    reading = consistentRead(storage, dir, () => {
      const uses = new Map<string, SegmentUse>();
      const log = scanLogOnce(storage, dir, meta.storeId, (record, position, fileSize) => {
        for (const range of record.ranges) {
          const end = range.offset + range.data.length;
          const use = uses.get(range.segmentName);
          if (use === undefined) {
            uses.set(range.segmentName, { firstPosition: position, firstSequence: record.sequence, end, endPosition: position, endSequence: record.sequence });
          } else if (end > use.end) {
            use.end = end;
            use.endPosition = position;
            use.endSequence = record.sequence;
          }
        }
        progress?.(position + record.recordSize, fileSize);
      });
      // Listed after the scan, inside the same generation: segments never shrink and are
      // destroyed only after a truncation, so a size read now covers every range scanned.
      return { log, uses, segments: listSegmentFiles(storage, dir), tempFiles: listTempFiles(storage, dir) };
    });
  } catch (e) {
    const code = isRvmError(e) ? e.code : null;
    if (code !== 'LOG_CORRUPT' && code !== 'VERSION_MISMATCH') throw e;
    problems.push({ code, message: (e as RvmError).message, path: logPath });
    return { problems, notes, log: null, segmentCount: 0 };
  }
  const { log, uses, segments, tempFiles } = reading.value;
  if (!reading.stable) notes.push('the log was truncated by another process during every reading; run verify again when the store is idle');
  if (log === null) notes.push('the store has no log yet (its creation stopped before writing it); the next open creates it');
  if (log?.corruption != null) {
    const { position, sequence, reason } = log.corruption;
    problems.push({
      code: 'LOG_CORRUPT',
      message: `log record ${sequence} at offset ${position} is damaged: ${reason}. Recovery refuses this log; keep a copy of the directory and restore from a backup.`,
      path: logPath, position, sequence,
    });
  }
  if (log?.tornTail === true) {
    notes.push(`torn tail at log offset ${log.endOffset}: a write a crash interrupted, never synced; recovery discards it`);
  }
  const sizes = new Map(segments.map((s) => [s.name, s.size]));
  for (const [segment, use] of uses) {
    const path = joinPath(dir, segment + SEGMENT_FILE_SUFFIX);
    const size = sizes.get(segment);
    if (size === undefined) {
      problems.push({
        code: 'SEGMENT_MISSING',
        message: `segment "${segment}" has no file ${path}, but log record ${use.firstSequence} at offset ${use.firstPosition} writes to it. Restore the file from a backup.`,
        path, position: use.firstPosition, sequence: use.firstSequence, segment,
      });
    } else if (size < use.end) {
      problems.push({
        code: 'SEGMENT_SHORT',
        message: `segment "${segment}" has ${size} bytes, but log record ${use.endSequence} at offset ${use.endPosition} writes up to byte ${use.end}. The file was shortened or replaced; restore it from a backup.`,
        path, position: use.endPosition, sequence: use.endSequence, segment,
      });
    }
  }
  for (const name of tempFiles) notes.push(`temporary file ${name} left by an interrupted creation; the next open removes it`);
  return { problems, notes, log, segmentCount: segments.length };
}
