import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectStore, inspectStoreFile, readLogRecords, readSegmentBytes, verifyStore } from '../src/inspect/index.js';
import { scanLogOnce } from '../src/inspect/log-snapshot.js';
import { readOnlyStorage } from '../src/inspect/read-only-storage.js';
import { Rvm, RvmError } from '../src/index.js';
import { SimStorage } from '../src/testing.js';
import type { Storage } from '../src/storage/storage.js';
import { tempDir } from './helpers/temp-dir.js';

const RECORDS_OFFSET = 4096;

/** Opens a store, writes one flush commit per entry of `writes` (segment, offset, length), leaves the records in the log. */
function storeWith(dir: string, writes: ReadonlyArray<readonly [string, number, number]>, options: { storage?: Storage } = {}): Rvm {
  const rvm = Rvm.open(dir, options);
  const segments = new Map([['a', rvm.map('a', 8192)], ['b', rvm.map('b', 4096)]]);
  for (const [name, offset, length] of writes) {
    const segment = segments.get(name)!;
    const tx = rvm.begin();
    tx.setRange(segment, offset, length);
    segment.bytes.fill(0x41 + (offset % 26), offset, offset + length);
    tx.commit();
  }
  return rvm;
}

function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RvmError) return e.code;
    throw e;
  }
  return 'no error';
}

/** Positions of the records of the log of `dir`. */
function positions(dir: string): number[] {
  return readLogRecords(dir).records.map((r) => r.position);
}

