/**
 * Pins the on-disk formats byte by byte. The store file is version 1
 * (FORMAT_VERSION); the log is version 2 (LOG_FORMAT_VERSION: XXH32 record
 * checksums), and version 1 logs (CRC-32C) are still read. A store directory
 * written with log version 1 (store file, log with one flush commit and a
 * batch of two no-flush commits, an all-zero segment file) must still be
 * recovered, and its log upgraded; today's encoders must produce exactly the
 * version 2 bytes below.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOG_FORMAT_VERSION } from '../src/constants.js';
import { decodeLogHeader, encodeLogHeader, LOG_HEADER_SLOT_SIZE, LOG_RECORDS_OFFSET } from '../src/format/log-header.js';
import { crc32c } from '../src/format/crc32c.js';
import { checkRecord, RecordCheck } from '../src/format/log-record.js';
import { decodeStoreMeta } from '../src/format/store-meta.js';
import { WordView } from '../src/copy-bytes.js';
import { CommitBatch } from '../src/log/commit-batch.js';
import { FORMAT_VERSION, Rvm, RvmError } from '../src/index.js';
import { SimStorage, isSimCrash } from '../src/testing.js';
import { tempDir } from './helpers/temp-dir.js';

const STORE_HEX = '52564d5363d3020f01000000000000003e8b76d2d910c77faa40695e0a32475e4705f5fea1010000000000000000000000000000000000000000000000000000';
const STORE_ID_HEX = '3e8b76d2d910c77faa40695e0a32475e';
const SALT = 0xcc6676cb;
/** Log version 1, header slot 1 (generation 1), its first 128 bytes; the rest of the slot is zero. */
const V1_SLOT1_HEX = '52564d4c0cc8b51b01000100cb7666cc010000000000000001000000000000003e8b76d2d910c77faa40695e0a32475e' + '00'.repeat(80);
/** Log version 1, record 1: flush commit of "hello" at 0 (CRC-32C). */
const V1_RECORD1_HEX = '52564d529e242dc4cb7666cc50000000010000000000000000000000000000000100000001000000010000000000000006676f6c64656e000000000005000000000000000000000068656c6c6f000000';
/** Log version 1, record 2: two no-flush commits ("LO!!" at 3, 0xbeef at 100) flushed together by close(). */
const V1_RECORD2_HEX = '52564d52272e689fcb7666cc68000000020000000000000001000000000000000200000001000000020000000000000006676f6c64656e00000000000400000003000000000000004c4f21210000000000000000020000006400000000000000efbe000000000000';
/** The same three in log version 2: the header says 2, the records carry XXH32 checksums; every other byte is equal. */
const V2_SLOT1_HEX = '52564d4cba69f80c02000100cb7666cc010000000000000001000000000000003e8b76d2d910c77faa40695e0a32475e' + '00'.repeat(80);
const V2_RECORD1_HEX = '52564d5207cdb6d6' + V1_RECORD1_HEX.slice(16);
const V2_RECORD2_HEX = '52564d52d5000f4b' + V1_RECORD2_HEX.slice(16);

/** The record the batch encodes (wherever encode() put it), as one Buffer. */
function encodedRecord(batch: CommitBatch, sequence: number, durableSequence: number): Buffer {
  const size = batch.encode(Buffer.alloc(batch.encodedSizeMax()), SALT, sequence, durableSequence);
  expect(batch.detached).toBeNull();
  return Buffer.from(batch.record.subarray(batch.recordStart, batch.recordStart + size));
}

function slotOf(hex: string): Buffer {
  const slot = Buffer.alloc(LOG_HEADER_SLOT_SIZE);
  Buffer.from(hex, 'hex').copy(slot);
  return slot;
}

