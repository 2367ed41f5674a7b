/**
 * What the shared laws need to know about a structure: how the Store creates
 * it, how to apply an operation to it and to its in-memory model, and how to
 * compare and verify. The shape is the one of the HashMap and List runner
 * (test/list-hash-map-support.ts) plus `kind` and `opArb`, so one subject
 * object serves both.
 */
import type fc from 'fast-check';

export interface LawSubject<S, M, Op> {
  /** Shown in test names. */
  readonly name: string;
  /** The key of COLLECTION_KINDS the Store creates the structure as. */
  readonly kind: string;
  /** Options for store.collection(kind, name, options): codec, schema, node size. */
  readonly options?: object;
  emptyModel(): M;
  cloneModel(model: M): M;
  /**
   * Applies `op` to the structure and to the model, inside the open
   * transaction; throws when their results differ (an error both throw with
   * the same code counts as the same result).
   */
  apply(subject: S, model: M, op: Op): void;
  /** Throws when the structure's contents differ from the model's. */
  compare(subject: S, model: M): void;
  /** Checks the structure's invariants; throws STRUCT_CORRUPT. */
  verify(subject: S): void;
  /** Operations, as generated data. */
  readonly opArb: fc.Arbitrary<Op>;
  /** An operation that adds about `size` bytes (used to make the segment grow mid-workload). */
  growOp(seed: number, size: number): Op;
}

/** One step of a workload: a transaction of operations and how it ends, a flush, or a close and reopen. */
export type LawStep<Op> =
  | { readonly kind: 'tx'; readonly ops: readonly Op[]; readonly end: 'flush' | 'no-flush' | 'abort' }
  | { readonly kind: 'flush' }
  | { readonly kind: 'reopen' };
