/**
 * Values are plain JSON: what JSON.parse can return. The B-tree stores them as
 * MessagePack, which could also hold a Date, a Map, a bigint or undefined; the
 * store refuses those so that every value survives `export` to JSON lines and
 * `import` back unchanged.
 */
import { KvError } from './kv-error.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Nesting deeper than this is refused (it also stops a cycle). */
export const JSON_DEPTH_MAX = 64;

/** Throws INVALID_VALUE, with the path to the first offending part, unless `value` is plain JSON. */
export function checkJson(value: unknown): asserts value is Json {
  const problem = findProblem(value, 0);
  if (problem !== null) {
    throw new KvError('INVALID_VALUE', `The value is not plain JSON: ${problem.what} at ${problem.path || '(root)'}. Store null, booleans, finite numbers, strings, arrays and plain objects.`, { path: problem.path, what: problem.what });
  }
}

interface Problem {
  readonly path: string;
  readonly what: string;
}

function findProblem(value: unknown, depth: number): Problem | null {
  if (depth > JSON_DEPTH_MAX) return { path: '', what: `nesting deeper than ${JSON_DEPTH_MAX}` };
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : { path: '', what: String(value) };
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) {
          const problem = findProblem(value[index], depth + 1);
          if (problem !== null) return { path: `[${index}]${problem.path}`, what: problem.what };
        }
        return null;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return { path: '', what: `an instance of ${(value as { constructor?: { name?: string } }).constructor?.name ?? 'a class'}` };
      for (const [key, child] of Object.entries(value)) {
        const problem = findProblem(child, depth + 1);
        if (problem !== null) return { path: `.${key}${problem.path}`, what: problem.what };
      }
      return null;
    }
    default:
      return { path: '', what: typeof value === 'undefined' ? 'undefined' : `a ${typeof value}` };
  }
}
