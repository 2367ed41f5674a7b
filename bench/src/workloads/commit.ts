import type { BenchConfig } from '../config.js';
import { scaled } from '../config.js';
import type { Target, Workload } from '../harness.js';
import { rowKey } from '../harness.js';
import { APPEND_FDATASYNC, GROUP_FDATASYNC, RAW } from '../physical.js';
import type { SubjectModule } from '../subject.js';
import type { CommitParams } from './commit-model.js';
import { COMMIT_COMMITTER_COUNT, COMMIT_RECORD_SIZE } from './commit-model.js';

/**
 * Commit rows (see commit-model.ts), for subjects that expose a bare durable commit (today
 * only RVM). Step counts match the physical rows they are compared with, so both see the
 * disk for as long. A row without subjects is left out.
 */
const RVM_TARGETS: Readonly<Record<'flush' | 'group', Target>> = {
  // From the issue "Benchmarks side by side": one flush commit is one log append and one
  // fdatasync, so it should cost at most 10% more than the raw append + fdatasync loop.
  flush: { kind: 'ratio-min', value: 0.9 },
  // Not in the issue: the target rvm-core's own bench (packages/rvm-core/bench/run.ts) sets
  // for commitAsync against the raw group write + fdatasync.
  group: { kind: 'ratio-min', value: 0.8 },
};

export function commitWorkloads(config: BenchConfig, modules: readonly SubjectModule[]): Workload[] {
  const flushParams: CommitParams = { recordSize: COMMIT_RECORD_SIZE, committerCount: 1 };
  const groupParams: CommitParams = { recordSize: COMMIT_RECORD_SIZE, committerCount: COMMIT_COMMITTER_COUNT };
  const flushSubjects = modules
    .filter((module) => module.commitFlush !== undefined && module.persistent)
    .map((module) => ({ name: module.name, prepare: (dir: string) => module.commitFlush!(dir, flushParams) }));
  const groupSubjects = modules
    .filter((module) => module.commitGroup !== undefined && module.persistent)
    .map((module) => ({ name: module.name, prepare: (dir: string) => module.commitGroup!(dir, groupParams) }));
  const workloads: Workload[] = [];
  if (flushSubjects.length > 0) {
    workloads.push({
      name: 'commit.flush128',
      description: `one transaction changing one ${COMMIT_RECORD_SIZE}-byte record, committed durably (log append + fdatasync)`,
      unit: 'commit/s',
      itemsPerStep: 1,
      stepCount: scaled(config, 5000, 100),
      latency: true,
      reference: rowKey(APPEND_FDATASYNC, RAW),
      subjects: flushSubjects,
      targets: { rvm: RVM_TARGETS.flush },
    });
  }
  if (groupSubjects.length > 0) {
    workloads.push({
      name: 'commit.group64',
      description: `${COMMIT_COMMITTER_COUNT} concurrent committers of one ${COMMIT_RECORD_SIZE}-byte record each; a step ends when all are durable`,
      unit: 'commit/s',
      itemsPerStep: COMMIT_COMMITTER_COUNT,
      stepCount: scaled(config, 2000, 50),
      latency: true,
      reference: rowKey(GROUP_FDATASYNC, RAW),
      subjects: groupSubjects,
      targets: { rvm: RVM_TARGETS.group },
    });
  }
  return workloads;
}
