/** A Store on simulated storage for the B-tree, layout and store tests, and small helpers. */
import { Buffer } from 'node:buffer';
import { SimStorage } from '@rvm/core/testing';
import { Store } from '../src/store.js';
import type { StoreOptions } from '../src/store.js';

export const DIR = '/store';

export function openStore(options: StoreOptions = {}, storage = new SimStorage()): { store: Store; storage: SimStorage } {
  return { store: Store.open(DIR, { segmentSize: 64 * 1024, sizeMax: 64 * 1024 * 1024, rvmOptions: { checkWrites: true }, ...options, storage }), storage };
}

/** The error `fn` throws (fails when it does not throw). */
export function errorOf(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown>; issues?: unknown[] } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected an error');
}

export function codeOf(fn: () => unknown): string | undefined {
  return errorOf(fn).code;
}

/** A copy of the segment's bytes, to show that a refused call wrote nothing. */
export function snapshot(store: Store): Buffer {
  return Buffer.from(store.segment.bytes);
}
