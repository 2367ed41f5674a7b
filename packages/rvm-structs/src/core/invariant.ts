/**
 * A bug check for structure code. A violated invariant is a bug, not an
 * expected condition, so it throws @rvm/core's AssertionError rather than a
 * StructError; cheap checks stay on in production.
 */
import { AssertionError } from '@rvm/core';

export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new AssertionError(`assertion failed: ${why}`);
}
