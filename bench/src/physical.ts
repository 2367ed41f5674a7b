import fs from 'node:fs';
import path from 'node:path';
import { assert } from './assert.js';
import type { BenchConfig } from './config.js';
import { scaled } from './config.js';
import type { Prepared, Workload } from './harness.js';
import { rowKey, stepCountTotalOf } from './harness.js';

/**
 * Physical limits of this machine, the references every durable and in-memory row is
 * compared with: what one small synchronous log append costs, what group commit buys, how
 * fast the file system streams, and how fast memory copies. The subject is always `raw`:
 * plain fs.writeSync / fs.fdatasyncSync / Buffer.copy, nothing between them and the kernel.
 */
export const RAW = 'raw';
export const APPEND_FDATASYNC = 'physical.append128-fdatasync';
export const GROUP_FDATASYNC = 'physical.group64-fdatasync';

const RECORD_SIZE = 128;
const GROUP_RECORD_COUNT = 64;
const CHUNK_SIZE = 1 << 20;
const MEGABYTES_PER_CHUNK = CHUNK_SIZE / 1e6;
const READ_FILE_CHUNK_COUNT = 64;

export function physicalWorkloads(config: BenchConfig): Workload[] {
  const appendReference = rowKey(APPEND_FDATASYNC, RAW);
  const smallWriteStepCount = scaled(config, 5000, 100);
  const overwriteSize = RECORD_SIZE * stepCountTotalOf(smallWriteStepCount, config.roundCount);
  return [
    {
      name: APPEND_FDATASYNC,
      description: 'append one 128-byte record at the end of a growing file, then fdatasync',
      unit: 'op/s',
      itemsPerStep: 1,
      stepCount: smallWriteStepCount,
      latency: true,
      reference: appendReference,
      subjects: [{ name: RAW, prepare: (dir) => prepareSmallWrites(dir, RECORD_SIZE, 0) }],
      targets: { [RAW]: { kind: 'known', value: 14_700 } },
    },
    {
      name: 'physical.overwrite128-fdatasync',
      description: 'write 128-byte records into a preallocated file (no size change), fdatasync each',
      unit: 'op/s',
      itemsPerStep: 1,
      stepCount: smallWriteStepCount,
      latency: true,
      reference: appendReference,
      subjects: [{ name: RAW, prepare: (dir) => prepareSmallWrites(dir, RECORD_SIZE, overwriteSize) }],
    },
    {
      name: GROUP_FDATASYNC,
      description: 'group commit: 64 records of 128 bytes coalesced into one 8 KiB append and one fdatasync',
      unit: 'record/s',
      itemsPerStep: GROUP_RECORD_COUNT,
      stepCount: scaled(config, 2000, 50),
      latency: true,
      reference: appendReference,
      subjects: [{ name: RAW, prepare: (dir) => prepareSmallWrites(dir, RECORD_SIZE * GROUP_RECORD_COUNT, 0) }],
      targets: { [RAW]: { kind: 'known', value: 210_000 } },
    },
    {
      name: 'physical.seq-write-1MiB',
      description: 'sequential 1 MiB writes into a new file, one fsync at the end of each round',
      unit: 'MB/s',
      itemsPerStep: MEGABYTES_PER_CHUNK,
      stepCount: scaled(config, 128, 8),
      latency: false,
      reference: rowKey('physical.seq-write-1MiB', RAW),
      subjects: [{ name: RAW, prepare: prepareSequentialWrite }],
    },
    {
      name: 'physical.seq-read-1MiB',
      description: 'sequential 1 MiB reads of a 64 MiB file just written (page cache, not the device)',
      unit: 'MB/s',
      itemsPerStep: MEGABYTES_PER_CHUNK,
      stepCount: scaled(config, 512, 32),
      latency: false,
      reference: rowKey('physical.seq-read-1MiB', RAW),
      subjects: [{ name: RAW, prepare: prepareSequentialRead }],
    },
    {
      name: 'physical.copy-128B',
      description: 'Buffer.copy of 128 bytes into a 1 MiB buffer (what a small set-range must at least cost)',
      unit: 'op/s',
      itemsPerStep: 1,
      stepCount: scaled(config, 2_000_000, 10_000),
      latency: false,
      reference: rowKey('physical.copy-128B', RAW),
      subjects: [{ name: RAW, prepare: async () => prepareCopy(RECORD_SIZE) }],
    },
    {
      name: 'physical.copy-1MiB',
      description: 'Buffer.copy of 1 MiB between two buffers',
      unit: 'MB/s',
      itemsPerStep: MEGABYTES_PER_CHUNK,
      stepCount: scaled(config, 4000, 100),
      latency: false,
      reference: rowKey('physical.copy-1MiB', RAW),
      subjects: [{ name: RAW, prepare: async () => prepareCopy(CHUNK_SIZE) }],
    },
  ];
}

