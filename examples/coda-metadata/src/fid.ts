/**
 * A fid names a vnode the way a Coda server does: (volume, vnode, unique).
 * The vnode number is a slot in the volume's vnode table and is reused after
 * the vnode is freed; the uniquifier is drawn from a per-volume counter that
 * never goes back, so a fid held across a remove and a reuse of its slot is
 * recognisably stale (ESTALE) instead of silently naming the new vnode.
 */
export interface Fid {
  readonly volume: number;
  readonly vnode: number;
  readonly unique: number;
}

/** The root directory of every volume is vnode 1 with uniquifier 1, as in Coda. */
export const ROOT_VNODE = 1;
export const ROOT_UNIQUE = 1;

/** Volume ids, vnode numbers and uniquifiers are uint32 in every record. */
export const U32_MAX = 0xffff_ffff;

export function fid(volume: number, vnode: number, unique: number): Fid {
  return { volume, vnode, unique };
}

export function sameFid(a: Fid, b: Fid): boolean {
  return a.volume === b.volume && a.vnode === b.vnode && a.unique === b.unique;
}

/** Coda's notation: volume.vnode.unique in hexadecimal. */
export function formatFid(f: Fid): string {
  return `${f.volume.toString(16)}.${f.vnode.toString(16)}.${f.unique.toString(16)}`;
}

export function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= U32_MAX;
}
