/**
 * readSegmentBytes: bytes of a segment as a recovery would leave them (the
 * segment file with the valid log records written over it, in log order) or,
 * with `fromLog: false`, as the file holds them. Read like inspectStore: no
 * lock, no recovery, no writes; the log is applied to a copy in memory.
 */
import { SEGMENT_FILE_SUFFIX, SEGMENT_NAME_PATTERN } from '../constants.js';
import { RvmError } from '../errors.js';
import { readFully } from '../storage/file-io.js';
import type { Storage } from '../storage/storage.js';
import { joinPath } from '../storage/storage.js';
import type { InspectOptions } from './inspect-store.js';
import type { LogSummary } from './log-snapshot.js';
import { consistentRead, scanLogOnce } from './log-snapshot.js';
import { readOnlyStorage } from './read-only-storage.js';
import { readStoreMeta } from './store-files.js';

export interface SegmentBytesOptions extends InspectOptions {
  /** First byte to read. Default 0. */
  readonly offset?: number;
  /** Bytes to read; fewer when the segment ends first. Default: to the end of the segment. */
  readonly length?: number;
  /** Write the valid records of the log over the file's bytes, as recovery would. Default true. */
  readonly fromLog?: boolean;
}

export interface SegmentBytes {
  readonly segment: string;
  /** Bytes of the segment file. */
  readonly size: number;
  readonly offset: number;
  /** The bytes read: [offset, offset + bytes.length). */
  readonly bytes: Buffer;
  /** Log records with a range inside the bytes read (applied when fromLog). */
  readonly recordCount: number;
  /** null when the log was not read (fromLog false) or the store has none. */
  readonly log: LogSummary | null;
  readonly stable: boolean;
}

/** Throws STORE_NOT_FOUND, SEGMENT_NOT_FOUND, OUT_OF_RANGE (offset past the end), INVALID_ARGUMENT, or like inspectStore. */
export function readSegmentBytes(dir: string, segment: string, options: SegmentBytesOptions = {}): SegmentBytes {
  if (!SEGMENT_NAME_PATTERN.test(segment)) throw new RvmError('INVALID_NAME', `${JSON.stringify(segment)} is not a segment name.`, { segment });
  const offset = wholeOption(options.offset, 0, 'offset');
  const storage = readOnlyStorage(options.storage);
  const meta = readStoreMeta(storage, dir);
  const fromLog = options.fromLog !== false;
  const progress = options.onProgress;
  const { value, stable } = consistentRead(storage, dir, () => {
    const { size, bytes } = readFile(storage, dir, segment, offset, options.length);
    const end = offset + bytes.length;
    let recordCount = 0;
    const log = !fromLog ? null : scanLogOnce(storage, dir, meta.storeId, (record, position, fileSize) => {
      let touched = false;
      for (const range of record.ranges) {
        if (range.segmentName !== segment) continue;
        const from = Math.max(range.offset, offset);
        const to = Math.min(range.offset + range.data.length, end);
        if (from >= to) continue;
        range.data.copy(bytes, from - offset, from - range.offset, to - range.offset);
        touched = true;
      }
      if (touched) recordCount++;
      progress?.(position + record.recordSize, fileSize);
    });
    return { size, bytes, recordCount, log };
  });
  return { segment, offset, ...value, stable };
}

function readFile(storage: Storage, dir: string, segment: string, offset: number, lengthOption: number | undefined): { size: number; bytes: Buffer } {
  const path = joinPath(dir, segment + SEGMENT_FILE_SUFFIX);
  if (!storage.exists(path)) throw new RvmError('SEGMENT_NOT_FOUND', `Segment "${segment}" does not exist in ${dir} (no file ${path}).`, { segment, path });
  const fd = storage.open(path, false);
  try {
    const size = storage.size(fd);
    if (offset > size) throw new RvmError('OUT_OF_RANGE', `Offset ${offset} is past the end of segment "${segment}" (${size} bytes).`, { segment, offset, size });
    const length = Math.min(wholeOption(lengthOption, size - offset, 'length'), size - offset);
    const bytes = Buffer.alloc(length);
    const n = readFully(storage, fd, bytes, 0, length, offset);
    if (n !== length) throw Object.assign(new Error(`segment file ${path} is shorter than its size`), { code: 'EIO' });
    return { size, bytes };
  } finally {
    storage.close(fd);
  }
}

function wholeOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RvmError('INVALID_ARGUMENT', `${name} must be a whole number of bytes, at least 0; got ${value}.`, { option: name, value });
  return value;
}