describe('inspectStore', () => {
  it('reports the store file, the log, the segments and this process as the lock holder', () => {
    const dir = tempDir();
    const rvm = storeWith(dir, [['a', 0, 16], ['b', 100, 8], ['a', 4000, 200]]);
    const held = inspectStore(dir);
    expect(held.formatVersion).toBe(1);
    expect(held.storeId).toMatch(/^[0-9a-f]{32}$/);
    expect(held.segments).toEqual([{ name: 'a', size: 8192 }, { name: 'b', size: 4096 }]);
    expect(held.log).toMatchObject({ generation: 1, startSequence: 1, recordCount: 3, nextSequence: 4, tail: 'zeros', tornTail: false, corruption: null });
    expect(held.log!.recordsSize).toBe(rvm.query().logSize);
    expect(held.lock.checked).toBe(true);
    expect(held.lock.held).toBe(true);
    expect(held.lock.holder).toContain(`pid ${process.pid}`);
    expect(held.stable).toBe(true);
    rvm.close();
    const closed = inspectStore(dir);
    expect(closed.lock).toEqual({ checked: true, held: false, holder: null });
    // Closing flushes but does not truncate: the records are still in the log.
    expect(closed.log!.recordCount).toBe(3);
  });

  it('reports STORE_NOT_FOUND for a missing directory and for a directory without a store, creating nothing', () => {
    const dir = tempDir();
    expect(thrownCode(() => inspectStore(`${dir}/missing`))).toBe('STORE_NOT_FOUND');
    expect(fs.existsSync(`${dir}/missing`)).toBe(false);
    expect(thrownCode(() => inspectStore(dir))).toBe('STORE_NOT_FOUND');
    expect(thrownCode(() => verifyStore(dir))).toBe('STORE_NOT_FOUND');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('changes no byte of a simulated store, and the storage it reads through refuses writes', () => {
    const storage = new SimStorage();
    const rvm = storeWith('/s', [['a', 0, 16], ['b', 8, 8]], { storage });
    const contents = (): string[][] => storage.listAll().map((path) => [path, path.endsWith('/') ? '' : createHash('sha256').update(storage.fileBytes(path)).digest('hex')]);
    const before = contents();
    const inspection = inspectStore('/s', { storage });
    readLogRecords('/s', { storage });
    verifyStore('/s', { storage });
    expect(contents()).toEqual(before);
    expect(inspection.log!.recordCount).toBe(2);
    expect(inspection.lock).toEqual({ checked: false, held: false, holder: null });
    const readOnly = readOnlyStorage(storage);
    expect(() => readOnly.write(0, Buffer.alloc(1), 0, 1, 0)).toThrow(/may write/);
    expect(() => readOnly.open('/s/new', true)).toThrow(/never creates/);
    rvm.close();
  });
});

describe('readLogRecords', () => {
  it('describes every record and filters by segment and by offset range', () => {
    const dir = tempDir();
    const rvm = storeWith(dir, [['a', 0, 16], ['b', 100, 8], ['a', 4000, 200]]);
    rvm.close();
    const all = readLogRecords(dir);
    expect(all.records.map((r) => r.sequence)).toEqual([1, 2, 3]);
    expect(all.records[0]).toMatchObject({ position: RECORDS_OFFSET, commitCount: 1, durableSequence: 0, rangeCount: 1, dataSize: 16, ranges: [{ segment: 'a', offset: 0, length: 16 }] });
    expect(all.records[1]!.position).toBe(RECORDS_OFFSET + all.records[0]!.size);
    expect(all.records[2]!.durableSequence).toBe(2);
    expect(readLogRecords(dir, { segment: 'b' }).records.map((r) => r.sequence)).toEqual([2]);
    expect(readLogRecords(dir, { segment: 'a', offsetFrom: 16 }).records.map((r) => r.sequence)).toEqual([3]);
    // Ranges are [offset, offset + length): 4000..4200 overlaps [4199, 4200) but not [4200, ...).
    expect(readLogRecords(dir, { offsetFrom: 4199, offsetTo: 4200 }).records.map((r) => r.sequence)).toEqual([3]);
    expect(readLogRecords(dir, { offsetFrom: 4200 }).records).toEqual([]);
    expect(readLogRecords(dir, { offsetTo: 8 }).records.map((r) => r.sequence)).toEqual([1]);
    expect(thrownCode(() => readLogRecords(dir, { offsetFrom: 10, offsetTo: 5 }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => readLogRecords(dir, { offsetFrom: -1 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('readSegmentBytes and inspectStoreFile', () => {
  it('shows the bytes recovery would leave, or the file alone, without recovering', () => {
    const dir = tempDir();
    storeWith(dir, [['a', 0, 16], ['b', 100, 8], ['a', 8, 16], ['a', 4000, 200]]).close();
    const logBefore = fs.readFileSync(`${dir}/log`);
    const fromLog = readSegmentBytes(dir, 'a', { offset: 4, length: 24 });
    expect(fromLog).toMatchObject({ segment: 'a', size: 8192, offset: 4, recordCount: 2 });
    const fileOnly = readSegmentBytes(dir, 'a', { offset: 4, length: 24, fromLog: false });
    expect(fileOnly.bytes.every((b) => b === 0)).toBe(true);
    expect(fileOnly.log).toBeNull();
    expect(readSegmentBytes(dir, 'a', { offset: 8100 }).bytes.length).toBe(92);
    expect(thrownCode(() => readSegmentBytes(dir, 'a', { offset: 8193 }))).toBe('OUT_OF_RANGE');
    expect(thrownCode(() => readSegmentBytes(dir, 'c'))).toBe('SEGMENT_NOT_FOUND');
    expect(fs.readFileSync(`${dir}/log`).equals(logBefore)).toBe(true);
    const whole = readSegmentBytes(dir, 'a').bytes;
    const rvm = Rvm.open(dir);
    expect(rvm.map('a').bytes.equals(whole)).toBe(true);
    expect(inspectStoreFile(dir)).toEqual({ formatVersion: 1, storeId: inspectStore(dir).storeId, createdAt: expect.any(Number) });
    rvm.close();
  });
});

describe('damage: inspection and recovery agree', () => {
  it('a damaged record that a later record shows was synced is corruption, at the position recovery reports', () => {
    const dir = tempDir();
    storeWith(dir, [['a', 0, 16], ['a', 100, 16], ['a', 200, 16]]).close();
    const [, second] = positions(dir);
    flipByte(`${dir}/log`, second! + 60);
    const inspection = inspectStore(dir);
    expect(inspection.log).toMatchObject({ recordCount: 1, tornTail: false, corruption: { position: second, sequence: 2 } });
    const verification = verifyStore(dir);
    expect(verification.problems).toHaveLength(1);
    expect(verification.problems[0]).toMatchObject({ code: 'LOG_CORRUPT', position: second, sequence: 2 });
    let recovery: unknown;
    try {
      Rvm.open(dir).close();
    } catch (e) {
      recovery = e;
    }
    expect(recovery).toBeInstanceOf(RvmError);
    expect((recovery as RvmError).code).toBe('LOG_CORRUPT');
    expect((recovery as RvmError).details.position).toBe(second);
  });

  it('a damaged last record is a torn tail: a note, not a problem, and recovery applies the records before it', () => {
    const dir = tempDir();
    storeWith(dir, [['a', 0, 16], ['a', 100, 16]]).close();
    const [, last] = positions(dir);
    flipByte(`${dir}/log`, last! + 60);
    const inspection = inspectStore(dir);
    expect(inspection.log).toMatchObject({ recordCount: 1, recordsSize: last! - RECORDS_OFFSET, tornTail: true, corruption: null });
    const verification = verifyStore(dir);
    expect(verification.problems).toEqual([]);
    expect(verification.notes.join('\n')).toContain(`torn tail at log offset ${last}`);
    const rvm = Rvm.open(dir);
    expect(rvm.query().recovery).toMatchObject({ recordCount: 1, tornTail: true });
    rvm.close();
  });

  it('a missing or shortened segment file is reported with the record that needs it', () => {
    const dir = tempDir();
    storeWith(dir, [['a', 0, 16], ['b', 100, 8], ['a', 4000, 200]]).close();
    fs.truncateSync(`${dir}/a.seg`, 4100);
    fs.rmSync(`${dir}/b.seg`);
    const [, second, third] = positions(dir);
    const problems = verifyStore(dir).problems;
    expect(problems.map((p) => [p.code, p.segment, p.sequence, p.position])).toEqual([
      ['SEGMENT_SHORT', 'a', 3, third],
      ['SEGMENT_MISSING', 'b', 2, second],
    ]);
    expect(thrownCode(() => Rvm.open(dir))).not.toBe('no error');
  });

  it('a damaged store file is a problem of the store file', () => {
    const dir = tempDir();
    storeWith(dir, [['a', 0, 16]]).close();
    flipByte(`${dir}/store`, 20);
    expect(verifyStore(dir).problems.map((p) => p.code)).toEqual(['STORE_CORRUPT']);
    expect(thrownCode(() => inspectStore(dir))).toBe('STORE_CORRUPT');
  });
});

describe('a truncation while inspecting', () => {
  /**
   * A store with three records in generation `generation`, and a storage whose
   * first read of a record truncates the log and writes one record of the new
   * generation, of the same size, over the first record of the old one.
   */
  function racingStore(generation: number): { rvm: Rvm; racing: Storage; storeId: Buffer; reset: () => boolean } {
    const storage = new SimStorage();
    const rvm = Rvm.open('/s', { storage });
    const segment = rvm.map('a', 4096);
    const commit = (offset: number): void => {
      const tx = rvm.begin();
      tx.setRange(segment, offset, 16);
      segment.bytes.fill(1, offset, offset + 16);
      tx.commit();
    };
    for (let g = 1; g < generation; g++) {
      commit(0);
      rvm.truncate();
    }
    for (const offset of [0, 100, 200]) commit(offset);
    expect(rvm.query().generation).toBe(generation);
    let raced = false;
    const racing = new Proxy(storage, {
      get(target, property, receiver): unknown {
        if (property !== 'read') return Reflect.get(target, property, receiver);
        return (fd: number, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number => {
          if (!raced && position >= RECORDS_OFFSET) {
            raced = true;
            rvm.truncate();
            commit(300);
          }
          return target.read(fd, buffer, bufferOffset, length, position);
        };
      },
    });
    const storeId = Buffer.from(inspectStore('/s', { storage }).storeId, 'hex');
    const reset = (): boolean => {
      const was = raced;
      raced = false;
      return was;
    };
    return { rvm, racing, storeId, reset };
  }

  it('is not mistaken for a damaged record: the reading is repeated in the new generation', () => {
    const { rvm, racing, storeId, reset } = racingStore(2);
    // One scan alone sees the old generation's records behind the new record and
    // concludes that a synced record was damaged.
    const once = scanLogOnce(readOnlyStorage(racing), '/s', storeId, null);
    expect(reset()).toBe(true);
    expect(once!.corruption).toMatchObject({ position: RECORDS_OFFSET });
    const inspection = inspectStore('/s', { storage: racing });
    expect(reset()).toBe(true);
    expect(inspection.stable).toBe(true);
    expect(inspection.log).toMatchObject({ generation: 4, recordCount: 1, corruption: null, tornTail: false });
    rvm.close();
  });

  it('is not mistaken for a lost header in a first generation', () => {
    const { rvm, racing, storeId, reset } = racingStore(1);
    // With one valid header slot, RedoLog.open looks for records of a lost newer
    // generation, and finds the one the truncation just wrote.
    expect(thrownCode(() => scanLogOnce(readOnlyStorage(racing), '/s', storeId, null))).toBe('LOG_CORRUPT');
    expect(reset()).toBe(true);
    const verification = verifyStore('/s', { storage: racing });
    expect(reset()).toBe(true);
    expect(verification.problems).toEqual([]);
    expect(verification.log).toMatchObject({ generation: 3, recordCount: 1, corruption: null });
    rvm.close();
  });
});

function flipByte(path: string, position: number): void {
  const fd = fs.openSync(path, 'r+');
  const one = Buffer.alloc(1);
  fs.readSync(fd, one, 0, 1, position);
  one[0] = one[0]! ^ 0xff;
  fs.writeSync(fd, one, 0, 1, position);
  fs.closeSync(fd);
}
