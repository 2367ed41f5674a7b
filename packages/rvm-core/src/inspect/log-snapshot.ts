/**
 * One reading of the log of a store that another process may have open.
 *
 * The log is scanned with the same code recovery uses (RedoLog.open picks the
 * header, scanLog validates every record and applies its torn-tail decision
 * table), so inspection and recovery cannot disagree about where the log ends
 * or whether it is corrupt. What differs: LOG_CORRUPT from the scan is a
 * finding, returned with its position, not an error.
 *
 * A live writer can truncate while we read. A truncation writes the next
 * header before any record of the new generation, and generations only grow,
 * so a reading is consistent when the current generation is the same before
 * and after it. Without this check, a record of the new generation written
 * over the first record of the old one would make the old records behind it
 * look like proof that a synced record was damaged: a false LOG_CORRUPT.
 * consistentRead repeats a reading until it sees one generation throughout.
 * Records appended meanwhile are harmless: the scan sees a prefix of them, or
 * a half-written one as a torn tail, which is what a crash at that instant
 * would leave.
 */
import { LOG_FILE_NAME } from '../constants.js';
import { assert, isRvmError } from '../errors.js';
import { decodeLogHeader, LOG_HEADER_SLOT_SIZE, LOG_RECORDS_OFFSET } from '../format/log-header.js';
import type { ParsedRecord } from '../format/log-record.js';
import { R_MAGIC, R_SALT, RECORD_HEADER_SIZE, RECORD_MAGIC } from '../format/log-record.js';
import { scanLog } from '../log/log-scanner.js';
import { RedoLog } from '../log/redo-log.js';
import { readFully } from '../storage/file-io.js';
import type { FileHandle, Storage } from '../storage/storage.js';
import { joinPath } from '../storage/storage.js';

export interface LogCorruption {
  /** File offset of the first record that does not validate. */
  readonly position: number;
  /** The sequence number expected there. */
  readonly sequence: number;
  readonly reason: string;
}

export interface LogSummary {
  /** Bytes of the log file, header area and preallocated zeros included. */
  readonly fileSize: number;
  readonly generation: number;
  /** Log format version of the generation (LOG_FORMAT_VERSION, or an older one recovery will replace). */
  readonly version: number;
  readonly salt: number;
  /** Sequence number of the first record of the generation. */
  readonly startSequence: number;
  /** Valid records of the generation: those recovery would apply. */
  readonly recordCount: number;
  /** Bytes of those records (the log size since the last truncation). */
  readonly recordsSize: number;
  /** File offset one past the last valid record: where the log ends. */
  readonly endOffset: number;
  /** Sequence number the next record will carry. */
  readonly nextSequence: number;
  /** What follows the last valid record; see LogTail. */
  readonly tail: LogTail;
  /** tail === 'torn': a record of this generation that does not validate, and nothing shows it was synced. */
  readonly tornTail: boolean;
  /** A record that had been synced no longer validates; recovery refuses the log (LOG_CORRUPT). */
  readonly corruption: LogCorruption | null;
}

/**
 * What the log holds after its last valid record. scanLog's `tornTail` says
 * only whether recovery must start a new generation there, so inspection
 * looks at the bytes itself:
 *
 *   tail       bytes at the end of the valid records
 *   'end'      none: the file ends there
 *   'zeros'    a zero record header: preallocated space, the log ended cleanly
 *   'stale'    something else that is not a record of this generation: records
 *              of an earlier generation (normal after a truncation), or a torn
 *              write whose first sector never reached the disk
 *   'torn'     magic and salt of this generation, yet invalid (checksum, size
 *              or sequence): a write a crash interrupted
 *   'corrupt'  the scan stopped at a damaged record that had been synced
 */
export type LogTail = 'end' | 'zeros' | 'stale' | 'torn' | 'corrupt';

/** Called for each valid record; `record.ranges[i].data` is valid only during the call. */
export type RecordVisitor = (record: ParsedRecord, position: number, fileSize: number) => void;

/** Readings that saw the generation change before giving up on a stable one. */
const ATTEMPT_COUNT_MAX = 8;

/**
 * Runs `read` until the log generation is the same before and after it (at most
 * ATTEMPT_COUNT_MAX times); `stable` is false when it never was. An error thrown
 * by a reading that raced a truncation is retried too.
 */
