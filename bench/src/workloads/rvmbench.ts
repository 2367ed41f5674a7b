import type { BenchConfig } from '../config.js';
import { scaled } from '../config.js';
import type { Target, Workload } from '../harness.js';
import { rowKey, stepCountTotalOf } from '../harness.js';
import { lazy } from '../lazy.js';
import { APPEND_FDATASYNC, RAW } from '../physical.js';
import { Random, seedOf } from '../random.js';
import type { SubjectModule } from '../subject.js';
import type { Durability, Locality, RvmbenchParams } from './rvmbench-model.js';
import { RVMBENCH_BRANCH_COUNT, RVMBENCH_TELLER_COUNT, makeRvmbenchInputs } from './rvmbench-model.js';

/**
 * rvmbench rows: {durable, relaxed} x {uniform, localized}. Durable rows are measured against
 * the raw 128-byte append + fdatasync (a durable commit needs at least one such append);
 * relaxed rows against the same transaction on plain memory.
 */
export const RVMBENCH_ACCOUNT_COUNT = 100_000;

/**
 * Targets for the RVM subject, from the issue "Benchmarks side by side". A durable commit is
 * one log append and one fdatasync, where lmdb syncs more than once per commit; a relaxed
 * commit copies five small ranges into the log batch, where lmdb's unsynced commit still
 * writes pages.
 */
const RVM_TARGETS: Readonly<Record<Durability, readonly Target[]>> = {
  durable: [
    { kind: 'ratio-min', value: 2.5, versus: 'lmdb' },
    { kind: 'ratio-min', value: 1, versus: 'sqlite' },
  ],
  relaxed: [{ kind: 'ratio-min', value: 4, versus: 'lmdb' }],
};

export function rvmbenchWorkloads(config: BenchConfig, modules: readonly SubjectModule[]): Workload[] {
  const workloads: Workload[] = [];
  const accountCount = scaled(config, RVMBENCH_ACCOUNT_COUNT, 1000);
  for (const durability of ['durable', 'relaxed'] as const) {
    for (const locality of ['uniform', 'localized'] as const) {
      const name = `rvmbench.${durability}.${locality}`;
      const params: RvmbenchParams = {
        accountCount,
        tellerCount: RVMBENCH_TELLER_COUNT,
        branchCount: RVMBENCH_BRANCH_COUNT,
        durability,
      };
      const stepCount = durability === 'durable' ? scaled(config, 1000, 50) : scaled(config, 50_000, 2000);
      const inputs = lazy(() =>
        makeRvmbenchInputs(new Random(seedOf(name, config.seed)), params, locality, stepCountTotalOf(stepCount, config.roundCount)),
      );
      const subjects = modules
        .filter((module) => module.rvmbench !== undefined && (durability === 'relaxed' || module.persistent))
        .map((module) => ({
          name: module.name,
          prepare: (dir: string) => module.rvmbench!(dir, params, inputs()),
        }));
      workloads.push({
        name,
        description: describe(durability, locality, accountCount),
        unit: 'tx/s',
        itemsPerStep: 1,
        stepCount,
        latency: durability === 'durable',
        reference: durability === 'durable' ? rowKey(APPEND_FDATASYNC, RAW) : rowKey(name, 'memory'),
        subjects,
        targets: { rvm: RVM_TARGETS[durability] },
      });
    }
  }
  return workloads;
}

function describe(durability: Durability, locality: Locality, accountCount: number): string {
  const commit = durability === 'durable' ? 'each commit durable' : 'commits not synced';
  const access = locality === 'uniform' ? 'uniform accounts' : '70/25/5% of transactions on 5/15/80% of accounts';
  return `TPC-A-like: 1 branch, 10 tellers, ${accountCount.toLocaleString('en-US')} accounts of 128 B, 64 B history; ${access}; ${commit}`;
}
