/**
 * Random operations by path for `load`, the model-based tests and the crash
 * tests. An operation is plain data, so a test can replay it on a model.
 * Names come from a small set, so operations collide often: many fail
 * (ENOENT, EEXIST, ENOTEMPTY, ...), which exercises every error path, and
 * enough succeed to grow a tree.
 */
import { isFsError } from './errors.js';
import type { FsErrorCode } from './errors.js';
import type { SetAttrs } from './fs-ops.js';
import type { Namespace } from './path-fs.js';
import type { Random } from './random.js';

export type Op =
  | { readonly kind: 'mkdir'; readonly path: string; readonly mode: number }
  | { readonly kind: 'create'; readonly path: string; readonly mode: number; readonly owner: number }
  | { readonly kind: 'symlink'; readonly target: string; readonly path: string }
  | { readonly kind: 'link'; readonly existing: string; readonly path: string }
  | { readonly kind: 'unlink'; readonly path: string }
  | { readonly kind: 'rmdir'; readonly path: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string }
  | { readonly kind: 'setattr'; readonly path: string; readonly attrs: SetAttrs };

export interface WorkloadShape {
  /** Names per kind and level: directories d0 .., files f0 .., symbolic links l0 .. */
  readonly nameCount: number;
  /** Paths have 1 .. depthMax components. */
  readonly depthMax: number;
}

/** Small: for tests, where collisions matter more than size. */
export const SHAPE_SMALL: WorkloadShape = { nameCount: 3, depthMax: 3 };
/** For `load`: grows a tree of thousands of entries. */
export const SHAPE_LOAD: WorkloadShape = { nameCount: 8, depthMax: 4 };

/** Weights: mkdir and create dominate so that trees grow. */
const KINDS: readonly [Op['kind'], number][] = [
  ['mkdir', 22], ['create', 26], ['symlink', 4], ['link', 6], ['unlink', 10], ['rmdir', 8], ['rename', 14], ['setattr', 10],
];
const WEIGHT_TOTAL = KINDS.reduce((sum, [, w]) => sum + w, 0);

/**
 * Directories are named d<i>, files f<i> and symbolic links l<i>, and only
 * d-names appear before the last component, so most operations find what
 * they expect; one in MIXUP_ODDS names the other kind, to reach ENOTDIR,
 * EISDIR and paths through symbolic links.
 */
const MIXUP_ODDS = 8;

/**
 * A stream of random operations. Three in four paths extend a directory the
 * workload knows to exist (it learns from the outcomes passed to observe()),
 * the rest are drawn blind; so the tree grows, and operations still collide.
 * The sequence depends on the seed and the outcomes only: a model that gives
 * the same outcomes replays it.
 */
export class Workload {
  /** Paths this workload made, per kind ('d' holds '' for the root); some may be gone since (stale is fine). */
  private readonly known: Record<Kind, string[]> = { d: [''], f: [], l: [] };
  private static readonly KNOWN_COUNT_MAX = 4096;

  constructor(
    private readonly random: Random,
    private readonly shape: WorkloadShape,
  ) {}

  next(): Op {
    const random = this.random;
    let roll = random.below(WEIGHT_TOTAL);
    let kind: Op['kind'] = 'mkdir';
    for (const [k, w] of KINDS) {
      if (roll < w) {
        kind = k;
        break;
      }
      roll -= w;
    }
    switch (kind) {
      case 'mkdir':
        return { kind, path: this.fresh('d'), mode: random.pick([0o755, 0o700, 0o775]) };
      case 'create':
        return { kind, path: this.fresh('f'), mode: random.pick([0o644, 0o600]), owner: random.pick([0, 1000, 1001]) };
      case 'symlink': {
        // Mostly to a directory; sometimes relative, '..', or to itself (a loop).
        const path = this.fresh('l');
        const r = random.below(6);
        const target = r === 0 ? random.pick(['..', '.', `d${random.below(this.shape.nameCount)}`]) : r === 1 ? path : this.existing(random.pick(['d', 'd', 'f'] as const)) || '/';
        return { kind, target, path };
      }
      case 'link':
        return { kind, existing: this.existing(random.pick(['f', 'f', 'f', 'l', 'd'] as const)), path: this.fresh('f') };
      case 'unlink':
        return { kind, path: this.existing(random.pick(['f', 'f', 'f', 'l', 'd'] as const)) };
      case 'rmdir':
        return { kind, path: this.existing(random.pick(['d', 'd', 'd', 'd', 'f'] as const)) };
      case 'rename': {
        const from = random.pick(['d', 'd', 'f', 'f', 'l'] as const);
        const to = random.below(MIXUP_ODDS) === 0 ? random.pick(['d', 'f'] as const) : from;
        return { kind, from: this.existing(from), to: random.below(3) === 0 ? this.existing(to) : this.fresh(to) };
      }
      case 'setattr': {
        const r = random.below(4);
        const attrs: SetAttrs = r === 0 ? { mode: random.pick([0o600, 0o644, 0o4755]) } : r === 1 ? { owner: random.below(3) * 1000 } : r === 2 ? { length: random.below(1 << 20) } : { mtime: random.below(1_000_000) };
        return { kind, path: this.existing(random.pick(['f', 'f', 'f', 'd', 'l'] as const)), attrs };
      }
    }
  }

