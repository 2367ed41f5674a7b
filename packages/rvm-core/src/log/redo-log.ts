/**
 * The redo log file: its header slots (format/log-header.ts), the append
 * position, sequence numbers, and the batch of commits not yet written.
 *
 * Invariants:
 * - syncedSequence <= writtenSequence < nextSequence.
 * - Records of the current generation occupy [LOG_RECORDS_OFFSET, tail) without gaps.
 * - A record is written only after the header of its generation was synced.
 * - durableSequence in a record is syncedSequence at the time it is written.
 * - Synchronous syncs go through `syncFd`, asynchronous ones through `fd`
 *   (see syncFd for why).
 */
import { randomBytes } from 'node:crypto';
import { LOG_FORMAT_VERSION, LOG_FORMAT_VERSION_MIN } from '../constants.js';
import { RvmError, assert } from '../errors.js';
import type { LogHeader } from '../format/log-header.js';
import { decodeLogHeader, encodeLogHeader, LOG_HEADER_SLOT_SIZE, LOG_RECORDS_OFFSET } from '../format/log-header.js';
import { checkRecord, RECORD_HEADER_SIZE, RecordCheck, recordSequence, R_SALT, recordSize } from '../format/log-record.js';
import { readFully, writeFully } from '../storage/file-io.js';
import type { FileHandle, Storage } from '../storage/storage.js';
import { CommitBatch } from './commit-batch.js';

export class RedoLog {
  readonly batch = new CommitBatch();
  private out = Buffer.allocUnsafe(OUT_SIZE_INITIAL);
  private readonly headerBuf = Buffer.alloc(LOG_HEADER_SLOT_SIZE);

  /** File offset where the next record goes. */
  tail = LOG_RECORDS_OFFSET;
  /**
   * Bytes of the file written so far (zeros past the records). Records are
   * written over bytes that already exist whenever possible: an fdatasync
   * after an append must also commit the file's new size and block
   * allocation to the file system journal, which costs several times more
   * than syncing data written in place. The file never shrinks, so after the
   * first generation every record is an overwrite.
   */
  private allocatedSize: number;
  nextSequence: number;
  writtenSequence: number;
  syncedSequence: number;

  /**
   * A second open file description of the log, through which every
   * synchronous sync (sync, reset) goes, while syncAsync (on the thread pool)
   * uses `fd`. Why: when writeback fails, Linux reports the error once to
   * each open file description and marks the pages clean, so a later fsync
   * succeeds without writing them. Were both kinds of sync issued through one
   * description, an asynchronous sync in flight could take the error of
   * records it failed to write while a synchronous sync (a flush commit,
   * flush, truncate, close) returns success without writing them: they would
   * be reported durable, and so would the later records, which recovery never
   * reaches because it stops at the first missing one.
   * Through its own description a synchronous sync reports every failure
   * since its previous sync, whichever sync met it, so its success means that
   * every record written before it is durable.
   */
  private readonly syncFd: FileHandle;
  private syncAsyncInFlightFlag = false;

  private constructor(
    private readonly storage: Storage,
    readonly fd: FileHandle,
    readonly path: string,
    public header: LogHeader,
  ) {
    // Opened before any record of this instance is written, so no failure to write one can precede it.
    this.syncFd = storage.open(path, false);
    this.nextSequence = header.startSequence;
    this.writtenSequence = header.startSequence - 1;
    this.syncedSequence = header.startSequence - 1;
    this.allocatedSize = storage.size(fd);
  }

  /** Creates a new log file with generation 1 and syncs it (the caller syncs the directory). */
  static create(storage: Storage, path: string, storeId: Buffer): RedoLog {
    const fd = storage.open(path, true);
    storage.resize(fd, 0);
    const header: LogHeader = { version: LOG_FORMAT_VERSION, slot: 1, salt: randomSalt(), generation: 1, startSequence: 1, storeId };
    const area = Buffer.alloc(LOG_RECORDS_OFFSET);
    encodeLogHeader(area.subarray(LOG_HEADER_SLOT_SIZE), header);
    writeFully(storage, fd, area, 0, LOG_RECORDS_OFFSET, 0);
    storage.sync(fd);
    try {
      return new RedoLog(storage, fd, path, header);
    } catch (e) {
      storage.close(fd);
      throw e;
    }
  }

