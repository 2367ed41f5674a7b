/**
 * Applies redo ranges to segment files: the shared last step of recovery and
 * truncation. Adjacent ranges of the same segment are combined into one write;
 * every file written is synced by finish() before the caller may reset the log.
 */
import { SEGMENT_FILE_SUFFIX } from '../constants.js';
import { RvmError } from '../errors.js';
import { writeFully } from '../storage/file-io.js';
import type { FileHandle, Storage } from '../storage/storage.js';
import { joinPath } from '../storage/storage.js';

const STAGING_SIZE = 1024 * 1024;

interface SegmentFile {
  fd: FileHandle;
  size: number;
  /** Whether this applier opened the fd (and must close it). */
  owned: boolean;
}

export class SegmentApplier {
  private readonly files = new Map<string, SegmentFile>();
  private readonly staging = Buffer.allocUnsafe(STAGING_SIZE);
  private stagedFile: SegmentFile | null = null;
  private stagedOffset = 0;
  private stagedSize = 0;
  bytesApplied = 0;

  /** `openFds` maps the names of mapped segments to their open fds (reused, not closed). */
  constructor(
    private readonly storage: Storage,
    private readonly dir: string,
    private readonly openFds: ReadonlyMap<string, FileHandle>,
  ) {}

  apply(name: string, offset: number, data: Buffer): void {
    const file = this.file(name);
    if (offset + data.length > file.size) {
      throw new RvmError('LOG_CORRUPT', `The log writes bytes ${offset}..${offset + data.length} of segment "${name}", which has only ${file.size} bytes. The segment file was shortened or replaced; restore it from a backup.`, { segment: name, offset, length: data.length, size: file.size });
    }
    this.bytesApplied += data.length;
    if (this.stagedFile === file && this.stagedOffset + this.stagedSize === offset && this.stagedSize + data.length <= STAGING_SIZE) {
      data.copy(this.staging, this.stagedSize);
      this.stagedSize += data.length;
      return;
    }
    this.writeStaged();
    if (data.length >= STAGING_SIZE) {
      writeFully(this.storage, file.fd, data, 0, data.length, offset);
      return;
    }
    data.copy(this.staging, 0);
    this.stagedFile = file;
    this.stagedOffset = offset;
    this.stagedSize = data.length;
  }

  /** Writes what is staged, syncs every segment file written, closes the files it opened. */
  finish(): number {
    this.writeStaged();
    for (const file of this.files.values()) this.storage.sync(file.fd);
    this.close();
    return this.files.size;
  }

  /** Closes the files it opened without syncing (after an error). */
  close(): void {
    for (const file of this.files.values()) {
      if (!file.owned) continue;
      file.owned = false;
      try {
        this.storage.close(file.fd);
      } catch {
        // Closing after a failure: the original error is the one worth reporting.
      }
    }
  }

  private writeStaged(): void {
    const file = this.stagedFile;
    if (file === null) return;
    writeFully(this.storage, file.fd, this.staging, 0, this.stagedSize, this.stagedOffset);
    this.stagedFile = null;
    this.stagedSize = 0;
  }

  private file(name: string): SegmentFile {
    let file = this.files.get(name);
    if (file !== undefined) return file;
    const open = this.openFds.get(name);
    let fd: FileHandle;
    if (open !== undefined) {
      fd = open;
    } else {
      const path = joinPath(this.dir, name + SEGMENT_FILE_SUFFIX);
      if (!this.storage.exists(path)) {
        throw new RvmError('SEGMENT_MISSING', `The log holds committed changes to segment "${name}", but ${path} is missing. Restore the file from a backup; the store cannot open without it.`, { segment: name, path });
      }
      fd = this.storage.open(path, false);
    }
    file = { fd, size: this.storage.size(fd), owned: open === undefined };
    this.files.set(name, file);
    return file;
  }
}
