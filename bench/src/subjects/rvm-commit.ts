import path from 'node:path';
import type { Segment } from '@rvm/core';
import { Rvm } from '@rvm/core';
import { assert } from '../assert.js';
import type { Prepared } from '../harness.js';
import type { CommitParams } from '../workloads/commit-model.js';
import { encodeCommitRecord } from '../workloads/commit-model.js';

/**
 * The commit rows on the raw core (workloads/commit-model.ts). One segment of records, each
 * commit declaring and rewriting one whole record.
 *
 * flush128: step s rewrites record s mod recordCount and commits with commit() (a flush
 * commit: the log record is written and fdatasynced before it returns).
 * group64: after a warm-up that grows the log file to its working size (warmUpLog), step s
 * begins committerCount transactions, each rewriting its own record (slot c for committer c),
 * commits each with commitAsync(), and resolves when all are durable. RVM
 * writes the commits made before its next turn of the event loop as one log write and
 * syncs them with one fdatasync on the thread pool (group commit).
 *
 * verify() closes the store, opens it again (recovery replays the log) and checks that the
 * last step's records are there, so only commits that reached the log count.
 */
const FLUSH_RECORD_COUNT = 8192;
const NO_RESTORE = { restore: false } as const;
const FLUSH = { flush: true } as const;
const FILLER = 0x42;

interface Records {
  readonly rvm: Rvm;
  readonly segment: Segment;
}

function openRecords(storeDir: string, recordSize: number, recordCount: number): Records {
  const rvm = Rvm.open(storeDir);
  try {
    const segment = rvm.map('records', recordCount * recordSize);
    const tx = rvm.begin(NO_RESTORE);
    tx.setRange(segment, 0, segment.size);
    segment.bytes.fill(FILLER);
    for (let slot = 0; slot < recordCount; slot++) encodeCommitRecord(segment.bytes, slot * recordSize, 0, slot);
    tx.commit(FLUSH);
    rvm.truncate();
    return { rvm, segment };
  } catch (error) {
    rvm.close();
    throw error;
  }
}

/** Closes and reopens the store, then checks that record `slot` was last written by `opIndex`. */
function reopenAndCheck(records: Records, storeDir: string, recordSize: number, slot: number, opIndex: number): Records {
  records.rvm.close();
  const rvm = Rvm.open(storeDir);
  const segment = rvm.map('records');
  const offset = slot * recordSize;
  assert(segment.bytes.readUInt32LE(offset + 4) === slot, 'the record is in its slot after recovery');
  assert(segment.bytes.readUInt32LE(offset) === opIndex, 'the last commit survived close and recovery');
  return { rvm, segment };
}

export async function prepareRvmCommitFlush(dir: string, params: CommitParams): Promise<Prepared> {
  assert(params.committerCount === 1, 'a flush step is one commit');
  const storeDir = path.join(dir, 'rvm');
  const { recordSize } = params;
  let records = openRecords(storeDir, recordSize, FLUSH_RECORD_COUNT);
  const { rvm, segment } = records;
  const bytes = segment.bytes;
  return {
    step: {
      kind: 'sync',
      run: (opIndex) => {
        const slot = opIndex % FLUSH_RECORD_COUNT;
        const offset = slot * recordSize;
        const tx = rvm.begin(NO_RESTORE);
        tx.setRange(segment, offset, recordSize);
        encodeCommitRecord(bytes, offset, opIndex, slot);
        tx.commit(FLUSH);
      },
    },
    verify: (stepCountTotal) => {
      const last = stepCountTotal - 1;
      assert(rvm.query().counters.flushCommits >= stepCountTotal, 'every step was a flush commit');
      records = reopenAndCheck(records, storeDir, recordSize, last % FLUSH_RECORD_COUNT, last);
    },
    close: async () => records.rvm.close(),
  };
}

/**
 * Log bytes the group row's warm-up writes: more than its steps will (2,000 steps of 64 commits,
 * ~9.3 KB a step), so that the row measures commits into a log file that has reached its
 * working size, as in a store that has run a while, against the raw loop that overwrites.
 */
const GROUP_WARM_UP_LOG_SIZE = 32 * 1024 * 1024;

/**
 * Grows the store's log file to GROUP_WARM_UP_LOG_SIZE and empties it. A fresh log grows in
 * 1 MiB steps of zeros, and the fdatasync after each step writes them (a few ms): a cost of
 * the first hours of a store, not of its steady state.
 */
function warmUpLog(rvm: Rvm, segment: Segment): void {
  const commits = Math.ceil(GROUP_WARM_UP_LOG_SIZE / segment.size);
  for (let i = 0; i < commits; i++) {
    const tx = rvm.begin(NO_RESTORE);
    tx.setRange(segment, 0, segment.size);
    tx.commit({ flush: false });
  }
  rvm.flush();
  rvm.truncate();
}

export async function prepareRvmCommitGroup(dir: string, params: CommitParams): Promise<Prepared> {
  const storeDir = path.join(dir, 'rvm');
  const { recordSize, committerCount } = params;
  let records = openRecords(storeDir, recordSize, committerCount);
  const { rvm, segment } = records;
  warmUpLog(rvm, segment);
  const bytes = segment.bytes;
  const pending: Promise<void>[] = new Array<Promise<void>>(committerCount);
  return {
    step: {
      kind: 'async',
      run: async (opIndex) => {
        for (let slot = 0; slot < committerCount; slot++) {
          const offset = slot * recordSize;
          const tx = rvm.begin(NO_RESTORE);
          tx.setRange(segment, offset, recordSize);
          encodeCommitRecord(bytes, offset, opIndex, slot);
          pending[slot] = tx.commitAsync();
        }
        await Promise.all(pending);
      },
    },
    verify: (stepCountTotal) => {
      const counters = rvm.query().counters;
      assert(counters.asyncCommits >= stepCountTotal * committerCount, 'every commit was an async commit');
      records = reopenAndCheck(records, storeDir, recordSize, committerCount - 1, stepCountTotal - 1);
    },
    close: async () => records.rvm.close(),
  };
}
