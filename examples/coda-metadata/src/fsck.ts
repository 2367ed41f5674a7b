/**
 * fsck: reads every record of every volume and reports each violation of the
 * invariants the operations keep (fs-ops.ts). It repairs nothing: after a
 * crash the store recovers to the state after a prefix of committed
 * operations, so on a sound store fsck reports nothing, and anything it does
 * report is damage (or a bug) to investigate, not to paper over.
 *
 * What it checks, per volume, and the code of each violation:
 * - every record decodes                          VNODE_UNREADABLE, ENTRY_UNREADABLE, VOLUME_UNREADABLE, BAD_KEY
 * - every record belongs to a volume              NO_VOLUME
 * - the root is a live directory                  ROOT_MISSING
 * - numbering: vnode < nextVnode, unique < nextUnique, every number below
 *   nextVnode live or free and not both           VNODE_BEYOND_NEXT, UNIQUE_BEYOND_NEXT, FREE_BEYOND_NEXT, FREE_AND_LIVE, VNODE_LOST
 * - every entry is in a live directory            ENTRY_IN_NON_DIRECTORY
 * - every entry names a live vnode                DANGLING_ENTRY (no such vnode), STALE_ENTRY (another uniquifier)
 * - link counts equal the entries naming a vnode  LINK_COUNT
 * - '.' names the directory itself                BAD_DOT
 * - '..' names the directory holding the entry    BAD_PARENT
 * - no directory has two names (the root none)    DIRECTORY_HARD_LINK
 * - a directory's length is its entry count       BAD_LENGTH
 * - every live vnode is reachable from the root   ORPHAN
 * - the directory graph has no cycle              CYCLE (one per back edge found)
 */
import type { DirentTarget } from './dirent-layout.js';
import { isU32, ROOT_VNODE } from './fid.js';
import { DOT, DOT_DOT } from './names.js';
import type { Tables } from './tables.js';
import type { Vnode } from './vnode-layout.js';
import type { VolumeRecord } from './volume-layout.js';

export type ViolationCode =
  | 'VOLUME_UNREADABLE'
  | 'VNODE_UNREADABLE'
  | 'ENTRY_UNREADABLE'
  | 'BAD_KEY'
  | 'NO_VOLUME'
  | 'ROOT_MISSING'
  | 'VNODE_BEYOND_NEXT'
  | 'UNIQUE_BEYOND_NEXT'
  | 'FREE_BEYOND_NEXT'
  | 'FREE_AND_LIVE'
  | 'VNODE_LOST'
  | 'ENTRY_IN_NON_DIRECTORY'
  | 'DANGLING_ENTRY'
  | 'STALE_ENTRY'
  | 'LINK_COUNT'
  | 'BAD_DOT'
  | 'BAD_PARENT'
  | 'DIRECTORY_HARD_LINK'
  | 'BAD_LENGTH'
  | 'ORPHAN'
  | 'CYCLE';

export interface Violation {
  readonly code: ViolationCode;
  readonly volume: number;
  /** The vnode concerned (for an entry: the directory holding it). */
  readonly vnode?: number;
  /** The entry concerned, if any. */
  readonly name?: string;
  /** What the invariant requires and what is stored, where that is a number. */
  readonly expected?: number;
  readonly actual?: number;
  readonly message: string;
}

export interface FsckReport {
  readonly violations: Violation[];
  readonly volumeCount: number;
  readonly vnodeCount: number;
  readonly directoryCount: number;
  readonly entryCount: number;
  readonly freeCount: number;
}

interface VolumeState {
  readonly id: number;
  readonly record: VolumeRecord;
  readonly vnodes: Map<number, Vnode>;
  /** directory vnode -> name -> target, in key order. */
  readonly entries: Map<number, Map<string, DirentTarget>>;
  readonly free: Set<number>;
}