  /**
   * Opens an existing log and picks its current header. Returns null when the
   * file holds no valid header and is no longer than the header area: a
   * creation that crashed before any record could be written (the caller
   * creates the log anew).
   */
  static open(storage: Storage, path: string, storeId: Buffer): RedoLog | null {
    const fd = storage.open(path, false);
    try {
      const fileSize = storage.size(fd);
      const buf = Buffer.alloc(LOG_HEADER_SLOT_SIZE * 2);
      readFully(storage, fd, buf, 0, buf.length, 0);
      const slot0 = decodeLogHeader(buf.subarray(0, LOG_HEADER_SLOT_SIZE), 0);
      const slot1 = decodeLogHeader(buf.subarray(LOG_HEADER_SLOT_SIZE), 1);
      for (const check of [slot0, slot1]) {
        if (!check.ok && check.reason === 'version') {
          throw new RvmError('VERSION_MISMATCH', `${path} has format version ${check.version}; this library reads another version. Use a matching library version.`, { path, version: check.version });
        }
      }
      let header: LogHeader;
      if (slot0.ok && slot1.ok) header = slot0.header.generation > slot1.header.generation ? slot0.header : slot1.header;
      else if (slot0.ok) header = slot0.header;
      else if (slot1.ok) header = slot1.header;
      else if (fileSize <= LOG_RECORDS_OFFSET) {
        storage.close(fd);
        return null;
      } else {
        throw new RvmError('LOG_CORRUPT', `${path} has no valid header (both copies are damaged). Restore the directory from a backup.`, { path, reason: 'header' });
      }
      if (!header.storeId.equals(storeId)) {
        throw new RvmError('LOG_CORRUPT', `${path} belongs to another store (its store id differs from the store file). Put the right log back; this store's data cannot be recovered with it.`, { path, reason: 'foreign-log' });
      }
      const other = header.slot === 0 ? slot1 : slot0;
      if (!other.ok) checkNewerHeaderNotLost(storage, fd, fileSize, header, path);
      return new RedoLog(storage, fd, path, header);
    } catch (e) {
      storage.close(fd);
      throw e;
    }
  }

  /** Sets the append position after the scan at open found where the log ends. */
  setEnd(tail: number, nextSequence: number): void {
    assert(tail >= LOG_RECORDS_OFFSET && tail % 8 === 0, 'log end is aligned and after the header');
    assert(nextSequence >= this.header.startSequence, 'log end sequence is in the generation');
    this.tail = tail;
    this.nextSequence = nextSequence;
    this.writtenSequence = nextSequence - 1;
    // Records found on disk at open are treated as synced: recovery applies
    // them and resets the log before anything new is written.
    this.syncedSequence = nextSequence - 1;
  }

  /** Bytes of records in the current generation. */
  get recordsSize(): number {
    return this.tail - LOG_RECORDS_OFFSET;
  }

  /** Writes the batch as one record at the tail (not synced) and clears it. */
  writeBatch(): void {
    const batch = this.batch;
    if (batch.isEmpty()) return;
    const sizeMax = batch.encodedSizeMax();
    if (this.out.length < sizeMax) this.out = Buffer.allocUnsafe(Math.max(sizeMax, this.out.length * 2));
    const size = batch.encode(this.out, this.header.salt, this.nextSequence, this.syncedSequence);
    const headSize = size - batch.detachedSize;
    assert(headSize <= sizeMax && size % 8 === 0, 'encoded record fits the size bound and is aligned');
    if (this.tail + size > this.allocatedSize) this.extend(this.tail + size);
    writeFully(this.storage, this.fd, batch.record, batch.recordStart, batch.recordStart + headSize, this.tail);
    if (batch.detached !== null) writeFully(this.storage, this.fd, batch.detached, batch.detachedStart, batch.detachedStart + batch.detachedSize, this.tail + headSize);
    this.tail += size;
    this.writtenSequence = this.nextSequence;
    this.nextSequence++;
    batch.clear();
    // A huge merged record grew `out`; the next one that needs it grows it again.
    if (this.out.length > OUT_KEEP_SIZE_MAX) this.out = Buffer.allocUnsafe(OUT_SIZE_INITIAL);
  }

  /** Writes zeros from the end of the file to at least `needed`, a step ahead (synced with the next record). */
  private extend(needed: number): void {
    const target = Math.ceil(Math.max(needed, this.allocatedSize + EXTEND_STEP) / 4096) * 4096;
    for (let pos = this.allocatedSize; pos < target; pos += ZEROS.length) {
      writeFully(this.storage, this.fd, ZEROS, 0, Math.min(ZEROS.length, target - pos), pos);
    }
    this.allocatedSize = target;
  }