/** A store directory as version 1 of the log left it: two records to replay. */
function writeVersion1Store(write: (name: string, bytes: Buffer) => void): void {
  write('store', Buffer.from(STORE_HEX, 'hex'));
  const log = Buffer.alloc(LOG_RECORDS_OFFSET + 4096);
  Buffer.from(V1_SLOT1_HEX, 'hex').copy(log, LOG_HEADER_SLOT_SIZE);
  Buffer.from(V1_RECORD1_HEX + V1_RECORD2_HEX, 'hex').copy(log, LOG_RECORDS_OFFSET);
  write('log', log);
  write('golden.seg', Buffer.alloc(256));
}

/** The newest valid header of a log file's bytes. */
function newestHeader(log: Uint8Array): { version: number; generation: number } {
  const bytes = Buffer.from(log);
  const headers = [0, 1].flatMap((slot) => {
    const check = decodeLogHeader(bytes.subarray(slot * LOG_HEADER_SLOT_SIZE, (slot + 1) * LOG_HEADER_SLOT_SIZE), slot);
    return check.ok ? [check.header] : [];
  });
  expect(headers.length).toBeGreaterThan(0);
  return headers.sort((a, b) => b.generation - a.generation)[0]!;
}

describe('format versions', () => {
  it('are store file 1 and log 2', () => {
    expect(FORMAT_VERSION).toBe(1);
    expect(LOG_FORMAT_VERSION).toBe(2);
  });

  it('decodes the pinned store file and log headers of both log versions', () => {
    const meta = decodeStoreMeta(Buffer.from(STORE_HEX, 'hex'), 'store');
    expect(meta.storeId.toString('hex')).toBe(STORE_ID_HEX);
    for (const [hex, version] of [[V1_SLOT1_HEX, 1], [V2_SLOT1_HEX, 2]] as const) {
      const check = decodeLogHeader(slotOf(hex), 1);
      expect(check.ok && check.header).toMatchObject({ version, generation: 1, startSequence: 1, salt: SALT, slot: 1 });
    }
  });

  it('refuses a log header of a version it does not know', () => {
    const slot = slotOf(V2_SLOT1_HEX);
    slot.writeUInt16LE(LOG_FORMAT_VERSION + 1, 8);
    encodeChecksumAgain(slot);
    expect(decodeLogHeader(slot, 1)).toMatchObject({ ok: false, reason: 'version', version: LOG_FORMAT_VERSION + 1 });
    slot.writeUInt16LE(0, 8);
    encodeChecksumAgain(slot);
    expect(decodeLogHeader(slot, 1)).toMatchObject({ ok: false, reason: 'version', version: 0 });
  });

  it('opens no store whose log header has a version it does not know, and changes nothing', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeVersion1Store((name, bytes) => writeFileSync(join(dir, name), bytes));
    const log = readFileSync(join(dir, 'log'));
    log.writeUInt16LE(LOG_FORMAT_VERSION + 1, LOG_HEADER_SLOT_SIZE + 8);
    log.writeUInt32LE(crc32c(log, LOG_HEADER_SLOT_SIZE + 8, LOG_HEADER_SLOT_SIZE + 128), LOG_HEADER_SLOT_SIZE + 4);
    writeFileSync(join(dir, 'log'), log);
    let error: unknown;
    try {
      Rvm.open(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RvmError);
    expect((error as RvmError).code).toBe('VERSION_MISMATCH');
    expect(readFileSync(join(dir, 'log')).equals(log)).toBe(true);
    expect(readFileSync(join(dir, 'golden.seg')).equals(Buffer.alloc(256))).toBe(true);
  });

  it('checks each record with the checksum of its log version', () => {
    for (const [v1, v2] of [[V1_RECORD1_HEX, V2_RECORD1_HEX], [V1_RECORD2_HEX, V2_RECORD2_HEX]] as const) {
      const old = Buffer.from(v1, 'hex');
      const now = Buffer.from(v2, 'hex');
      expect(checkRecord(old, 0, old.length, SALT, 1)).toBe(RecordCheck.Valid);
      expect(checkRecord(old, 0, old.length, SALT, 2)).toBe(RecordCheck.Invalid);
      expect(checkRecord(now, 0, now.length, SALT, 2)).toBe(RecordCheck.Valid);
      expect(checkRecord(now, 0, now.length, SALT, 1)).toBe(RecordCheck.Invalid);
    }
  });

  it('encodes the version 2 header and records today', () => {
    const slot = Buffer.alloc(LOG_HEADER_SLOT_SIZE);
    encodeLogHeader(slot, { salt: SALT, generation: 1, startSequence: 1, storeId: Buffer.from(STORE_ID_HEX, 'hex') });
    expect(slot.subarray(0, 128).toString('hex')).toBe(V2_SLOT1_HEX);

    const seg = Buffer.alloc(256);
    const view = new WordView(seg);
    const batch = new CommitBatch();
    seg.write('hello', 0, 'latin1');
    batch.addRange(0, 'golden', view, 0, 5);
    batch.endCommit();
    expect(encodedRecord(batch, 1, 0).toString('hex')).toBe(V2_RECORD1_HEX);
    batch.clear();
    seg.write('LO!!', 3, 'latin1');
    batch.addRange(0, 'golden', view, 3, 4);
    batch.endCommit();
    seg.writeUInt16LE(0xbeef, 100);
    batch.addRange(0, 'golden', view, 100, 2);
    batch.endCommit();
    expect(encodedRecord(batch, 2, 1).toString('hex')).toBe(V2_RECORD2_HEX);
  });

  it('recovers a store directory written with log version 1 and continues it in version 2', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeVersion1Store((name, bytes) => writeFileSync(join(dir, name), bytes));
    const rvm = Rvm.open(dir);
    expect(rvm.query().recovery.recordCount).toBe(2);
    expect(newestHeader(readFileSync(join(dir, 'log')))).toMatchObject({ version: 2, generation: 2 });
    const seg = rvm.map('golden');
    expect(seg.bytes.toString('latin1', 0, 7)).toBe('helLO!!');
    expect(seg.bytes.readUInt16LE(100)).toBe(0xbeef);
    const tx = rvm.begin();
    tx.setRange(seg, 200, 3);
    seg.bytes.write('new', 200, 'latin1');
    tx.commit();
    rvm.close();
    const again = Rvm.open(dir);
    const reopened = again.map('golden');
    expect(reopened.bytes.toString('latin1', 0, 7)).toBe('helLO!!');
    expect(reopened.bytes.toString('latin1', 200, 203)).toBe('new');
    again.close();
  });

  it('a crash anywhere in the upgrade of a version 1 log loses nothing', () => {
    let crashes = 0;
    for (let crashOp = 0; ; crashOp++) {
      let reached = false;
      for (const [seed, mode] of [[1, 'keepAll'], [2, 'dropAll'], [3, 'random'], [4, 'random']] as const) {
        const storage = new SimStorage();
        storage.mkdir('/s');
        writeVersion1Store((name, bytes) => {
          const fd = storage.open(`/s/${name}`, true);
          storage.write(fd, bytes, 0, bytes.length, 0);
          storage.sync(fd);
          storage.close(fd);
        });
        storage.syncDir('/s');
        storage.crashAt(storage.opCount + crashOp, seed, mode);
        try {
          Rvm.open('/s', { storage }).close();
        } catch (e) {
          if (!isSimCrash(e)) throw e;
        }
        reached ||= storage.crashed;
        storage.recoverFromCrash();
        const rvm = Rvm.open('/s', { storage });
        const seg = rvm.map('golden');
        expect(seg.bytes.toString('latin1', 0, 7)).toBe('helLO!!');
        expect(seg.bytes.readUInt16LE(100)).toBe(0xbeef);
        rvm.close();
        expect(newestHeader(storage.fileBytes('/s/log')).version).toBe(2);
      }
      if (!reached) break;
      crashes++;
    }
    // Open reads, applies, syncs and writes a new header: a crash point at each step.
    expect(crashes).toBeGreaterThan(5);
  });
});

/** Recomputes a header slot's CRC-32C after a field was changed (as a library of that version would write it). */
function encodeChecksumAgain(slot: Buffer): void {
  slot.writeUInt32LE(crc32c(slot, 8, 128), 4);
}
