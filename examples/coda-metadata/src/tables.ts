/**
 * The four B-trees that hold every volume. One tree per kind of record, keyed
 * by tuples that start with the volume id, so a volume is a contiguous key
 * range of each and a directory is a contiguous range of `dirents`:
 *
 *   coda.volumes       volume id               -> VolumeRecord   (volume-layout.ts)
 *   coda.vnodes        [volume, vnode]         -> Vnode          (vnode-layout.ts)
 *   coda.dirents       [volume, dir, name]     -> DirentTarget   (dirent-layout.ts)
 *   coda.free-vnodes   [volume, vnode]         -> null           (vnode numbers to reuse, smallest first)
 *
 * Why one `dirents` tree rather than a B-tree per directory: a directory costs
 * no tree header and root node of its own (most directories hold a few
 * entries, which share leaves with their neighbours), creating or removing a
 * directory touches no catalog, and readdir is one range scan from
 * [volume, dir, ''] (the empty string sorts first and is never a name) to
 * [volume, dir + 1, ''].
 */
import type { BTree, Store } from '@rvm/structs';
import type { DirentTarget } from './dirent-layout.js';
import { direntCodec } from './dirent-layout.js';
import type { Vnode } from './vnode-layout.js';
import { vnodeCodec } from './vnode-layout.js';
import type { VolumeRecord } from './volume-layout.js';
import { volumeCodec } from './volume-layout.js';

export type VnodeKey = [volume: number, vnode: number];
export type DirentKey = [volume: number, dir: number, name: string];

export const VOLUMES_TREE = 'coda.volumes';
export const VNODES_TREE = 'coda.vnodes';
export const DIRENTS_TREE = 'coda.dirents';
export const FREE_TREE = 'coda.free-vnodes';

export interface Tables {
  readonly volumes: BTree<number, VolumeRecord>;
  readonly vnodes: BTree<VnodeKey, Vnode>;
  readonly dirents: BTree<DirentKey, DirentTarget>;
  readonly free: BTree<VnodeKey, null>;
}

// The same option objects every time, so the store hands back its cached handles.
const VOLUME_OPTIONS = { codec: volumeCodec };
const VNODE_OPTIONS = { codec: vnodeCodec };
const DIRENT_OPTIONS = { codec: direntCodec };

/** Opens the trees, creating the missing ones in the open transaction (or their own). */
export function openTables(store: Store): Tables {
  return {
    volumes: store.btree<number, VolumeRecord>(VOLUMES_TREE, VOLUME_OPTIONS),
    vnodes: store.btree<VnodeKey, Vnode>(VNODES_TREE, VNODE_OPTIONS),
    dirents: store.btree<DirentKey, DirentTarget>(DIRENTS_TREE, DIRENT_OPTIONS),
    free: store.btree<VnodeKey, null>(FREE_TREE),
  };
}