  /** fdatasync of the log: every record written so far is durable. */
  sync(): void {
    const written = this.writtenSequence;
    this.storage.sync(this.syncFd);
    this.syncedSequence = written;
  }

  /** Whether a syncAsync has not called back yet. */
  get syncAsyncInFlight(): boolean {
    return this.syncAsyncInFlightFlag;
  }

  /**
   * fdatasync on the thread pool: when `callback(null)` runs, every record
   * written before this call is durable. One at a time: two fdatasyncs in
   * flight through `fd` could split a failure between them (Linux reports it
   * once per file description), and the one that succeeded, if it calls back
   * first, would report durable the records the other failed to write.
   */
  syncAsync(callback: (error: Error | null) => void): void {
    assert(!this.syncAsyncInFlightFlag, 'one asynchronous sync of the log at a time');
    const target = this.writtenSequence;
    this.syncAsyncInFlightFlag = true;
    this.storage.syncAsync(this.fd, (error) => {
      this.syncAsyncInFlightFlag = false;
      if (error === null && target > this.syncedSequence) this.syncedSequence = target;
      callback(error);
    });
  }

  /**
   * Starts a new generation: new salt, header written to the other slot and
   * synced. Every record of the old generation must already be applied to the
   * segment files and those synced.
   */
  reset(): void {
    assert(this.batch.isEmpty(), 'reset with unwritten commits');
    const header: LogHeader = {
      version: LOG_FORMAT_VERSION,
      slot: (this.header.generation + 1) % 2,
      salt: randomSalt(),
      generation: this.header.generation + 1,
      startSequence: this.nextSequence,
      storeId: this.header.storeId,
    };
    encodeLogHeader(this.headerBuf, header);
    writeFully(this.storage, this.fd, this.headerBuf, 0, LOG_HEADER_SLOT_SIZE, header.slot * LOG_HEADER_SLOT_SIZE);
    this.storage.sync(this.syncFd);
    this.header = header;
    this.tail = LOG_RECORDS_OFFSET;
    this.writtenSequence = this.nextSequence - 1;
    this.syncedSequence = this.nextSequence - 1;
  }

  /** Closes both descriptors, `fd` even when closing `syncFd` fails. */
  close(): void {
    try {
      this.storage.close(this.syncFd);
    } finally {
      this.storage.close(this.fd);
    }
  }
}

const EXTEND_STEP = 1024 * 1024;
const OUT_SIZE_INITIAL = 64 * 1024;
/** writeBatch releases an `out` buffer grown past this. */
const OUT_KEEP_SIZE_MAX = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(EXTEND_STEP);

function randomSalt(): number {
  return randomBytes(4).readUInt32LE(0);
}

/**
 * Only one header slot is valid. Either the other slot never held a newer
 * generation (a fresh log, or a truncation torn while writing the header,
 * which wrote no record of the new generation), or it did and was damaged
 * later. In the second case the first record on disk is a valid record of
 * that lost generation: its salt differs from the current header's and its
 * sequence is at least the current startSequence. Replaying the older
 * generation would then silently drop those commits, so refuse.
 */
function checkNewerHeaderNotLost(storage: Storage, fd: FileHandle, fileSize: number, header: LogHeader, path: string): void {
  if (fileSize < LOG_RECORDS_OFFSET + RECORD_HEADER_SIZE) return;
  const head = Buffer.alloc(RECORD_HEADER_SIZE);
  readFully(storage, fd, head, 0, RECORD_HEADER_SIZE, LOG_RECORDS_OFFSET);
  const salt = head.readUInt32LE(R_SALT);
  if (salt === header.salt) return;
  const size = recordSize(head, 0);
  if (size < RECORD_HEADER_SIZE || LOG_RECORDS_OFFSET + size > fileSize || size > 64 * 1024 * 1024) return;
  const rec = Buffer.alloc(size);
  readFully(storage, fd, rec, 0, size, LOG_RECORDS_OFFSET);
  // That record was written by this library or an older one: a valid record of either log version counts.
  let valid = false;
  for (let version = LOG_FORMAT_VERSION_MIN; version <= LOG_FORMAT_VERSION && !valid; version++) {
    valid = checkRecord(rec, 0, size, salt, version) === RecordCheck.Valid;
  }
  if (!valid) return;
  if (recordSequence(rec, 0) >= header.startSequence) {
    throw new RvmError('LOG_CORRUPT', `${path}: the newest log header is damaged but records of its generation exist. Restore the directory from a backup.`, { path, reason: 'header' });
  }
}
