/**
 * The only way rvm-core touches the file system. The Node implementation
 * (node-storage.ts) is the default; the simulated storage (sim-storage.ts)
 * implements the same contract in memory with crashes and injected faults.
 *
 * Contract (what the core relies on, and what a crash may do):
 * - `write` and `resize` are buffered: after a crash each one that was not
 *   followed by a `sync` of its file may be kept, lost, or (write only) torn at
 *   512-byte sector granularity.
 * - `sync(fd)` is fdatasync: when it returns, the file's bytes and size are durable,
 *   except data an earlier failed sync of the file lost: Linux reports a failed
 *   writeback once to each open file description and marks the pages clean,
 *   so a later sync through the same fd can succeed without writing them.
 * - `create`/`rename`/`remove` of a directory entry are durable only after
 *   `syncDir` of the directory that holds it.
 * - Errors are thrown as objects with an errno-style string `code`
 *   ('ENOENT', 'EEXIST', 'EIO', 'ENOSPC', ...). The core maps them to RvmError.
 * - Paths are plain strings joined with '/'.
 */
export type FileHandle = number;

export interface Storage {
  /** Opens an existing file for reading and writing, or creates an empty one when `create` is set. Throws ENOENT otherwise. */
  open(path: string, create: boolean): FileHandle;
  /**
   * Releases `fd`. While a syncAsync of it is in flight the release may wait
   * for that sync's callback, but the fd must not be used by the caller
   * again; its number must not be handed out by open() before the sync has
   * run, so the sync never lands on another file.
   */
  close(fd: FileHandle): void;
  /** Reads up to `length` bytes at `position`; returns the count read (short only at end of file). */
  read(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number;
  /** Writes up to `length` bytes at `position`, extending the file if needed; returns the count written (may be short). */
  write(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number;
  /** fdatasync: the file's data and size are durable when this returns. */
  sync(fd: FileHandle): void;
  /**
   * fdatasync without blocking the event loop: `callback` runs later with null
   * or the error. What is durable on success is at least everything written
   * before the call.
   */
  syncAsync(fd: FileHandle, callback: (error: Error | null) => void): void;
  /** Current size in bytes (including unsynced writes). */
  size(fd: FileHandle): number;
  /** ftruncate: sets the file size, zero-filling when it grows. */
  resize(fd: FileHandle, size: number): void;
  exists(path: string): boolean;
  /** Creates a directory and its parents; no error when it exists. */
  mkdir(path: string): void;
  /** Names of the entries of a directory. */
  list(dir: string): string[];
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): void;
  remove(path: string): void;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDir(dir: string): void;
  /**
   * Takes an exclusive, process-wide lock named by `path` (a file inside the store
   * directory). Throws an error with code 'ELOCKED' (and `holder`, a description
   * of the owner) when another process or another open in this process holds it.
   * A lock whose holder died, even by SIGKILL, is free again.
   */
  lock(path: string): void;
  unlock(path: string): void;
}

export const SECTOR_SIZE = 512;

/** Joins path parts with '/'. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
