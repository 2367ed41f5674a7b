import { AssertionError } from '@rvm/core';

/** A bug check (never a condition the caller can cause). Cheap ones stay on in production. */
export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new AssertionError(`assertion failed: ${why}`);
}
