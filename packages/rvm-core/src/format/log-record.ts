/**
 * Redo records: the only content of the log after its header (log-header.ts).
 * A record holds the new values of the ranges of one or more committed
 * transactions (no-flush commits flushed together are merged into one record,
 * see log/batch.ts). Records follow each other without gaps from
 * LOG_RECORDS_OFFSET; each one is a multiple of 8 bytes.
 *
 *  offset size field
 *       0    4 magic            RECORD_MAGIC, "RVMR" in ASCII when read as bytes
 *       4    4 checksum         of bytes 8 .. recordSize (rest of header and body): XXH32
 *                               (xxh32.ts) in a log of version 2, CRC-32C in version 1
 *       8    4 salt             salt of the generation in the log header
 *      12    4 recordSize       total size in bytes, a multiple of 8, >= RECORD_HEADER_SIZE
 *      16    8 sequence         previous record's sequence + 1 (the first: header's startSequence)
 *      24    8 durableSequence  highest sequence known to be synced when this record was written
 *      32    4 commitCount      transactions merged into this record, >= 1
 *      36    2 segmentCount     entries in the segment table, >= 1
 *      38    2 flags            zero
 *      40    4 rangeCount       entries in the range list, >= 1
 *      44    4 reserved         zero
 *      48    . segment table    segmentCount x { u8 nameSize, name (ASCII) }, zero-padded to 8
 *       .    . ranges           rangeCount x { u32 segmentIndex, u32 length, u64 offset,
 *                               data[length], zero padding to 8 }
 *
 * A record is valid if and only if: it lies within the file, magic and salt
 * match, recordSize is a multiple of 8 and at least the header, the checksum
 * matches, and the sequence is the one expected. Recovery applies valid
 * records in order and stops at the first invalid one. That stop is a torn
 * tail (the last write never completed) unless a later valid record of the
 * same generation proves otherwise: its durableSequence covers the invalid
 * record, which means that record was synced before, so it was damaged after
 * reaching the disk and the log is LOG_CORRUPT.
 *
 * Why stale bytes never look valid: every truncation starts a new generation
 * with a new random salt, and a record must carry the current salt and the
 * exact next sequence number (sequences never repeat across generations,
 * since each generation starts where the previous one ended).
 */
import { crc32c } from './crc32c.js';
import { readU64, writeU64 } from './u64.js';
import { xxh32, Xxh32Stream } from './xxh32.js';

export const RECORD_MAGIC = 0x524d5652; // bytes 'R' 'V' 'M' 'R'
export const RECORD_HEADER_SIZE = 48;
export const RANGE_HEADER_SIZE = 16;
export const SEGMENT_NAME_SIZE_MAX = 255;
/** The largest record we write or accept: bounds memory used to read one. */
export const RECORD_SIZE_MAX = 1024 * 1024 * 1024;

export const R_MAGIC = 0;
export const R_CHECKSUM = 4;
export const R_SALT = 8;
export const R_SIZE = 12;
export const R_SEQUENCE = 16;
export const R_DURABLE_SEQUENCE = 24;
export const R_COMMIT_COUNT = 32;
export const R_SEGMENT_COUNT = 36;
export const R_FLAGS = 38;
export const R_RANGE_COUNT = 40;

export function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** Writes the fixed header fields of a record at `pos`; sealRecord fills the checksum once the body is in place. */
export function writeRecordHeader(
  buf: Buffer, pos: number, salt: number, recordSize: number, sequence: number, durableSequence: number,
  commitCount: number, segmentCount: number, rangeCount: number,
): void {
  buf.writeUInt32LE(RECORD_MAGIC, pos + R_MAGIC);
  buf.writeUInt32LE(0, pos + R_CHECKSUM);
  buf.writeUInt32LE(salt >>> 0, pos + R_SALT);
  buf.writeUInt32LE(recordSize, pos + R_SIZE);
  writeU64(buf, pos + R_SEQUENCE, sequence);
  writeU64(buf, pos + R_DURABLE_SEQUENCE, durableSequence);
  buf.writeUInt32LE(commitCount, pos + R_COMMIT_COUNT);
  buf.writeUInt16LE(segmentCount, pos + R_SEGMENT_COUNT);
  buf.writeUInt16LE(0, pos + R_FLAGS);
  buf.writeUInt32LE(rangeCount, pos + R_RANGE_COUNT);
  buf.writeUInt32LE(0, pos + 44);
}

/** The checksum of bytes[start, end) that a log of `version` keeps in its records. */
export function recordChecksum(bytes: Uint8Array, start: number, end: number, version: number): number {
  return version === 1 ? crc32c(bytes, start, end) : xxh32(bytes, start, end);
}

const sealStream = new Xxh32Stream();

/**
 * Computes and stores the XXH32 checksum (log format 2, LOG_FORMAT_VERSION: records are only
 * written into generations of this version) of the record at buf[pos, pos +
 * size), continued over tail[tailStart, tailStart + tailSize) when the
 * record's body is held apart. `words`: an Int32Array over all of
 * buf.buffer, if the caller keeps one (xxh32()).
 */