export function fsck(tables: Tables): FsckReport {
  const violations: Violation[] = [];
  const report = (v: Violation): void => {
    violations.push(v);
  };
  const volumes = readVolumes(tables, report);
  let vnodeCount = 0;
  let entryCount = 0;
  let freeCount = 0;

  for (const key of tables.vnodes.keys()) {
    const [volume, vnode] = key as unknown[];
    if (key.length !== 2 || !isU32(volume) || !isU32(vnode) || vnode === 0) {
      report({ code: 'BAD_KEY', volume: -1, message: `The vnode table holds key ${JSON.stringify(key)}, not [volume, vnode].` });
      continue;
    }
    const state = volumeOf(volumes, volume, 'vnode', report);
    if (state === undefined) continue;
    let node: Vnode | undefined;
    try {
      node = tables.vnodes.get([volume, vnode]);
    } catch (e) {
      report({ code: 'VNODE_UNREADABLE', volume, vnode, message: `Vnode ${vnode} does not decode: ${(e as Error).message}` });
      continue;
    }
    if (node === undefined) continue;
    vnodeCount++;
    state.vnodes.set(vnode, node);
    if (vnode >= state.record.nextVnode) {
      report({ code: 'VNODE_BEYOND_NEXT', volume, vnode, expected: state.record.nextVnode, actual: vnode, message: `Vnode ${vnode} is live but the volume allocates from ${state.record.nextVnode}.` });
    }
    if (node.unique >= state.record.nextUnique) {
      report({ code: 'UNIQUE_BEYOND_NEXT', volume, vnode, expected: state.record.nextUnique, actual: node.unique, message: `Vnode ${vnode} has uniquifier ${node.unique} but the volume's next is ${state.record.nextUnique}.` });
    }
  }

  for (const key of tables.free.keys()) {
    const [volume, vnode] = key as unknown[];
    if (key.length !== 2 || !isU32(volume) || !isU32(vnode)) {
      report({ code: 'BAD_KEY', volume: -1, message: `The free-vnode table holds key ${JSON.stringify(key)}, not [volume, vnode].` });
      continue;
    }
    const state = volumeOf(volumes, volume, 'free vnode', report);
    if (state === undefined) continue;
    freeCount++;
    state.free.add(vnode);
    if (vnode === 0 || vnode >= state.record.nextVnode) {
      report({ code: 'FREE_BEYOND_NEXT', volume, vnode, message: `Vnode number ${vnode} is free but was never allocated (next is ${state.record.nextVnode}).` });
    }
    if (state.vnodes.has(vnode)) report({ code: 'FREE_AND_LIVE', volume, vnode, message: `Vnode ${vnode} is both live and free: the next create would reuse it.` });
  }

  for (const key of tables.dirents.keys()) {
    const [volume, dir, name] = key as unknown[];
    if (key.length !== 3 || !isU32(volume) || !isU32(dir) || typeof name !== 'string') {
      report({ code: 'BAD_KEY', volume: -1, message: `The entry table holds key ${JSON.stringify(key)}, not [volume, directory, name].` });
      continue;
    }
    const state = volumeOf(volumes, volume, 'entry', report);
    if (state === undefined) continue;
    let target: DirentTarget | undefined;
    try {
      target = tables.dirents.get([volume, dir, name]);
    } catch (e) {
      report({ code: 'ENTRY_UNREADABLE', volume, vnode: dir, name, message: `Entry "${name}" of directory ${dir} does not decode: ${(e as Error).message}` });
      continue;
    }
    if (target === undefined) continue;
    entryCount++;
    let names = state.entries.get(dir);
    if (names === undefined) state.entries.set(dir, (names = new Map()));
    names.set(name, target);
  }

  let directoryCount = 0;
  for (const state of volumes.values()) directoryCount += checkVolume(state, report);
  return { violations, volumeCount: volumes.size, vnodeCount, directoryCount, entryCount, freeCount };
}

/** One line per violation, for people. */
export function formatViolation(v: Violation): string {
  const where = [`volume ${v.volume}`];
  if (v.vnode !== undefined) where.push(`vnode ${v.vnode}`);
  if (v.name !== undefined) where.push(`entry ${JSON.stringify(v.name)}`);
  return `${v.code} (${where.join(', ')}): ${v.message}`;
}

function readVolumes(tables: Tables, report: (v: Violation) => void): Map<number, VolumeState> {
  const volumes = new Map<number, VolumeState>();
  for (const id of tables.volumes.keys()) {
    if (!isU32(id)) {
      report({ code: 'BAD_KEY', volume: -1, message: `The volume table holds key ${JSON.stringify(id)}, not a volume id.` });
      continue;
    }
    let record: VolumeRecord | undefined;
    try {
      record = tables.volumes.get(id);
    } catch (e) {
      report({ code: 'VOLUME_UNREADABLE', volume: id, message: `Volume ${id} does not decode: ${(e as Error).message}` });
      continue;
    }
    if (record !== undefined) volumes.set(id, { id, record, vnodes: new Map(), entries: new Map(), free: new Set() });
  }
  return volumes;
}

