/**
 * Whole-buffer reads and writes over the Storage interface. Storage.write may
 * write less than asked (a full disk, a signal); these loop until done and
 * turn "no progress" into ENOSPC / a short read into an explicit count.
 */
import type { FileHandle, Storage } from './storage.js';

/** Writes buf[start, end) at `position`, looping over short writes. */
export function writeFully(storage: Storage, fd: FileHandle, buf: Uint8Array, start: number, end: number, position: number): void {
  while (start < end) {
    const written = storage.write(fd, buf, start, end - start, position);
    if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'ENOSPC' });
    start += written;
    position += written;
  }
}

/** Reads up to `length` bytes at `position` into buf[start..]; returns the count read (less only at end of file). */
export function readFully(storage: Storage, fd: FileHandle, buf: Uint8Array, start: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = storage.read(fd, buf, start + done, length - done, position + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}
