import { assert } from '../assert.js';
import type { Durability } from './rvmbench-model.js';

/**
 * Key-value workloads over a KvDataset: puts of new versions of random existing entries
 * (single, or batches of 1000 in one transaction), random point gets returning decoded
 * values, and range scans of 100 entries in key order. Stores are loaded with every entry
 * (version 0) before the rounds, so puts overwrite and the store's size stays constant.
 */
export interface KvPutParams {
  readonly entryCount: number;
  readonly durability: Durability;
  /** Puts per transaction: 1, or 1000 for the batch workload. */
  readonly batchCount: number;
}

export interface KvReadParams {
  readonly entryCount: number;
}

export interface KvScanParams {
  readonly entryCount: number;
  /** Entries per scan (100). */
  readonly scanCount: number;
}

/**
 * Inputs indexed by opIndex, identical for every subject. Puts: step s writes entries
 * entryIndexes[s * batchCount + b] with version s. Gets: step s reads entryIndexes[s].
 * Scans: step s starts at rank entryIndexes[s] of dataset.sortedKeys.
 */
export interface KvInputs {
  readonly entryIndexes: Int32Array;
}

/** The entry the last step wrote last, and the version it must read back as. */
export function lastPutOf(params: KvPutParams, inputs: KvInputs, stepCountTotal: number): { entryIndex: number; version: number } {
  assert(stepCountTotal > 0, 'some step ran');
  const entryIndex = inputs.entryIndexes[stepCountTotal * params.batchCount - 1];
  assert(entryIndex !== undefined, 'inputs cover every step');
  return { entryIndex, version: stepCountTotal - 1 };
}