export function sealRecord(buf: Buffer, pos: number, size: number, words: Int32Array | null, tail?: Buffer, tailStart = 0, tailSize = 0): void {
  let checksum: number;
  if (tail === undefined) {
    checksum = xxh32(buf, pos + 8, pos + size, words);
  } else {
    sealStream.reset();
    sealStream.update(buf, pos + 8, pos + size);
    sealStream.update(tail, tailStart, tailStart + tailSize);
    checksum = sealStream.digest();
  }
  buf.writeUInt32LE(checksum, pos + R_CHECKSUM);
}

export const RecordCheck = {
  Valid: 0,
  /** Not a valid record of this generation at this position. */
  Invalid: 1,
  /** The header claims more bytes than `end` allows; read more and check again. */
  Incomplete: 2,
} as const;
export type RecordCheck = (typeof RecordCheck)[keyof typeof RecordCheck];

/**
 * Checks the record at buf[pos..] against `salt` and the checksum of log
 * format `version` (the header's of its generation) without trusting any
 * field. `end` is the end of the bytes available in `buf`. The sequence is not
 * checked here.
 */
export function checkRecord(buf: Buffer, pos: number, end: number, salt: number, version: number): RecordCheck {
  if (end - pos < RECORD_HEADER_SIZE) return RecordCheck.Incomplete;
  if (buf.readUInt32LE(pos + R_MAGIC) !== RECORD_MAGIC) return RecordCheck.Invalid;
  if (buf.readUInt32LE(pos + R_SALT) !== salt >>> 0) return RecordCheck.Invalid;
  const size = buf.readUInt32LE(pos + R_SIZE);
  if (size < RECORD_HEADER_SIZE || size % 8 !== 0 || size > RECORD_SIZE_MAX) return RecordCheck.Invalid;
  if (end - pos < size) return RecordCheck.Incomplete;
  if (recordChecksum(buf, pos + 8, pos + size, version) !== buf.readUInt32LE(pos + R_CHECKSUM)) return RecordCheck.Invalid;
  return RecordCheck.Valid;
}

export function recordSize(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos + R_SIZE);
}

export function recordSequence(buf: Buffer, pos: number): number {
  return readU64(buf, pos + R_SEQUENCE);
}

export function recordDurableSequence(buf: Buffer, pos: number): number {
  return readU64(buf, pos + R_DURABLE_SEQUENCE);
}

/** One range of a parsed record: `data` is a view into the read buffer, valid until the next read. */
export interface ParsedRange {
  segmentName: string;
  offset: number;
  data: Buffer;
}

export interface ParsedRecord {
  sequence: number;
  durableSequence: number;
  commitCount: number;
  recordSize: number;
  ranges: ParsedRange[];
}

/**
 * Decodes the body of a record that passed checkRecord. A checksummed record
 * whose body is inconsistent can only come from a writer bug or a checksum
 * collision; it is reported by returning a reason string instead of throwing
 * so the caller can raise LOG_CORRUPT with its position.
 */
export function parseRecord(buf: Buffer, pos: number): ParsedRecord | string {
  const size = buf.readUInt32LE(pos + R_SIZE);
  const end = pos + size;
  const segmentCount = buf.readUInt16LE(pos + R_SEGMENT_COUNT);
  const rangeCount = buf.readUInt32LE(pos + R_RANGE_COUNT);
  const commitCount = buf.readUInt32LE(pos + R_COMMIT_COUNT);
  const sequence = readU64(buf, pos + R_SEQUENCE);
  const durableSequence = readU64(buf, pos + R_DURABLE_SEQUENCE);
  if (segmentCount < 1 || rangeCount < 1 || commitCount < 1 || sequence < 1 || durableSequence < 0) return 'bad header fields';
  const names: string[] = [];
  let p = pos + RECORD_HEADER_SIZE;
  for (let i = 0; i < segmentCount; i++) {
    if (p + 1 > end) return 'segment table overruns the record';
    const nameSize = buf[p]!;
    if (nameSize === 0 || p + 1 + nameSize > end) return 'bad segment name';
    names.push(buf.toString('latin1', p + 1, p + 1 + nameSize));
    p += 1 + nameSize;
  }
  p = pos + pad8(p - pos);
  const ranges: ParsedRange[] = [];
  for (let i = 0; i < rangeCount; i++) {
    if (p + RANGE_HEADER_SIZE > end) return 'range list overruns the record';
    const segmentIndex = buf.readUInt32LE(p);
    const length = buf.readUInt32LE(p + 4);
    const offset = readU64(buf, p + 8);
    const name = names[segmentIndex];
    if (name === undefined || offset < 0 || length < 1) return 'bad range header';
    const dataStart = p + RANGE_HEADER_SIZE;
    if (dataStart + length > end) return 'range data overruns the record';
    ranges.push({ segmentName: name, offset, data: buf.subarray(dataStart, dataStart + length) });
    p = dataStart + pad8(length);
  }
  if (p !== end) return 'record size does not match its contents';
  return { sequence, durableSequence, commitCount, recordSize: size, ranges };
}
