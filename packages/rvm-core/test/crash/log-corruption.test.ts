/**
 * Damage to the log, made by hand on the simulated disk:
 * - cut (or zeroed from) every byte offset of its last record: recovery keeps
 *   the records before it, a torn tail;
 * - one flipped bit in any byte of an earlier record: LOG_CORRUPT, because
 *   the last record's durableSequence proves the damaged one had been synced
 *   (a flipped bit in the last record is a torn tail);
 * - a record of an earlier generation right after the tail, carrying the very
 *   sequence number recovery expects next: never replayed (the salt differs);
 * - the log of another store: refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_FORMAT_VERSION } from '../../src/constants.js';
import { Rvm, RvmError } from '../../src/index.js';
import { decodeLogHeader, LOG_HEADER_SLOT_SIZE, LOG_RECORDS_OFFSET } from '../../src/format/log-header.js';
import { checkRecord, RecordCheck, recordSequence, recordSize, R_SALT } from '../../src/format/log-record.js';
import { SimStorage } from '../../src/testing.js';
import { RUNS_MULTIPLIER, testTimeout } from './runs.js';
import { pattern } from './workload.js';

const DIR = '/store';
const LOG_PATH = `${DIR}/log`;
const SEGMENT_SIZE = 1024;

interface BuiltLog {
  /** The store, closed, its log holding one record per commit. */
  readonly storage: SimStorage;
  /** Segment a after k commits, k = 0 .. commit count. */
  readonly states: readonly Buffer[];
  /** File offset of each record; the last entry is the tail. */
  readonly offsets: readonly number[];
}

/** Flush commits of [offset, length) each; one record each. */
function buildLog(commits: ReadonlyArray<readonly [number, number]>, segmentSize = SEGMENT_SIZE): BuiltLog {
  const storage = new SimStorage();
  const rvm = Rvm.open(DIR, { storage });
  const segment = rvm.map('a', segmentSize);
  const states = [Buffer.from(segment.bytes)];
  const offsets: number[] = [];
  for (const [i, [offset, length]] of commits.entries()) {
    offsets.push(LOG_RECORDS_OFFSET + rvm.query().logSize);
    const tx = rvm.begin();
    tx.setRange(segment, offset, length);
    segment.bytes.set(pattern(length, 0x11 * (i + 1)), offset);
    tx.commit();
    states.push(Buffer.from(segment.bytes));
  }
  offsets.push(LOG_RECORDS_OFFSET + rvm.query().logSize);
  expect(rvm.query().counters.recordsWritten).toBe(commits.length);
  rvm.close();
  return { storage, states, offsets };
}

/** Applies `edit` to the log file and syncs it. */
function editLog(storage: SimStorage, edit: (fd: number) => void): void {
  const fd = storage.open(LOG_PATH, false);
  edit(fd);
  storage.sync(fd);
  storage.close(fd);
}

function flipBit(storage: SimStorage, offset: number, bit: number): void {
  editLog(storage, (fd) => {
    const byte = new Uint8Array(1);
    expect(storage.read(fd, byte, 0, 1, offset)).toBe(1);
    byte[0]! ^= 1 << bit;
    storage.write(fd, byte, 0, 1, offset);
  });
}

let damagedLogs = 0;
const started = performance.now();
afterAll(() => console.log(`log-corruption: ${damagedLogs} damaged logs opened, in ${((performance.now() - started) / 1000).toFixed(1)} s`));

function recover(storage: SimStorage): { bytes: Buffer; recordCount: number } {
  damagedLogs++;
  const rvm = Rvm.open(DIR, { storage });
  const recordCount = rvm.query().recovery.recordCount;
  const bytes = Buffer.from(rvm.map('a').bytes);
  rvm.close();
  return { bytes, recordCount };
}

function openError(storage: SimStorage): RvmError {
  damagedLogs++;
  try {
    Rvm.open(DIR, { storage }).close();
  } catch (e) {
    if (e instanceof RvmError) return e;
    throw e;
  }
  throw new Error('Rvm.open succeeded on a damaged log');
}

/** Bits to flip in the byte at `index` of a record: one per byte in CI (rotating), all eight in a soak. */
function bitsFor(index: number): number[] {
  return RUNS_MULTIPLIER > 1 ? [0, 1, 2, 3, 4, 5, 6, 7] : [index % 8];
}

// Records of 80, 304, 80 and 136 bytes: the last one (4560 .. 4696) straddles the sector boundary at 4608.
const COMMITS = [[0, 8], [100, 232], [16, 8], [600, 64]] as const;