function volumeOf(volumes: Map<number, VolumeState>, volume: number, what: string, report: (v: Violation) => void): VolumeState | undefined {
  const state = volumes.get(volume);
  if (state === undefined) report({ code: 'NO_VOLUME', volume, message: `A ${what} record belongs to volume ${volume}, which does not exist.` });
  return state;
}

/** Checks one volume's graph; returns its directory count. */
function checkVolume(state: VolumeState, report: (v: Violation) => void): number {
  const { id: volume, record, vnodes, entries, free } = state;
  for (let vnode = 1; vnode < record.nextVnode; vnode++) {
    if (!vnodes.has(vnode) && !free.has(vnode)) {
      report({ code: 'VNODE_LOST', volume, vnode, message: `Vnode number ${vnode} is neither live nor free: it can never be allocated again.` });
    }
  }
  const rootNode = vnodes.get(ROOT_VNODE);
  if (rootNode === undefined || rootNode.type !== 'dir') {
    report({ code: 'ROOT_MISSING', volume, vnode: ROOT_VNODE, message: `The volume's root (vnode ${ROOT_VNODE}) is ${rootNode === undefined ? 'missing' : `a ${rootNode.type}`}.` });
  }

  // Entries: where they are, what they name, and who names whom.
  const references = new Map<number, number>();
  /** directory vnode -> the directories holding a non-dot entry that names it. */
  const holders = new Map<number, { dir: number; name: string }[]>();
  const parents = new Map<number, number>();
  /** directory -> live directories its non-dot entries name: the graph for cycles. */
  const children = new Map<number, { name: string; vnode: number }[]>();
  for (const [dir, names] of entries) {
    const dirNode = vnodes.get(dir);
    const inDirectory = dirNode !== undefined && dirNode.type === 'dir';
    for (const [name, target] of names) {
      if (!inDirectory) {
        report({ code: 'ENTRY_IN_NON_DIRECTORY', volume, vnode: dir, name, message: `Entry "${name}" is in vnode ${dir}, which is ${dirNode === undefined ? 'not live' : `a ${dirNode.type}`}.` });
      }
      const node = vnodes.get(target.vnode);
      if (node === undefined) {
        report({ code: 'DANGLING_ENTRY', volume, vnode: dir, name, actual: target.vnode, message: `Entry "${name}" in directory ${dir} names vnode ${target.vnode}, which is not live.` });
        continue;
      }
      if (node.unique !== target.unique) {
        report({ code: 'STALE_ENTRY', volume, vnode: dir, name, expected: node.unique, actual: target.unique, message: `Entry "${name}" in directory ${dir} names vnode ${target.vnode} with uniquifier ${target.unique}; the live vnode has ${node.unique}.` });
        continue;
      }
      references.set(target.vnode, (references.get(target.vnode) ?? 0) + 1);
      if (!inDirectory) continue;
      if (name === DOT) {
        if (target.vnode !== dir) report({ code: 'BAD_DOT', volume, vnode: dir, name, expected: dir, actual: target.vnode, message: `'.' of directory ${dir} names vnode ${target.vnode}.` });
      } else if (name === DOT_DOT) {
        parents.set(dir, target.vnode);
      } else if (node.type === 'dir') {
        let list = holders.get(target.vnode);
        if (list === undefined) holders.set(target.vnode, (list = []));
        list.push({ dir, name });
        let edges = children.get(dir);
        if (edges === undefined) children.set(dir, (edges = []));
        edges.push({ name, vnode: target.vnode });
      }
    }
  }

  // Per vnode: link count, length, and for a directory its '.', '..' and holders.
  let directoryCount = 0;
  for (const [vnode, node] of vnodes) {
    const referenceCount = references.get(vnode) ?? 0;
    if (node.linkCount !== referenceCount) {
      report({ code: 'LINK_COUNT', volume, vnode, expected: referenceCount, actual: node.linkCount, message: `Vnode ${vnode} has link count ${node.linkCount} but ${referenceCount} entries name it.` });
    }
    if (node.type !== 'dir') continue;
    directoryCount++;
    const names = entries.get(vnode);
    const entryCount = names?.size ?? 0;
    if (node.length !== entryCount) {
      report({ code: 'BAD_LENGTH', volume, vnode, expected: entryCount, actual: node.length, message: `Directory ${vnode} has length ${node.length} but holds ${entryCount} entries.` });
    }
    if (names?.has(DOT) !== true) report({ code: 'BAD_DOT', volume, vnode, name: DOT, message: `Directory ${vnode} has no '.' entry.` });
    const parent = parents.get(vnode);
    const holding = holders.get(vnode) ?? [];
    if (vnode === ROOT_VNODE) {
      if (parent !== ROOT_VNODE) report({ code: 'BAD_PARENT', volume, vnode, name: DOT_DOT, expected: ROOT_VNODE, actual: parent, message: `The root's '..' ${parent === undefined ? 'is missing' : `names vnode ${parent}`}; it must name the root.` });
      for (const h of holding) report({ code: 'DIRECTORY_HARD_LINK', volume, vnode: h.dir, name: h.name, message: `Entry "${h.name}" in directory ${h.dir} names the volume root.` });
      continue;
    }
    if (parent === undefined) {
      report({ code: 'BAD_PARENT', volume, vnode, name: DOT_DOT, message: `Directory ${vnode} has no '..' entry.` });
    } else if (holding.length > 0 && !holding.some((h) => h.dir === parent)) {
      report({ code: 'BAD_PARENT', volume, vnode, name: DOT_DOT, expected: holding[0]!.dir, actual: parent, message: `'..' of directory ${vnode} names vnode ${parent}, but its entry is in directory ${holding[0]!.dir}.` });
    }
    for (const h of holding.slice(1)) {
      report({ code: 'DIRECTORY_HARD_LINK', volume, vnode: h.dir, name: h.name, message: `Entry "${h.name}" in directory ${h.dir} is a second name of directory ${vnode} (its first is in directory ${holding[0]!.dir}).` });
    }
  }

  // Reachability from the root through entries other than '.' and '..'.
  const reached = new Set<number>();
  if (rootNode?.type === 'dir') {
    const queue = [ROOT_VNODE];
    reached.add(ROOT_VNODE);
    for (let at = queue.pop(); at !== undefined; at = queue.pop()) {
      for (const [name, target] of entries.get(at) ?? []) {
        if (name === DOT || name === DOT_DOT || reached.has(target.vnode)) continue;
        const node = vnodes.get(target.vnode);
        if (node === undefined || node.unique !== target.unique) continue;
        reached.add(target.vnode);
        if (node.type === 'dir') queue.push(target.vnode);
      }
    }
  }
  for (const [vnode, node] of vnodes) {
    if (!reached.has(vnode)) report({ code: 'ORPHAN', volume, vnode, message: `Vnode ${vnode} (a ${node.type}) is live but no path from the root leads to it.` });
  }

  findCycles(volume, vnodes, children, report);
  return directoryCount;
}

