/**
 * The log file (`<dir>/log`) starts with two header slots, then records.
 *
 *  file offset  size  content
 *            0   512  header slot 0
 *          512   512  header slot 1
 *         1024  3072  zero (so that records start on a 4 KiB boundary)
 *         4096     .  records of the current generation (log-record.ts), then
 *                     stale bytes of earlier generations, never valid again
 *
 * Header slot (one 512-byte sector, so a torn write damages one slot only):
 *
 *  offset size field
 *       0    4 magic          LOG_MAGIC, "RVML" in ASCII when read as bytes
 *       4    4 checksum       CRC-32C of bytes 8 .. 128
 *       8    2 version        log format: LOG_FORMAT_VERSION when written; LOG_FORMAT_VERSION_MIN
 *                             .. LOG_FORMAT_VERSION are read (constants.ts: what changed)
 *      10    2 slot           0 or 1: the slot this copy was written to
 *      12    4 salt           random per generation; every record of the generation carries it
 *      16    8 generation     +1 at every truncation; written to slot generation % 2
 *      24    8 startSequence  sequence number of the first record of the generation
 *      32   16 storeId        the id in the store file; a log of another store is refused
 *      48   80 reserved       zero
 *
 * A slot is valid if and only if magic, checksum, version and slot number match.
 * The header's own checksum is CRC-32C in every version: a library of any
 * version can read the version field of any header, and refuses (VERSION_MISMATCH)
 * one it does not know instead of taking it for a damaged slot.
 * The valid slot with the higher generation is current. A truncation writes the
 * next generation into the other slot and syncs it before any record of that
 * generation is written, so a torn header write leaves the previous generation,
 * whose records are still intact and already applied (replaying them again is
 * harmless: records hold new values, so replay is idempotent).
 */
import { LOG_FORMAT_VERSION, LOG_FORMAT_VERSION_MIN } from '../constants.js';
import { crc32c } from './crc32c.js';
import { readU64, writeU64 } from './u64.js';

export const LOG_MAGIC = 0x4c4d5652; // bytes 'R' 'V' 'M' 'L'
export const LOG_HEADER_SLOT_SIZE = 512;
export const LOG_HEADER_CHECKED_SIZE = 128;
/** Offset of the first record. */
export const LOG_RECORDS_OFFSET = 4096;

export interface LogHeader {
  readonly version: number;
  readonly slot: number;
  readonly salt: number;
  readonly generation: number;
  readonly startSequence: number;
  readonly storeId: Buffer;
}

/** Encodes into `buf` (LOG_HEADER_SLOT_SIZE bytes, fully overwritten). */
export function encodeLogHeader(buf: Buffer, header: Omit<LogHeader, 'version' | 'slot'>): void {
  buf.fill(0, 0, LOG_HEADER_SLOT_SIZE);
  buf.writeUInt32LE(LOG_MAGIC, 0);
  buf.writeUInt16LE(LOG_FORMAT_VERSION, 8);
  buf.writeUInt16LE(header.generation % 2, 10);
  buf.writeUInt32LE(header.salt >>> 0, 12);
  writeU64(buf, 16, header.generation);
  writeU64(buf, 24, header.startSequence);
  header.storeId.copy(buf, 32, 0, 16);
  buf.writeUInt32LE(crc32c(buf, 8, LOG_HEADER_CHECKED_SIZE), 4);
}

export type HeaderCheck = { readonly ok: true; readonly header: LogHeader } | { readonly ok: false; readonly reason: string; readonly version?: number };

/** Validates the slot `slot` whose bytes are buf[0, LOG_HEADER_SLOT_SIZE). Never throws. */
export function decodeLogHeader(buf: Buffer, slot: number): HeaderCheck {
  if (buf.length < LOG_HEADER_CHECKED_SIZE) return { ok: false, reason: 'short' };
  if (buf.readUInt32LE(0) !== LOG_MAGIC) return { ok: false, reason: 'magic' };
  if (buf.readUInt32LE(4) !== crc32c(buf, 8, LOG_HEADER_CHECKED_SIZE)) return { ok: false, reason: 'checksum' };
  const version = buf.readUInt16LE(8);
  if (version < LOG_FORMAT_VERSION_MIN || version > LOG_FORMAT_VERSION) return { ok: false, reason: 'version', version };
  if (buf.readUInt16LE(10) !== slot) return { ok: false, reason: 'slot' };
  const generation = readU64(buf, 16);
  const startSequence = readU64(buf, 24);
  if (generation < 1 || generation % 2 !== slot || startSequence < 1) return { ok: false, reason: 'fields' };
  return {
    ok: true,
    header: { version, slot, salt: buf.readUInt32LE(12), generation, startSequence, storeId: Buffer.from(buf.subarray(32, 48)) },
  };
}
