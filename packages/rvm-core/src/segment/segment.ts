/**
 * A mapped segment: a named, fixed-size (growable) byte array whose committed
 * contents are recoverable. `bytes` is the memory the application reads and
 * changes in place, after declaring each change with setRange.
 *
 * `bytes` is replaced by a new Buffer when the segment grows (Rvm.grow): views
 * taken from the old Buffer (subarray, DataView, typed arrays over its memory)
 * then refer to a detached copy and must be taken again. After unmap, the
 * Buffer stays readable but writes to it are no longer recoverable.
 */
import { WordView } from '../copy-bytes.js';
import type { FileHandle } from '../storage/storage.js';
import { DirtyPages } from './dirty-pages.js';

export class Segment {
  /** @internal */ _bytes: Buffer;
  /**
   * @internal The word views of `_bytes` for copyBytes (undo saves and
   * restores), made once per Buffer here rather than looked up per transaction.
   */
  _view: WordView;
  /** @internal */ _mapped = true;
  /** @internal Pages changed by commits since the last truncation. */ readonly _dirty: DirtyPages;

  /** @internal */
  constructor(
    readonly name: string,
    bytes: Buffer,
    /** @internal Unique per Rvm instance; never reused. */ readonly id: number,
    /** @internal Writes, and syncs on the thread pool (background truncation). */ readonly fd: FileHandle,
    /**
     * @internal A second open file description of the segment file, through
     * which every synchronous sync goes (truncate, grow), for the reason
     * RedoLog.syncFd gives: it reports a failed sync of a background slice
     * that `fd` may have reported to the slice alone.
     */
    readonly syncFd: FileHandle,
    /** @internal The Rvm that mapped it. */ readonly owner: object,
  ) {
    this._bytes = bytes;
    this._view = new WordView(bytes);
    this._dirty = new DirtyPages(bytes.length);
  }

  /** @internal The segment grew: `bytes` is its new memory. */
  _replaceBytes(bytes: Buffer): void {
    this._bytes = bytes;
    this._view = new WordView(bytes);
    this._dirty.resize(bytes.length);
  }

  /** The segment's memory. Replaced by a new Buffer when the segment grows. */
  get bytes(): Buffer {
    return this._bytes;
  }

  get size(): number {
    return this._bytes.length;
  }

  /** Whether the segment is still mapped. */
  get mapped(): boolean {
    return this._mapped;
  }
}