/** Depth-first search over every directory (the root first), iteratively: an edge to a directory on the stack closes a cycle. */
function findCycles(volume: number, vnodes: Map<number, Vnode>, children: Map<number, { name: string; vnode: number }[]>, report: (v: Violation) => void): void {
  const ON_STACK = 1;
  const DONE = 2;
  const color = new Map<number, number>();
  const starts = [ROOT_VNODE, ...[...vnodes.keys()].filter((v) => v !== ROOT_VNODE && vnodes.get(v)!.type === 'dir')];
  for (const start of starts) {
    if (color.has(start) || !vnodes.has(start)) continue;
    const stack: { vnode: number; next: number }[] = [{ vnode: start, next: 0 }];
    color.set(start, ON_STACK);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edges = children.get(top.vnode) ?? [];
      const edge = edges[top.next++];
      if (edge === undefined) {
        color.set(top.vnode, DONE);
        stack.pop();
        continue;
      }
      const state = color.get(edge.vnode);
      if (state === ON_STACK) {
        report({ code: 'CYCLE', volume, vnode: top.vnode, name: edge.name, actual: edge.vnode, message: `Entry "${edge.name}" in directory ${top.vnode} names directory ${edge.vnode}, which contains directory ${top.vnode}: a cycle.` });
      } else if (state === undefined) {
        color.set(edge.vnode, ON_STACK);
        stack.push({ vnode: edge.vnode, next: 0 });
      }
    }
  }
}
