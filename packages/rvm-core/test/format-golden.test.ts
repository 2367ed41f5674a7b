/**
 * Pins format version 1 byte by byte: a store written by version 1 (store
 * file, log with one flush commit and a batch of two no-flush commits, and an
 * all-zero segment file) must still be recovered, and today's encoders must
 * still produce exactly these bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLogHeader, encodeLogHeader, LOG_HEADER_SLOT_SIZE, LOG_RECORDS_OFFSET } from '../src/format/log-header.js';
import { decodeStoreMeta } from '../src/format/store-meta.js';
import { CommitBatch } from '../src/log/commit-batch.js';
import { FORMAT_VERSION, Rvm } from '../src/index.js';
import { tempDir } from './helpers/temp-dir.js';

const STORE_HEX = '52564d5363d3020f01000000000000003e8b76d2d910c77faa40695e0a32475e4705f5fea1010000000000000000000000000000000000000000000000000000';
const STORE_ID_HEX = '3e8b76d2d910c77faa40695e0a32475e';
const SALT = 0xcc6676cb;
/** Header slot 1 (generation 1), its first 128 bytes; the rest of the slot is zero. */
const SLOT1_HEX = '52564d4c0cc8b51b01000100cb7666cc010000000000000001000000000000003e8b76d2d910c77faa40695e0a32475e' + '00'.repeat(80);
/** Record 1: flush commit of "hello" at 0. */
const RECORD1_HEX = '52564d529e242dc4cb7666cc50000000010000000000000000000000000000000100000001000000010000000000000006676f6c64656e000000000005000000000000000000000068656c6c6f000000';
/** Record 2: two no-flush commits ("LO!!" at 3, 0xbeef at 100) flushed together by close(). */
const RECORD2_HEX = '52564d52272e689fcb7666cc68000000020000000000000001000000000000000200000001000000020000000000000006676f6c64656e00000000000400000003000000000000004c4f21210000000000000000020000006400000000000000efbe000000000000';

/** The record the batch encodes (wherever encode() put it), as one Buffer. */
function encodedRecord(batch: CommitBatch, sequence: number, durableSequence: number): Buffer {
  const size = batch.encode(Buffer.alloc(batch.encodedSizeMax()), SALT, sequence, durableSequence);
  expect(batch.detached).toBeNull();
  return Buffer.from(batch.record.subarray(batch.recordStart, batch.recordStart + size));
}

describe('format version 1', () => {
  it('is the version this library writes', () => {
    expect(FORMAT_VERSION).toBe(1);
  });

  it('decodes the pinned store file and log header', () => {
    const meta = decodeStoreMeta(Buffer.from(STORE_HEX, 'hex'), 'store');
    expect(meta.storeId.toString('hex')).toBe(STORE_ID_HEX);
    const slot = Buffer.alloc(LOG_HEADER_SLOT_SIZE);
    Buffer.from(SLOT1_HEX, 'hex').copy(slot);
    const check = decodeLogHeader(slot, 1);
    expect(check.ok && check.header).toMatchObject({ generation: 1, startSequence: 1, salt: SALT, slot: 1 });
  });

  it('encodes the same header and records today', () => {
    const slot = Buffer.alloc(LOG_HEADER_SLOT_SIZE);
    encodeLogHeader(slot, { salt: SALT, generation: 1, startSequence: 1, storeId: Buffer.from(STORE_ID_HEX, 'hex') });
    expect(slot.subarray(0, 128).toString('hex')).toBe(SLOT1_HEX);

    const seg = Buffer.alloc(256);
    const batch = new CommitBatch();
    seg.write('hello', 0, 'latin1');
    batch.addRange(0, 'golden', seg, 0, 5);
    batch.endCommit();
    expect(encodedRecord(batch, 1, 0).toString('hex')).toBe(RECORD1_HEX);
    batch.clear();
    seg.write('LO!!', 3, 'latin1');
    batch.addRange(0, 'golden', seg, 3, 4);
    batch.endCommit();
    seg.writeUInt16LE(0xbeef, 100);
    batch.addRange(0, 'golden', seg, 100, 2);
    batch.endCommit();
    expect(encodedRecord(batch, 2, 1).toString('hex')).toBe(RECORD2_HEX);
  });

  it('recovers a store directory written by version 1', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'store'), Buffer.from(STORE_HEX, 'hex'));
    const log = Buffer.alloc(LOG_RECORDS_OFFSET + 4096);
    Buffer.from(SLOT1_HEX, 'hex').copy(log, LOG_HEADER_SLOT_SIZE);
    Buffer.from(RECORD1_HEX + RECORD2_HEX, 'hex').copy(log, LOG_RECORDS_OFFSET);
    writeFileSync(join(dir, 'log'), log);
    writeFileSync(join(dir, 'golden.seg'), Buffer.alloc(256));
    const rvm = Rvm.open(dir);
    expect(rvm.query().recovery.recordCount).toBe(2);
    const seg = rvm.map('golden');
    expect(seg.bytes.toString('latin1', 0, 7)).toBe('helLO!!');
    expect(seg.bytes.readUInt16LE(100)).toBe(0xbeef);
    rvm.close();
  });
});
