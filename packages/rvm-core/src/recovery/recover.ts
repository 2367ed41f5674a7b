/**
 * Recovery at open: replays every valid record of the current log generation
 * into the segment files, syncs them, and starts a new log generation.
 *
 * Idempotent: records hold new values, so replaying them again after a crash
 * during recovery (or during truncation, which runs the same steps) writes the
 * same bytes. The log is reset only after the segment files are synced, so a
 * crash at any point leaves either the old log (replayed again at the next
 * open) or the new empty one with everything already in the segment files.
 */
import { LOG_FORMAT_VERSION } from '../constants.js';
import { LOG_RECORDS_OFFSET } from '../format/log-header.js';
import type { RedoLog } from '../log/redo-log.js';
import { scanLog } from '../log/log-scanner.js';
import type { FileHandle, Storage } from '../storage/storage.js';
import { SegmentApplier } from './segment-applier.js';

export interface ApplyResult {
  readonly recordCount: number;
  readonly logBytes: number;
  readonly bytesApplied: number;
  readonly segmentsWritten: number;
  readonly tornTail: boolean;
}

/**
 * Applies the records of `log` to the segment files. With `knownEnd` < 0 (recovery)
 * the end of the log is found by validation; otherwise every record up to
 * knownEnd must be valid. Resets the log when anything was found.
 */
export function applyLog(storage: Storage, dir: string, log: RedoLog, fileSize: number, knownEnd: number, openFds: ReadonlyMap<string, FileHandle>): ApplyResult {
  const applier = new SegmentApplier(storage, dir, openFds);
  let result;
  try {
    result = scanLog(storage, log.fd, fileSize, log.header, knownEnd, (record) => {
      for (const range of record.ranges) applier.apply(range.segmentName, range.offset, range.data);
    });
  } catch (e) {
    applier.close();
    throw e;
  }
  const segmentsWritten = applier.finish();
  // Reset after a torn tail too: records of this generation after the end
  // found here (proved unsynced) must never chain onto records written next.
  // Zeros and records of earlier generations need no reset: their salt differs.
  // A generation of an older log format is closed too: records are written in
  // LOG_FORMAT_VERSION only, and the new header tells older libraries to stay away.
  if (result.recordCount > 0 || result.tornTail || log.header.version !== LOG_FORMAT_VERSION) {
    log.setEnd(result.endOffset, result.nextSequence);
    log.reset();
  }
  return {
    recordCount: result.recordCount,
    logBytes: result.endOffset - LOG_RECORDS_OFFSET,
    bytesApplied: applier.bytesApplied,
    segmentsWritten,
    tornTail: result.tornTail,
  };
}
