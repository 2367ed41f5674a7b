/**
 * A sliding read window over a file, so the log can be scanned record by record
 * without reading it whole or issuing one read per record. The buffer is
 * reused and grows only to hold the largest record seen.
 */
import { readFully } from '../storage/file-io.js';
import type { FileHandle, Storage } from '../storage/storage.js';

const WINDOW_SIZE = 4 * 1024 * 1024;

export class FileWindow {
  buf: Buffer = Buffer.allocUnsafe(WINDOW_SIZE);
  /** File offset of buf[0]. */
  private start = 0;
  /** File offset one past the last valid byte in buf. */
  private end = 0;

  constructor(
    private readonly storage: Storage,
    private readonly fd: FileHandle,
    readonly fileSize: number,
  ) {}

  /**
   * Makes file bytes [pos, pos + length) available in `buf` and returns the
   * index of `pos` in it, or -1 when the file ends before pos + length.
   */
  /** Bytes of the file held in `buf` from index 0 (the last ensure's window). */
  get length(): number {
    return this.end - this.start;
  }

  ensure(pos: number, length: number): number {
    if (pos >= this.start && pos + length <= this.end) return pos - this.start;
    if (pos + length > this.fileSize) return -1;
    if (length > this.buf.length) this.buf = Buffer.allocUnsafe(length);
    const want = Math.min(this.buf.length, this.fileSize - pos);
    const got = readFully(this.storage, this.fd, this.buf, 0, want, pos);
    this.start = pos;
    this.end = pos + got;
    return got >= length ? 0 : -1;
  }
}
