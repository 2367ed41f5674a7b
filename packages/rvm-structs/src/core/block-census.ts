/**
 * Counts the heap blocks a structure reaches while it verifies itself, and
 * checks the conservation rule every structure states: each block it refers
 * to is a live heap block, large enough, and reached exactly once. Offsets
 * come from untrusted bytes, so a bad one is reported through `fail` (the
 * structure's STRUCT_CORRUPT), never as another kind of exception.
 */
import type { StructContext } from './struct-context.js';
import type { StructError } from './struct-error.js';

export class BlockCensus {
  private readonly seen = new Set<number>();
  /** Usable bytes of every block claimed. */
  blockSize = 0;

  constructor(
    private readonly ctx: StructContext,
    private readonly fail: (offset: number, problem: string) => StructError,
  ) {}

  /**
   * Claims the block at `offset` (read at `from`): it must be allocated, hold
   * at least `size` bytes and not be claimed yet. Returns its usable size.
   */
  claim(offset: number, size: number, what: string, from: number): number {
    if (offset === 0 || offset % 8 !== 0 || offset >= this.ctx.bytes.length) throw this.fail(from, `${what} offset ${offset} is not a block offset`);
    let usable: number;
    try {
      usable = this.ctx.heap.usableSize(offset);
    } catch (e) {
      throw this.fail(from, `${what} at ${offset} is not an allocated block (${(e as { code?: string }).code ?? String(e)})`);
    }
    if (usable < size) throw this.fail(from, `${what} at ${offset} has ${usable} bytes; it needs ${size}`);
    if (this.seen.has(offset)) throw this.fail(from, `${what} at ${offset} is reachable twice`);
    this.seen.add(offset);
    this.blockSize += usable;
    return usable;
  }

  /** Claims a blob (core/blob.ts) whose length must lie in (lengthMin, lengthMax]; returns its length. */
  claimBlob(offset: number, lengthMin: number, lengthMax: number, what: string, from: number): number {
    const usable = this.claim(offset, 4, what, from);
    const length = this.ctx.bytes.readUInt32LE(offset);
    if (length <= lengthMin || length > lengthMax) throw this.fail(from, `${what} at ${offset} holds ${length} bytes, outside ${lengthMin + 1} .. ${lengthMax}`);
    if (usable < 4 + length) throw this.fail(offset, `${what} at ${offset} is shorter than its length`);
    return length;
  }

  get blockCount(): number {
    return this.seen.size;
  }
}
