/**
 * The storage inspection reads through. Inspection must work while another
 * process has the store open and must never change it, so every call that could
 * write is refused here rather than merely avoided by the callers: the wrapper
 * lets through only open (without create), read, size, close, exists and list.
 * Anything else is a bug in the inspection code and fails an assertion.
 *
 * On the real file system, files are opened O_RDONLY, so inspection also works
 * on a store the user may read but not write (a backup, another user's store).
 */
import * as fs from 'node:fs';
import { assert } from '../errors.js';
import { NodeStorage } from '../storage/node-storage.js';
import type { FileHandle, Storage } from '../storage/storage.js';

const READ_METHODS: ReadonlySet<PropertyKey> = new Set(['open', 'close', 'read', 'size', 'exists', 'list']);

/** NodeStorage whose open() never asks for write access. */
class ReadOnlyNodeStorage extends NodeStorage {
  override open(path: string, create: boolean): FileHandle {
    assert(!create, 'inspection never creates a file');
    return fs.openSync(path, fs.constants.O_RDONLY);
  }
}

/** `storage` (the real file system by default) restricted to reading. */
export function readOnlyStorage(storage: Storage = new ReadOnlyNodeStorage()): Storage {
  // An allow-list, not a deny-list: a method added to Storage later is refused until someone decides it only reads.
  return new Proxy(storage, {
    get(target, property, receiver): unknown {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!READ_METHODS.has(property)) {
        return () => assert(false, `inspection called Storage.${String(property)}, which may write`);
      }
      if (property === 'open') {
        return (path: string, create: boolean): FileHandle => {
          assert(!create, 'inspection never creates a file');
          return target.open(path, false);
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
}