/**
 * Writes of `writeSize` bytes at consecutive offsets, each followed by fdatasync. Appending
 * grows the file, so each fdatasync also commits the new size (on ext4 a journal commit);
 * with `preallocateSize` > 0 the blocks exist (written and fsynced) beforehand, so only data
 * goes to the device. `syncOn`: 'main' calls fdatasyncSync; 'thread-pool' calls fs.fdatasync and
 * awaits it, as an asynchronous commit must (the main thread cannot wait in the kernel without
 * stopping the event loop), which costs a hand-off to a libuv thread and back per sync.
 */
export async function prepareSmallWrites(dir: string, writeSize: number, preallocateSize: number, syncOn: 'main' | 'thread-pool' = 'main'): Promise<Prepared> {
  const file = path.join(dir, 'log');
  const fd = fs.openSync(file, 'w+');
  if (preallocateSize > 0) fillFile(fd, preallocateSize);
  const record = Buffer.alloc(writeSize, 0x42);
  let position = 0;
  const write = (opIndex: number): void => {
    record.writeUInt32LE(opIndex, 0);
    const written = fs.writeSync(fd, record, 0, writeSize, position);
    assert(written === writeSize, 'a small write is never short');
    position += writeSize;
  };
  return {
    step:
      syncOn === 'main'
        ? {
            kind: 'sync',
            run: (opIndex) => {
              write(opIndex);
              fs.fdatasyncSync(fd);
            },
          }
        : {
            kind: 'async',
            run: (opIndex) => {
              write(opIndex);
              return new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error === null ? resolve() : reject(error))));
            },
          },
    verify: (stepCountTotal) => {
      assert(position === stepCountTotal * writeSize, 'every write advanced the position');
      const last = Buffer.alloc(4);
      fs.readSync(fd, last, 0, 4, position - writeSize);
      assert(last.readUInt32LE(0) === stepCountTotal - 1, 'the last record is on the file');
    },
    close: async () => fs.closeSync(fd),
  };
}

async function prepareSequentialWrite(dir: string): Promise<Prepared> {
  const fd = fs.openSync(path.join(dir, 'stream'), 'w');
  const chunk = Buffer.alloc(CHUNK_SIZE, 0x37);
  let position = 0;
  let chunkCount = 0;
  return {
    // Each round writes a fresh file: overwriting last round's blocks would skip allocation.
    beforeRound: () => {
      fs.ftruncateSync(fd, 0);
      position = 0;
    },
    step: {
      kind: 'sync',
      run: () => {
        const written = fs.writeSync(fd, chunk, 0, CHUNK_SIZE, position);
        assert(written === CHUNK_SIZE, 'a 1 MiB file write is not short on a local file system');
        position += CHUNK_SIZE;
        chunkCount += 1;
      },
    },
    finishRound: () => fs.fsyncSync(fd),
    verify: (stepCountTotal) => assert(chunkCount === stepCountTotal, 'every chunk was written'),
    close: async () => fs.closeSync(fd),
  };
}

async function prepareSequentialRead(dir: string): Promise<Prepared> {
  const fd = fs.openSync(path.join(dir, 'stream'), 'w+');
  fillFile(fd, READ_FILE_CHUNK_COUNT * CHUNK_SIZE);
  const chunk = Buffer.alloc(CHUNK_SIZE);
  let byteCount = 0;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const position = (opIndex % READ_FILE_CHUNK_COUNT) * CHUNK_SIZE;
        const read = fs.readSync(fd, chunk, 0, CHUNK_SIZE, position);
        assert(read === CHUNK_SIZE, 'a read inside the file is not short');
        byteCount += read;
      },
    },
    verify: (stepCountTotal) => {
      assert(byteCount === stepCountTotal * CHUNK_SIZE, 'every chunk was read');
      assert(chunk[CHUNK_SIZE - 1] === 0x37, 'reads returned the written bytes');
    },
    close: async () => fs.closeSync(fd),
  };
}

function prepareCopy(copySize: number): Prepared {
  const source = Buffer.alloc(copySize, 0x11);
  const target = Buffer.alloc(Math.max(copySize, CHUNK_SIZE));
  const slotCount = target.length / copySize;
  assert(Number.isInteger(slotCount) && (slotCount & (slotCount - 1)) === 0, 'slots are a power of two');
  const slotMask = slotCount - 1;
  let copyCount = 0;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        source.copy(target, (opIndex & slotMask) * copySize);
        copyCount += 1;
      },
    },
    verify: (stepCountTotal) => {
      assert(copyCount === stepCountTotal, 'every copy ran');
      assert(target[0] === 0x11 && target[copySize - 1] === 0x11, 'copies landed');
    },
    close: async () => {},
  };
}

/** Writes `size` bytes of 0x37 and fsyncs, so the blocks are allocated and the data is real. */
function fillFile(fd: number, size: number): void {
  const chunk = Buffer.alloc(CHUNK_SIZE, 0x37);
  for (let position = 0; position < size; position += CHUNK_SIZE) {
    const length = Math.min(CHUNK_SIZE, size - position);
    fs.writeSync(fd, chunk, 0, length, position);
  }
  fs.fsyncSync(fd);
}
