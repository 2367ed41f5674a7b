/**
 * What a collection of records is, version by version: the schema its
 * records satisfy, how a record's id and index keys are derived from it, and
 * how a record of the previous version becomes one of this version. The
 * store keeps one version number per collection; the code holds every
 * version's definition, so it can open a store written by any older code.
 */
import type { Key } from '@rvm/structs';
import type { z } from 'zod';

export interface IndexDefinition<R> {
  /** The index lives in the B-tree `<collection>.by-<name>`. */
  readonly name: string;
  /** The index key of a record (the record's id is appended to it in the tree, so keys are unique). */
  keyOf(record: R): Key[];
}

export interface VersionDefinition<R, P = unknown> {
  /** 1, 2, 3, ...: the position of this definition in the list. */
  readonly version: number;
  /**
   * Validates every record written, and every record read during a
   * migration. Use strict objects, so that a record of another version never
   * passes, and no transforms or defaults (the parsed value is what is stored).
   */
  readonly schema: z.ZodType<R>;
  idOf(record: R): string;
  readonly indexes: readonly IndexDefinition<R>[];
  /** Converts a record of version - 1 (already validated by its schema); absent for version 1. */
  migrate?(previous: P): R;
}

/** A list of definitions of versions 1..n, in order, as the engine sees them. */
export type VersionList = readonly VersionDefinition<unknown, unknown>[];