describe('a damaged log', () => {
  it('cut or zeroed at any byte offset of its last record, recovers the records before it', () => {
    const log = buildLog(COMMITS);
    const n = COMMITS.length;
    const start = log.offsets[n - 1]!;
    const tail = log.offsets[n]!;
    expect(Math.floor(start / 512)).toBeLessThan(Math.floor((tail - 1) / 512));
    const original = log.storage.fileBytes(LOG_PATH);
    for (let cut = start; cut <= tail; cut++) {
      const commitsKept = cut === tail ? n : n - 1;
      const truncated = log.storage.clone();
      editLog(truncated, (fd) => truncated.resize(fd, cut));
      const afterCut = recover(truncated);
      expect(afterCut.recordCount, `cut at ${cut}`).toBe(commitsKept);
      expect(afterCut.bytes.equals(log.states[commitsKept]!), `cut at ${cut}`).toBe(true);

      // Zeroing only the record's zero padding leaves it whole.
      const zeroed = log.storage.clone();
      const intact = original.subarray(cut, tail).every((byte) => byte === 0);
      editLog(zeroed, (fd) => zeroed.write(fd, new Uint8Array(tail - cut), 0, tail - cut, cut));
      const afterZero = recover(zeroed);
      expect(afterZero.recordCount, `zeroed from ${cut}`).toBe(intact ? n : n - 1);
      expect(afterZero.bytes.equals(log.states[intact ? n : n - 1]!), `zeroed from ${cut}`).toBe(true);
    }
  }, testTimeout(60_000));

  it('with a flipped bit in any earlier record, is LOG_CORRUPT at that record, and stays so', () => {
    const log = buildLog(COMMITS);
    for (let record = 0; record < COMMITS.length - 1; record++) {
      for (let offset = log.offsets[record]!; offset < log.offsets[record + 1]!; offset++) {
        for (const bit of bitsFor(offset)) {
          const damaged = log.storage.clone();
          flipBit(damaged, offset, bit);
          const error = openError(damaged);
          const where = `bit ${bit} of byte ${offset} (record ${record + 1})`;
          expect(error.code, where).toBe('LOG_CORRUPT');
          expect(error.details.position, where).toBe(log.offsets[record]);
          expect(error.details.sequence, where).toBe(record + 1);
          // A refused open changes nothing: the next one refuses too.
          if (offset === log.offsets[record]) expect(openError(damaged).code).toBe('LOG_CORRUPT');
        }
      }
    }
  }, testTimeout(60_000));

  it('is LOG_CORRUPT wherever the record proving the damage lies relative to the scanner\'s 4 MiB read window', () => {
    // The scanner looks for later records with a native search for the record
    // magic, window by window. A first record of 4 MiB - 16 .. 4 MiB + 16
    // bytes puts the second one's magic before, across and after the end of
    // the window that starts 8 bytes into the damaged record.
    const window = 4 * 1024 * 1024;
    const emptyRecordSize = 72; // header 48, segment table 8, range header 16
    for (let shift = -16; shift <= 16; shift += 8) {
      const log = buildLog([[0, window + shift - emptyRecordSize], [0, 8]], window + 1024);
      expect(log.offsets[1]! - log.offsets[0]!).toBe(window + shift);
      const damaged = log.storage.clone();
      flipBit(damaged, log.offsets[0]! + 100, 3);
      const error = openError(damaged);
      expect(error.code, `shift ${shift}`).toBe('LOG_CORRUPT');
      expect(error.details.position, `shift ${shift}`).toBe(log.offsets[0]);
    }
  }, testTimeout(60_000));

  it('with a flipped bit in its last record, recovers the records before it (a torn tail)', () => {
    const log = buildLog(COMMITS);
    const n = COMMITS.length;
    for (let offset = log.offsets[n - 1]!; offset < log.offsets[n]!; offset++) {
      for (const bit of bitsFor(offset)) {
        const damaged = log.storage.clone();
        flipBit(damaged, offset, bit);
        const recovered = recover(damaged);
        expect(recovered.recordCount, `bit ${bit} of byte ${offset}`).toBe(n - 1);
        expect(recovered.bytes.equals(log.states[n - 1]!), `bit ${bit} of byte ${offset}`).toBe(true);
      }
    }
  }, testTimeout(60_000));

  it('never replays a record of an earlier generation that follows the tail with the next sequence number', () => {
    // Generation 1: r1 (flush), then r2 and r3 written but not synced. A crash
    // keeps r3 and loses r2; recovery applies r1, sees a torn tail at r2 and
    // starts generation 2 at sequence 2. Its first record is made exactly as
    // long as r1 and r2, so recovery then expects sequence 3 right where the
    // stale r3 (sequence 3, generation 1's salt) lies.
    const storage = new SimStorage();
    const options = { storage, batchSizeMax: 1 };
    let rvm = Rvm.open(DIR, options);
    let segment = rvm.map('a', SEGMENT_SIZE);
    const write = (offset: number, length: number, fill: number, flush: boolean): void => {
      const tx = rvm.begin();
      tx.setRange(segment, offset, length);
      segment.bytes.set(pattern(length, fill), offset);
      tx.commit({ flush });
    };
    write(0, 8, 1, true);
    const r2 = LOG_RECORDS_OFFSET + rvm.query().logSize;
    write(16, 8, 2, false);
    const r3 = LOG_RECORDS_OFFSET + rvm.query().logSize;
    write(200, 8, 3, false);
    const r3End = LOG_RECORDS_OFFSET + rvm.query().logSize;
    const afterR1 = Buffer.alloc(SEGMENT_SIZE);
    afterR1.set(pattern(8, 1), 0);
    const current = storage.fileBytes(LOG_PATH);

    // A crash state that lost r2 and kept r3 whole.
    let crashed: SimStorage | null = null;
    for (let seed = 0; seed < 1000 && crashed === null; seed++) {
      const candidate = storage.clone();
      candidate.crash(seed, 'random');
      const bytes = candidate.fileBytes(LOG_PATH);
      const same = (from: number, to: number): boolean => Buffer.compare(bytes.subarray(from, to), current.subarray(from, to)) === 0;
      if (bytes.length >= r3End && !same(r2, r2 + 8) && same(r3, r3End)) crashed = candidate;
    }
    expect(crashed, 'no crash state lost r2 and kept r3').not.toBeNull();
    rvm = Rvm.open(DIR, { storage: crashed!, batchSizeMax: 1 });
    expect(rvm.query().recovery.recordCount).toBe(1);
    segment = rvm.map('a');
    expect(Buffer.from(segment.bytes).equals(afterR1)).toBe(true);

    // Generation 2's first record, sequence 2, ends exactly at r3.
    const emptyRecordSize = r3End - r3 - 8;
    const length = r3 - LOG_RECORDS_OFFSET - emptyRecordSize;
    write(400, length, 4, true);
    expect(LOG_RECORDS_OFFSET + rvm.query().logSize).toBe(r3);
    rvm.close();

    // The trap is set: right after the tail lies a valid record of generation 1 with sequence 3.
    const bytes = Buffer.from(crashed!.fileBytes(LOG_PATH));
    const slots = [0, 1].map((slot) => decodeLogHeader(bytes.subarray(slot * LOG_HEADER_SLOT_SIZE, (slot + 1) * LOG_HEADER_SLOT_SIZE), slot));
    const header = slots.flatMap((check) => (check.ok ? [check.header] : [])).sort((a, b) => b.generation - a.generation)[0]!;
    expect(header.generation).toBe(2);
    const staleSalt = bytes.readUInt32LE(r3 + R_SALT);
    expect(staleSalt).not.toBe(header.salt);
    expect(checkRecord(bytes, r3, r3 + recordSize(bytes, r3), staleSalt, LOG_FORMAT_VERSION)).toBe(RecordCheck.Valid);
    expect(recordSequence(bytes, r3)).toBe(3);

    const expected = Buffer.from(afterR1);
    expected.set(pattern(length, 4), 400);
    const recovered = recover(crashed!);
    expect(recovered.recordCount).toBe(1);
    expect(recovered.bytes.equals(expected), 'the stale record of generation 1 was replayed').toBe(true);
  });

  it('of another store is refused, and the store is left as it was', () => {
    const storage = new SimStorage();
    for (const dir of ['/one', '/two']) {
      const rvm = Rvm.open(dir, { storage });
      const segment = rvm.map('a', SEGMENT_SIZE);
      const tx = rvm.begin();
      tx.setRange(segment, 0, 8);
      segment.bytes.set(pattern(8, dir.length), 0);
      tx.commit();
      rvm.close();
    }
    const foreign = storage.fileBytes('/one/log');
    const fd = storage.open('/two/log', false);
    storage.resize(fd, 0);
    storage.write(fd, foreign, 0, foreign.length, 0);
    storage.sync(fd);
    storage.close(fd);
    const segmentBefore = storage.fileBytes('/two/a.seg');
    let error: unknown = null;
    try {
      Rvm.open('/two', { storage }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RvmError);
    expect((error as RvmError).code).toBe('LOG_CORRUPT');
    expect((error as RvmError).details.reason).toBe('foreign-log');
    expect(Buffer.compare(storage.fileBytes('/two/a.seg'), segmentBefore)).toBe(0);
    expect(Buffer.compare(storage.fileBytes('/two/log'), foreign)).toBe(0);
  });
});
