/** What `kv stats` reports: the store's size and shape, gathered from the layers below. */
import type { BTree, Durability, Store } from '@rvm/structs';
import type { Json } from './json-value.js';

export interface KvStats {
  readonly keyCount: number;
  readonly durability: Durability;
  /** Levels of the B-tree (1: the root is a leaf). */
  readonly treeHeight: number;
  readonly nodeCount: number;
  readonly nodeSize: number;
  /** Fraction of the leaves' space holding entries. */
  readonly leafFill: number;
  /** Values too large for a node, stored out of line. */
  readonly blobCount: number;
  /** Bytes of every block the tree owns. */
  readonly treeSize: number;
  /** Bytes of the data segment (it grows by half when the heap runs out). */
  readonly segmentSize: number;
  /** Bytes of the heap not allocated. */
  readonly heapFreeSize: number;
  /** Bytes of log records since the last truncation. */
  readonly logSize: number;
  /** No-flush commits not yet on disk. */
  readonly pendingCommitCount: number;
  /** Log records applied to the segment when this process opened the store: the commits the last process left in the log (all of them after a crash; close() leaves the last few too). */
  readonly replayedRecordCount: number;
}

export function collectStats(store: Store, tree: BTree<string, Json>, durability: Durability): KvStats {
  const shape = tree.stats();
  const heap = store.ctx.heap.stats();
  const rvm = store.rvm.query();
  return {
    keyCount: shape.count,
    durability,
    treeHeight: shape.height,
    nodeCount: shape.leafCount + shape.branchCount,
    nodeSize: shape.nodeSize,
    leafFill: shape.leafFill,
    blobCount: shape.blobCount,
    treeSize: shape.blockSize,
    segmentSize: store.segment.size,
    heapFreeSize: heap.freeSize,
    logSize: rvm.logSize,
    pendingCommitCount: rvm.pendingCount,
    replayedRecordCount: rvm.recovery.recordCount,
  };
}
