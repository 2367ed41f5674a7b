import type { SubjectModule } from '../subject.js';
import { prepareRvmCommitFlush, prepareRvmCommitGroup } from './rvm-commit.js';
import { prepareRvmKvGet, prepareRvmKvPut, prepareRvmKvScan } from './rvm-kv.js';
import { prepareRvmRvmbench } from './rvm-rvmbench.js';

/**
 * RVM, the subject this package exists for. `rvm`: the commit rows and rvmbench on the raw
 * core (@rvm/core; rvm-commit.ts, rvm-rvmbench.ts), and the key-value rows on the B-tree of
 * @rvm/structs (rvm-kv.ts). `rvm-hash`: the key-value point rows (puts and gets) on the
 * hash map of @rvm/structs; it has no range scans.
 * durable: a flush commit (log append + fdatasync before commit returns); relaxed: a
 * no-flush commit (durable at the next flush commit, flush or close).
 */
export const rvmSubject: SubjectModule = {
  name: 'rvm',
  description: '@rvm/core (commits, rvmbench) and the @rvm/structs B-tree (kv); durable: flush commit; relaxed: no-flush commit',
  persistent: true,
  commitFlush: prepareRvmCommitFlush,
  commitGroup: prepareRvmCommitGroup,
  rvmbench: prepareRvmRvmbench,
  kvPut: (dir, params, dataset, inputs) => prepareRvmKvPut(dir, 'btree', params, dataset, inputs),
  kvGet: (dir, params, dataset, inputs) => prepareRvmKvGet(dir, 'btree', params, dataset, inputs),
  kvScan: prepareRvmKvScan,
};

export const rvmHashSubject: SubjectModule = {
  name: 'rvm-hash',
  description: 'the @rvm/structs hash map (kv puts and gets); durable: flush commit; relaxed: no-flush commit',
  persistent: true,
  // The B-tree (`rvm`) stands for RVM in the sweep. The hash map has no bulk load, and its
  // 10^6 puts take 13 to 21 s here, where the peers load in 3 to 6 s.
  scaleSweep: false,
  kvPut: (dir, params, dataset, inputs) => prepareRvmKvPut(dir, 'hash', params, dataset, inputs),
  kvGet: (dir, params, dataset, inputs) => prepareRvmKvGet(dir, 'hash', params, dataset, inputs),
};
