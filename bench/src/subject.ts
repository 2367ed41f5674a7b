import type { Prepared } from './harness.js';
import type { CommitParams } from './workloads/commit-model.js';
import type { KvDataset } from './workloads/kv-dataset.js';
import type { KvInputs, KvPutParams, KvReadParams, KvScanParams } from './workloads/kv-model.js';
import type { RvmbenchInputs, RvmbenchParams } from './workloads/rvmbench-model.js';

/**
 * The contract between workloads and the systems they measure. A subject module (lmdb,
 * better-sqlite3, plain memory, and RVM in subjects/rvm.ts) implements the workload
 * functions it supports; each one opens a store in `dir`, loads it, and returns a Prepared
 * whose step runs one operation for a given opIndex. A workload lists a subject only if the
 * module implements its function.
 *
 * Rules every implementation follows, so rows are comparable:
 * - do all opening and loading in the function, before returning (it is untimed);
 * - a step reads its choices from `inputs` at opIndex (steps of every subject see the same);
 * - durability 'durable' means the step's transaction is on disk when the step's promise
 *   resolves (or the sync step returns); 'relaxed' means it is committed in memory only;
 * - verify(stepCountTotal) checks that every step's effect is there and throws if not;
 * - close() releases everything (files, mappings, handles); the harness removes `dir`.
 */
export interface SubjectModule {
  /** Row name in the table, e.g. `lmdb`. Unique among modules. */
  readonly name: string;
  /** One line: what is measured and with which settings. */
  readonly description: string;
  /**
   * False for in-memory references, which take part only in relaxed workloads: they have no
   * durable commit to offer.
   */
  readonly persistent: boolean;
  /** False: left out of the scale sweep even though it has kvGet (default true). */
  readonly scaleSweep?: boolean;

  /** One durable commit of params.recordSize bytes per step (commit.flush128). */
  commitFlush?(dir: string, params: CommitParams): Promise<Prepared>;
  /** params.committerCount concurrent commits per step, all durable when it ends (commit.group64). */
  commitGroup?(dir: string, params: CommitParams): Promise<Prepared>;
  /** One rvmbench transaction per step. */
  rvmbench?(dir: string, params: RvmbenchParams, inputs: RvmbenchInputs): Promise<Prepared>;
  /** One transaction of params.batchCount puts per step. */
  kvPut?(dir: string, params: KvPutParams, dataset: KvDataset, inputs: KvInputs): Promise<Prepared>;
  /** One point get per step, returning the decoded value (checked with checkValue). */
  kvGet?(dir: string, params: KvReadParams, dataset: KvDataset, inputs: KvInputs): Promise<Prepared>;
  /** One range scan of params.scanCount decoded entries per step, in key order. */
  kvScan?(dir: string, params: KvScanParams, dataset: KvDataset, inputs: KvInputs): Promise<Prepared>;
}
