/**
 * Tells an iterator or cursor whether what it read is still what the
 * structure holds. A structure keeps a `changeCount` in its header that every
 * mutation increments; an iterator remembers it, the context's generation and
 * the transaction it was created in.
 *
 * Why each piece is needed:
 * - changeCount alone is not enough: abort restores it, so a transaction that
 *   mutates, aborts, and a second one that mutates once more reach the same
 *   count with different contents. Only a count read outside any transaction
 *   is a committed one, and committed counts only grow (an aborted change
 *   never becomes visible outside its transaction).
 * - So an iterator created outside a transaction stays valid across any
 *   number of ended transactions as long as the count is unchanged; one
 *   created inside a transaction stays valid only while that transaction is
 *   still the open one (the count it saw may be undone by an abort).
 * - Segment growth changes the generation but not the contents; iterators
 *   read `ctx.bytes` afresh on every step, so growth alone never stales them.
 * - An unmapped segment (the store closed) invalidates everything.
 *
 * changeCount is a u32 and wraps: 2^32 committed mutations between two steps
 * of one iterator would go unnoticed. That is accepted.
 */
import type { Transaction } from '@rvm/core';
import type { StructContext } from './struct-context.js';
import { StructError } from './struct-error.js';

export class IteratorGuard {
  private generation: number;
  private changeCount: number;
  private tx: Transaction | null;

  constructor(
    private readonly ctx: StructContext,
    changeCount: number,
  ) {
    this.generation = ctx.generation;
    this.changeCount = changeCount;
    this.tx = openTransaction(ctx);
  }

  /** Whether the contents read when the guard was (re)set are still the structure's. */
  isCurrent(changeCount: number): boolean {
    const ctx = this.ctx;
    if (!ctx.segment.mapped) return false;
    if (changeCount !== this.changeCount) return false;
    if (ctx.generation === this.generation) return true;
    const tx = this.tx;
    if (tx === null) return true;
    return tx.open && ctx.current === tx;
  }

  /** Throws ITERATOR_INVALIDATED unless isCurrent(changeCount). */
  check(changeCount: number, what: string, details: Record<string, unknown>): void {
    if (this.isCurrent(changeCount)) return;
    const closed = !this.ctx.segment.mapped;
    throw new StructError(
      'ITERATOR_INVALIDATED',
      closed
        ? `This ${what} was used after its store closed. Open the store again and start a new ${what}.`
        : `The structure changed (or the transaction the ${what} was created in ended) since this ${what} read it, so it cannot go on without returning wrong data. Start a new ${what} after changing the structure.`,
      { ...details, closed, changeCountThen: this.changeCount, changeCountNow: changeCount },
    );
  }

  /** Adopts the current state as read (after the iterator's own mutation). */
  reset(changeCount: number): void {
    this.generation = this.ctx.generation;
    this.changeCount = changeCount;
    this.tx = openTransaction(this.ctx);
  }
}

function openTransaction(ctx: StructContext): Transaction | null {
  const tx = ctx.current;
  return tx !== null && tx.open ? tx : null;
}