export function consistentRead<T>(storage: Storage, dir: string, read: () => T): { value: T; stable: boolean } {
  const logPath = joinPath(dir, LOG_FILE_NAME);
  for (let attempt = 1; ; attempt++) {
    const before = currentGeneration(storage, logPath);
    let value: T | undefined;
    let failure: { error: unknown } | null = null;
    try {
      value = read();
    } catch (e) {
      failure = { error: e };
    }
    const stable = currentGeneration(storage, logPath) === before;
    if (stable || attempt === ATTEMPT_COUNT_MAX) {
      if (failure !== null) throw failure.error;
      return { value: value as T, stable };
    }
  }
}

/**
 * Scans the log of `dir` once. Returns null when there is no log yet (a store
 * whose creation stopped before the log was written). Throws LOG_CORRUPT or
 * VERSION_MISMATCH for a log whose header cannot be used.
 */
export function scanLogOnce(storage: Storage, dir: string, storeId: Buffer, visit: RecordVisitor | null): LogSummary | null {
  const logPath = joinPath(dir, LOG_FILE_NAME);
  if (!storage.exists(logPath)) return null;
  const log = RedoLog.open(storage, logPath, storeId);
  if (log === null) return null;
  try {
    const fileSize = storage.size(log.fd);
    const { generation, version, salt, startSequence } = log.header;
    let recordCount = 0;
    try {
      const result = scanLog(storage, log.fd, fileSize, log.header, -1, (record, position) => {
        recordCount++;
        visit?.(record, position, fileSize);
      });
      assert(result.recordCount === recordCount, 'the scan reports the records it visited');
      const tail = result.endOffset < fileSize ? classifyTail(storage, log.fd, result.endOffset, salt) : 'end';
      return {
        fileSize, generation, version, salt, startSequence, recordCount,
        recordsSize: result.endOffset - LOG_RECORDS_OFFSET,
        endOffset: result.endOffset,
        nextSequence: result.nextSequence,
        tail,
        tornTail: tail === 'torn',
        corruption: null,
      };
    } catch (e) {
      if (!isRvmError(e, 'LOG_CORRUPT')) throw e;
      const { position, sequence, reason } = e.details;
      assert(typeof position === 'number' && typeof sequence === 'number' && typeof reason === 'string', 'the scanner reports where the log is corrupt');
      return {
        fileSize, generation, version, salt, startSequence, recordCount,
        recordsSize: position - LOG_RECORDS_OFFSET,
        endOffset: position,
        nextSequence: sequence,
        tail: 'corrupt',
        tornTail: false,
        corruption: { position, sequence, reason },
      };
    }
  } finally {
    log.close();
  }
}

/** Classifies the bytes at `position`, where the valid records end and the file does not. */
function classifyTail(storage: Storage, fd: FileHandle, position: number, salt: number): LogTail {
  const head = Buffer.alloc(RECORD_HEADER_SIZE);
  const n = readFully(storage, fd, head, 0, head.length, position);
  if (n === 0) return 'end';
  if (head.every((byte) => byte === 0)) return 'zeros';
  if (n >= R_SALT + 4 && head.readUInt32LE(R_MAGIC) === RECORD_MAGIC && head.readUInt32LE(R_SALT) === salt >>> 0) return 'torn';
  return 'stale';
}

/** The highest generation among the valid header slots; 0 when none is valid, -1 without a log file. */
function currentGeneration(storage: Storage, logPath: string): number {
  if (!storage.exists(logPath)) return -1;
  let fd;
  try {
    fd = storage.open(logPath, false);
  } catch {
    return -1;
  }
  try {
    const buf = Buffer.alloc(LOG_HEADER_SLOT_SIZE * 2);
    readFully(storage, fd, buf, 0, buf.length, 0);
    let generation = 0;
    for (let slot = 0; slot < 2; slot++) {
      const check = decodeLogHeader(buf.subarray(slot * LOG_HEADER_SLOT_SIZE, (slot + 1) * LOG_HEADER_SLOT_SIZE), slot);
      if (check.ok) generation = Math.max(generation, check.header.generation);
    }
    return generation;
  } finally {
    storage.close(fd);
  }
}
