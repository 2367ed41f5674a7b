/**
 * inspectStore: what is in a store directory, read without opening the store.
 * It takes no lock, recovers nothing and writes nothing (see read-only-storage.ts),
 * so it works while another process has the store open, and what it reports
 * is what Rvm.open would find if that process crashed now.
 */
import type { Storage } from '../storage/storage.js';
import type { LogSummary } from './log-snapshot.js';
import { consistentRead, scanLogOnce } from './log-snapshot.js';
import { readOnlyStorage } from './read-only-storage.js';
import type { LockInfo, SegmentFileInfo } from './store-files.js';
import { listSegmentFiles, listTempFiles, readLock, readStoreMeta } from './store-files.js';

export interface InspectOptions {
  /** The file system to read; the real one by default. Only reads are ever issued. */
  readonly storage?: Storage;
  /** Called as the log is scanned: bytes of the log file read so far, and the file's size. */
  readonly onProgress?: (doneSize: number, totalSize: number) => void;
}

export interface StoreInspection {
  readonly dir: string;
  readonly formatVersion: number;
  /** 32 hex digits; every log header of the store carries it. */
  readonly storeId: string;
  /** When the store was created, in milliseconds since the epoch. */
  readonly createdAt: number;
  /** null: no log yet (the store's creation stopped before writing it). */
  readonly log: LogSummary | null;
  readonly segments: readonly SegmentFileInfo[];
  /** Leftovers of creations a crash interrupted; the next open removes them. */
  readonly tempFiles: readonly string[];
  readonly lock: LockInfo;
  /** false: the log was truncated during every attempt to read it, so log and segments may not match. */
  readonly stable: boolean;
}

/**
 * Reads the store in `dir`. Throws STORE_NOT_FOUND (no directory or no store
 * file), STORE_CORRUPT or VERSION_MISMATCH (store file), LOG_CORRUPT or
 * VERSION_MISMATCH (a log header that cannot be used). A damaged record is
 * not thrown: it is reported in `log.corruption`.
 */
export function inspectStore(dir: string, options: InspectOptions = {}): StoreInspection {
  const storage = readOnlyStorage(options.storage);
  const meta = readStoreMeta(storage, dir);
  const progress = options.onProgress;
  const { value, stable } = consistentRead(storage, dir, () => ({
    log: scanLogOnce(storage, dir, meta.storeId, progress === undefined ? null : (record, position, fileSize) => progress(position + record.recordSize, fileSize)),
    segments: listSegmentFiles(storage, dir),
    tempFiles: listTempFiles(storage, dir),
  }));
  return {
    dir,
    formatVersion: meta.version,
    storeId: meta.storeId.toString('hex'),
    createdAt: meta.createdAt,
    ...value,
    lock: readLock(dir, options.storage === undefined),
    stable,
  };
}