  /** Learns from an outcome which paths exist. */
  observe(op: Op, outcome: 'ok' | FsErrorCode): void {
    if (outcome !== 'ok') return;
    switch (op.kind) {
      case 'mkdir':
      case 'create':
      case 'symlink':
      case 'link':
        this.learn(op.path);
        break;
      case 'unlink':
      case 'rmdir':
        this.forget(op.path);
        break;
      case 'rename':
        this.forget(op.from);
        this.learn(op.to);
        break;
      case 'setattr':
        break;
    }
  }

  /** A new name of `kind` in a known directory (one in four: in a directory path drawn blind). */
  private fresh(kind: Kind): string {
    const random = this.random;
    const parent = random.below(4) === 0 ? blindDirectory(random, this.shape) : random.pick(this.known.d);
    return `${parent}/${kind}${random.below(this.shape.nameCount)}`;
  }

  /** A known path of `kind` (three in four, when there is one), else a fresh one. */
  private existing(kind: Kind): string {
    const list = kind === 'd' ? this.known.d.slice(1) : this.known[kind];
    if (list.length === 0 || this.random.below(4) === 0) return this.fresh(kind);
    return this.random.pick(list);
  }

  private learn(path: string): void {
    const kind = kindOf(path);
    if (kind === undefined) return;
    const list = this.known[kind];
    if (list.includes(path)) return;
    if (list.length < Workload.KNOWN_COUNT_MAX) list.push(path);
    else list[1 + this.random.below(list.length - 1)] = path;
  }

  private forget(path: string): void {
    const kind = kindOf(path);
    if (kind === undefined) return;
    const list = this.known[kind];
    const at = list.indexOf(path);
    if (at <= 0 && kind === 'd') return;
    if (at < 0) return;
    list[at] = list[list.length - 1]!;
    list.pop();
  }
}

type Kind = 'd' | 'f' | 'l';

function kindOf(path: string): Kind | undefined {
  const first = path.slice(path.lastIndexOf('/') + 1)[0];
  return first === 'd' || first === 'f' || first === 'l' ? first : undefined;
}

/** A path of 0 .. depthMax - 1 directory names (sometimes a symbolic link or a file on the way). */
function blindDirectory(random: Random, shape: WorkloadShape): string {
  const depth = random.below(shape.depthMax);
  let path = '';
  for (let i = 0; i < depth; i++) {
    const prefix = random.below(MIXUP_ODDS) === 0 ? random.pick(['l', 'f']) : 'd';
    path += `/${prefix}${random.below(shape.nameCount)}`;
  }
  return path;
}

/** Applies `op`; returns 'ok' or the FsError code it failed with (anything else is rethrown). */
export function applyOp(fs: Namespace, op: Op): 'ok' | FsErrorCode {
  try {
    switch (op.kind) {
      case 'mkdir':
        fs.mkdir(op.path, { mode: op.mode });
        break;
      case 'create':
        fs.create(op.path, { mode: op.mode, owner: op.owner });
        break;
      case 'symlink':
        fs.symlink(op.target, op.path);
        break;
      case 'link':
        fs.link(op.existing, op.path);
        break;
      case 'unlink':
        fs.unlink(op.path);
        break;
      case 'rmdir':
        fs.rmdir(op.path);
        break;
      case 'rename':
        fs.rename(op.from, op.to);
        break;
      case 'setattr':
        fs.setattr(op.path, op.attrs);
        break;
    }
    return 'ok';
  } catch (e) {
    if (isFsError(e)) return e.code;
    throw e;
  }
}

export function formatOp(op: Op): string {
  switch (op.kind) {
    case 'mkdir':
      return `mkdir ${op.path} (mode ${op.mode.toString(8)})`;
    case 'create':
      return `create ${op.path} (mode ${op.mode.toString(8)}, owner ${op.owner})`;
    case 'symlink':
      return `symlink ${op.path} -> ${op.target}`;
    case 'link':
      return `link ${op.existing} ${op.path}`;
    case 'unlink':
    case 'rmdir':
      return `${op.kind} ${op.path}`;
    case 'rename':
      return `rename ${op.from} ${op.to}`;
    case 'setattr':
      return `setattr ${op.path} ${JSON.stringify(op.attrs)}`;
  }
}
