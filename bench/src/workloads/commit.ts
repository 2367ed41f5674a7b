import type { BenchConfig } from '../config.js';
import { scaled } from '../config.js';
import type { Target, Workload, WorkloadSubject } from '../harness.js';
import { rowKey, stepCountTotalOf } from '../harness.js';
import { prepareSmallWrites, RAW } from '../physical.js';
import type { SubjectModule } from '../subject.js';
import type { CommitParams } from './commit-model.js';
import { COMMIT_COMMITTER_COUNT, COMMIT_RECORD_SIZE } from './commit-model.js';

/**
 * Commit rows (see commit-model.ts), for subjects that expose a bare durable commit (today
 * only RVM). Each row also runs its physical bound as subjects of the same workload, so that
 * their rounds interleave with the commits' and the ratio is measured under the same load:
 * `raw` repeats physical.append128-fdatasync or physical.group64-fdatasync, and `raw-overwrite`
 * the same writes over file space written before (RVM's log writes zeros a megabyte ahead of
 * its tail, so most of its commits overwrite). flush128's reference is `raw` (the issue's
 * target is against an append), group64's is `raw-overwrite`, the machine's limit; group64's
 * target is against `raw-overwrite-pool`, the same loop syncing on the thread pool as
 * commitAsync must (and as rvm-core's own bench compares). Step counts are the physical
 * rows'. A row without commit subjects is left out.
 */
const RAW_OVERWRITE = 'raw-overwrite';
/** The overwrite loop with its fdatasync on the thread pool, as commitAsync must sync. */
const RAW_OVERWRITE_POOL = 'raw-overwrite-pool';

const RVM_TARGETS: Readonly<Record<'flush' | 'group', Target>> = {
  // From the issue "Benchmarks side by side": one flush commit is one log append and one
  // fdatasync, so it should cost at most 10% more than the raw append + fdatasync loop.
  flush: { kind: 'ratio-min', value: 0.9 },
  // The target of the group-commit issue, as rvm-core's own bench (packages/rvm-core/bench/run.ts)
  // measures it: commitAsync against the raw group write + fdatasync on the thread pool.
  group: { kind: 'ratio-min', value: 0.8, versus: RAW_OVERWRITE_POOL },
};

export function commitWorkloads(config: BenchConfig, modules: readonly SubjectModule[]): Workload[] {
  const flushParams: CommitParams = { recordSize: COMMIT_RECORD_SIZE, committerCount: 1 };
  const groupParams: CommitParams = { recordSize: COMMIT_RECORD_SIZE, committerCount: COMMIT_COMMITTER_COUNT };
  const flushStepCount = scaled(config, 5000, 100);
  const groupStepCount = scaled(config, 2000, 50);
  const flushSubjects = modules
    .filter((module) => module.commitFlush !== undefined && module.persistent)
    .map((module): WorkloadSubject => ({ name: module.name, prepare: (dir) => module.commitFlush!(dir, flushParams) }));
  const groupSubjects = modules
    .filter((module) => module.commitGroup !== undefined && module.persistent)
    .map((module): WorkloadSubject => ({ name: module.name, prepare: (dir) => module.commitGroup!(dir, groupParams) }));
  const flushName = 'commit.flush128';
  const groupName = 'commit.group64';
  const workloads: Workload[] = [];
  if (flushSubjects.length > 0) {
    const overwriteSize = COMMIT_RECORD_SIZE * stepCountTotalOf(flushStepCount, config.roundCount);
    workloads.push({
      name: flushName,
      description: `one transaction changing one ${COMMIT_RECORD_SIZE}-byte record, committed durably; raw: ${COMMIT_RECORD_SIZE}-byte append (or overwrite) + fdatasync`,
      unit: 'commit/s',
      itemsPerStep: 1,
      stepCount: flushStepCount,
      latency: true,
      reference: rowKey(flushName, RAW),
      subjects: [
        { name: RAW, prepare: (dir) => prepareSmallWrites(dir, COMMIT_RECORD_SIZE, 0) },
        { name: RAW_OVERWRITE, prepare: (dir) => prepareSmallWrites(dir, COMMIT_RECORD_SIZE, overwriteSize) },
        ...flushSubjects,
      ],
      targets: { rvm: RVM_TARGETS.flush },
    });
  }
  if (groupSubjects.length > 0) {
    const groupSize = COMMIT_RECORD_SIZE * COMMIT_COMMITTER_COUNT;
    const overwriteSize = groupSize * stepCountTotalOf(groupStepCount, config.roundCount);
    workloads.push({
      name: groupName,
      description: `${COMMIT_COMMITTER_COUNT} concurrent committers of one ${COMMIT_RECORD_SIZE}-byte record each, a step ends when all are durable; raw: one ${groupSize}-byte overwrite (or append) + fdatasync`,
      unit: 'commit/s',
      itemsPerStep: COMMIT_COMMITTER_COUNT,
      stepCount: groupStepCount,
      latency: true,
      // The reference overwrites, as RVM's log does (and as rvm-core's own bench compares): an
      // append changes the file size at every fdatasync, which makes the raw loop slower.
      reference: rowKey(groupName, RAW_OVERWRITE),
      subjects: [
        { name: RAW, prepare: (dir) => prepareSmallWrites(dir, groupSize, 0) },
        { name: RAW_OVERWRITE, prepare: (dir) => prepareSmallWrites(dir, groupSize, overwriteSize) },
        { name: RAW_OVERWRITE_POOL, prepare: (dir) => prepareSmallWrites(dir, groupSize, overwriteSize, 'thread-pool') },
        ...groupSubjects,
      ],
      targets: { rvm: RVM_TARGETS.group },
    });
  }
  return workloads;
}
