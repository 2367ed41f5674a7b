/**
 * readLogRecords: the records of a store's log, described (not their data),
 * optionally only those touching one segment or a range of offsets. Read like
 * inspectStore: no lock, no recovery, no writes.
 */
import { RvmError } from '../errors.js';
import type { ParsedRecord } from '../format/log-record.js';
import type { InspectOptions } from './inspect-store.js';
import type { LogSummary } from './log-snapshot.js';
import { consistentRead, scanLogOnce } from './log-snapshot.js';
import { readOnlyStorage } from './read-only-storage.js';
import { readStoreMeta } from './store-files.js';

export interface LogRangeInfo {
  readonly segment: string;
  /** Offset in the segment of the first byte the range writes. */
  readonly offset: number;
  readonly length: number;
}

export interface LogRecordInfo {
  readonly sequence: number;
  /** File offset of the record in the log. */
  readonly position: number;
  /** Bytes of the record, header included. */
  readonly size: number;
  /** Transactions merged into the record. */
  readonly commitCount: number;
  /** Highest sequence known to be synced when the record was written. */
  readonly durableSequence: number;
  /** Ranges in the record, including those the filter left out of `ranges`. */
  readonly rangeCount: number;
  /** Bytes of new values in the record, over all its ranges. */
  readonly dataSize: number;
  /** The ranges that match the filter (all of them without one), in record order. */
  readonly ranges: readonly LogRangeInfo[];
}

export interface LogFilter {
  /** Only ranges of this segment. */
  readonly segment?: string;
  /** Only ranges that end after this offset. */
  readonly offsetFrom?: number;
  /** Only ranges that start before this offset. */
  readonly offsetTo?: number;
}

export interface LogListing {
  /** null: the store has no log yet. */
  readonly log: LogSummary | null;
  /** The valid records with a range that matches the filter, in log order. */
  readonly records: readonly LogRecordInfo[];
  readonly stable: boolean;
}

/**
 * Lists the valid records of the log of `dir` (up to a torn tail or a corrupt
 * record, which `log` reports). A record matches when one of its ranges does.
 * Throws like inspectStore, and INVALID_ARGUMENT for a bad filter.
 */
export function readLogRecords(dir: string, options: InspectOptions & LogFilter = {}): LogListing {
  const offsetFrom = offsetOption(options.offsetFrom, 0, 'offsetFrom');
  const offsetTo = offsetOption(options.offsetTo, Number.MAX_SAFE_INTEGER, 'offsetTo');
  if (offsetTo < offsetFrom) throw new RvmError('INVALID_ARGUMENT', `offsetTo (${offsetTo}) is before offsetFrom (${offsetFrom}).`, { offsetFrom, offsetTo });
  const segment = options.segment;
  const storage = readOnlyStorage(options.storage);
  const meta = readStoreMeta(storage, dir);
  const progress = options.onProgress;
  const { value, stable } = consistentRead(storage, dir, () => {
    const records: LogRecordInfo[] = [];
    const log = scanLogOnce(storage, dir, meta.storeId, (record, position, fileSize) => {
      const info = describeRecord(record, position, segment, offsetFrom, offsetTo);
      if (info !== null) records.push(info);
      progress?.(position + record.recordSize, fileSize);
    });
    return { log, records };
  });
  return { ...value, stable };
}

/** The record's description, or null when none of its ranges matches. Copies no data. */
function describeRecord(record: ParsedRecord, position: number, segment: string | undefined, offsetFrom: number, offsetTo: number): LogRecordInfo | null {
  const ranges: LogRangeInfo[] = [];
  let dataSize = 0;
  for (const range of record.ranges) {
    const length = range.data.length;
    dataSize += length;
    if (segment !== undefined && range.segmentName !== segment) continue;
    if (range.offset + length <= offsetFrom || range.offset >= offsetTo) continue;
    ranges.push({ segment: range.segmentName, offset: range.offset, length });
  }
  if (ranges.length === 0) return null;
  return {
    sequence: record.sequence,
    position,
    size: record.recordSize,
    commitCount: record.commitCount,
    durableSequence: record.durableSequence,
    rangeCount: record.ranges.length,
    dataSize,
    ranges,
  };
}

function offsetOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RvmError('INVALID_ARGUMENT', `${name} must be a whole number of bytes, at least 0; got ${value}.`, { option: name, value });
  return value;
}
