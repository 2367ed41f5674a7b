/**
 * The files of a store directory as inspection sees them: the store file, the
 * segment files and the lock file. Nothing here creates or changes a file
 * (Rvm.open creates a missing store; inspection reports it as STORE_NOT_FOUND).
 */
import { LOCK_FILE_NAME, SEGMENT_FILE_SUFFIX, STORE_FILE_NAME, TEMP_FILE_SUFFIX } from '../constants.js';
import { RvmError } from '../errors.js';
import type { StoreMeta } from '../format/store-meta.js';
import { decodeStoreMeta, STORE_META_SIZE } from '../format/store-meta.js';
import { readFully } from '../storage/file-io.js';
import { inspectLockFile } from '../storage/node-storage.js';
import type { Storage } from '../storage/storage.js';
import { joinPath } from '../storage/storage.js';
import { readOnlyStorage } from './read-only-storage.js';

export interface SegmentFileInfo {
  readonly name: string;
  /** Bytes of the segment file: the segment's size. */
  readonly size: number;
}

export interface LockInfo {
  /** false when the storage is not the real file system, whose lock file cannot be read. */
  readonly checked: boolean;
  /** A live process holds the store (Rvm.open would fail with LOCKED). */
  readonly held: boolean;
  /** Who holds it (or held it, when a dead process left the file), as "pid N on host H since T". */
  readonly holder: string | null;
}

/** Reads and validates the store file; STORE_NOT_FOUND when `dir` or its store file does not exist. */
export function readStoreMeta(storage: Storage, dir: string): StoreMeta {
  if (!storage.exists(dir)) {
    throw new RvmError('STORE_NOT_FOUND', `${dir} does not exist. Check the path; Rvm.open creates a store, inspection never does.`, { dir, reason: 'no-directory' });
  }
  const path = joinPath(dir, STORE_FILE_NAME);
  if (!storage.exists(path)) {
    throw new RvmError('STORE_NOT_FOUND', `${dir} holds no RVM store (it has no "${STORE_FILE_NAME}" file). Check the path.`, { dir, path, reason: 'no-store-file' });
  }
  const fd = storage.open(path, false);
  try {
    // One byte more than the format's size, so that a longer file is seen as such.
    const buf = Buffer.alloc(STORE_META_SIZE + 1);
    const n = readFully(storage, fd, buf, 0, buf.length, 0);
    return decodeStoreMeta(buf.subarray(0, n), path);
  } finally {
    storage.close(fd);
  }
}

export interface StoreFileInfo {
  readonly formatVersion: number;
  /** 32 hex digits; every log header of the store carries it. */
  readonly storeId: string;
  /** When the store was created, in milliseconds since the epoch. */
  readonly createdAt: number;
}

/**
 * Checks that `dir` holds a store, reading only its store file: the cheap check
 * before Rvm.open, which would create a store where there is none.
 */
export function inspectStoreFile(dir: string, options: { readonly storage?: Storage } = {}): StoreFileInfo {
  const meta = readStoreMeta(readOnlyStorage(options.storage), dir);
  return { formatVersion: meta.version, storeId: meta.storeId.toString('hex'), createdAt: meta.createdAt };
}

/** Every `<name>.seg` file of the directory with its size, sorted by name. */
export function listSegmentFiles(storage: Storage, dir: string): SegmentFileInfo[] {
  const result: SegmentFileInfo[] = [];
  for (const entry of storage.list(dir).sort()) {
    if (!entry.endsWith(SEGMENT_FILE_SUFFIX)) continue;
    const fd = storage.open(joinPath(dir, entry), false);
    try {
      result.push({ name: entry.slice(0, -SEGMENT_FILE_SUFFIX.length), size: storage.size(fd) });
    } finally {
      storage.close(fd);
    }
  }
  return result;
}

/** Temporary files left by a creation that crashed; the next Rvm.open removes them. */
export function listTempFiles(storage: Storage, dir: string): string[] {
  return storage.list(dir).filter((entry) => entry.endsWith(TEMP_FILE_SUFFIX)).sort();
}

/** Reads the lock file; only meaningful on the real file system (`checked`). */
export function readLock(dir: string, realFileSystem: boolean): LockInfo {
  if (!realFileSystem) return { checked: false, held: false, holder: null };
  try {
    const lock = inspectLockFile(joinPath(dir, LOCK_FILE_NAME));
    return lock === null ? { checked: true, held: false, holder: null } : { checked: true, held: lock.held, holder: lock.holder };
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    return { checked: false, held: false, holder: `unknown (the lock file cannot be read: ${String(code ?? e)})` };
  }
}
