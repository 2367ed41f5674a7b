/**
 * HashMap<K, V>: a persistent hash map in a segment, by linear hashing
 * (format.ts). Keys are any `Key` (codec/key-format.ts), compared by their
 * encoded bytes; values go through a ValueCodec (MessagePack by default).
 *
 * Invariants (besides the format's validity rule, checked by verify()):
 * - Nothing about the map is cached in memory: every call reads the header
 *   afresh, so abort and crash recovery (which restore bytes) need no notice.
 * - A mutation encodes and validates everything (value, key, sizes) before it
 *   writes, then allocates everything it needs before it writes, so a refused
 *   value or a full heap (OUT_OF_SPACE) leaves the map unchanged and the
 *   transaction usable. (An error from the layers below while writing, such
 *   as CONFLICT, leaves the transaction half done: abort it.)
 * - Every mutation increments changeCount in the same transaction.
 * - The hot paths (get, has, set, delete) allocate nothing of their own: keys
 *   are encoded into one scratch buffer, records composed in another. A value
 *   is decoded from a view of the segment (one subarray per get).
 */
import type { Key } from '../codec/key-codec.js';
import { decodeKey, encodeKey, encodeKeyInto } from '../codec/key-codec.js';
import type { ValueCodec } from '../codec/value-codec.js';
import { BLOB_HEADER_SIZE, writeBlob } from '../core/blob.js';
import { decodeRange } from '../core/decode-view.js';
import { assert } from '../core/invariant.js';
import type { StructContext } from '../core/struct-context.js';
import { StructError } from '../core/struct-error.js';
import type { ValueOptions } from '../core/value-options.js';
import { resolveValueCodec } from '../core/value-options.js';
import {
  BLOB_REF_SIZE, bucketOf, CELL_BLOB, CHUNK_COUNT_MAX, chunkEntryCount, corrupt, directoryEntryOffset, HASH_MAP_FORMAT_VERSION, HASH_MAP_MAGIC, HASH_SEED_DEFAULT,
  HEADER_BUCKET_COUNT, HEADER_CHANGE_COUNT, HEADER_CHUNKS, HEADER_ENTRY_COUNT, HEADER_HASH_SEED, HEADER_MAGIC, HEADER_PAGE_SIZE,
  HEADER_RECORD_SIZE, HEADER_SIZE, HEADER_VERSION, KEY_INLINE_MAX, KEY_SIZE_MAX, LOAD_MERGE_SIZE, LOAD_SPLIT_SIZE, PAGE_DATA_SIZE,
  PAGE_HEADER_SIZE, PAGE_NEXT, PAGE_SIZE, RECORD_HEADER_SIZE, RECORD_KEY_FIELD, RECORD_VALUE_FIELD, VALUE_INLINE_MAX, VALUE_SIZE_MAX,
} from './format.js';
import { murmur3 } from './hash.js';
import { HashMapIterator, ITERATE_ENTRIES, ITERATE_KEYS, ITERATE_VALUES } from './iterator.js';
import { freeContents, inspectHashMap, type HashMapStats } from './inspect.js';
import { mergeOne, splitOne } from './resize.js';

export interface HashMapOptions<V> extends ValueOptions<V> {
  /**
   * The seed of the key hash, fixed when the map is created (open ignores it).
   * Default HASH_SEED_DEFAULT. Give a map whose keys an adversary chooses a
   * random seed, so that they cannot aim all keys at one bucket.
   */
  readonly hashSeed?: number;
}

/** The encoded key of the current call. */
const keyScratch = Buffer.allocUnsafeSlow(KEY_SIZE_MAX);
/** A record being written, at PAGE_HEADER_SIZE, with room before it for a page header. */
const recordScratch = Buffer.allocUnsafeSlow(PAGE_SIZE);
/** Header counters being written. */
const countersScratch = Buffer.allocUnsafeSlow(12);

export class HashMap<K extends Key = Key, V = unknown> implements Iterable<[K, V]> {
  // What locate() found; read right after it, before anything else can run.
  private keySize = 0;
  private foundHash = 0;
  private foundPage = 0;
  private foundPrev = 0;
  private foundPos = 0;
  private foundSize = 0;
  /** The first page of the chain with room for the record asked about, or 0. */
  private roomPage = 0;
  /** The last page of the chain (set when the key was not found). */
  private lastPage = 0;
  private destroyed = false;

  private constructor(
    readonly ctx: StructContext,
    /** The offset of the map's header block: its identity in the segment. */
    readonly headerOffset: number,
    private readonly codec: ValueCodec<V>,
  ) {}

  /**
   * Allocates and writes an empty map in the current transaction; returns the
   * offset of its header, to keep (in a catalog or a heap root) and pass to open().
   */
  static create<V>(ctx: StructContext, options: HashMapOptions<V> = {}): number {
    ctx.tx();
    const seed = options.hashSeed ?? HASH_SEED_DEFAULT;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new StructError('INVALID_ARGUMENT', `hashSeed must be an integer from 0 to 2^32 - 1; got ${String(seed)}.`, { hashSeed: seed });
    }
    const header = ctx.alloc(HEADER_SIZE);
    let chunk = 0;
    try {
      chunk = ctx.alloc(chunkEntryCount(0) * 4);
      const page = ctx.alloc(PAGE_SIZE);
      ctx.fill(page, PAGE_HEADER_SIZE, 0);
      ctx.writeU32(chunk, page);
    } catch (e) {
      if (chunk !== 0) ctx.free(chunk);
      ctx.free(header);
      throw e;
    }
    const image = Buffer.alloc(HEADER_SIZE);
    image.writeUInt32LE(HASH_MAP_MAGIC, HEADER_MAGIC);
    image.writeUInt16LE(HASH_MAP_FORMAT_VERSION, HEADER_VERSION);
    image.writeUInt16LE(PAGE_SIZE, HEADER_PAGE_SIZE);
    image.writeUInt32LE(seed, HEADER_HASH_SEED);
    image.writeUInt32LE(1, HEADER_BUCKET_COUNT);
    image.writeUInt32LE(chunk, HEADER_CHUNKS);
    ctx.writeBytes(header, image, 0, HEADER_SIZE);
    return header;
  }

  /**
   * Opens the map whose header is at `headerOffset`, checking its magic number
   * (WRONG_KIND: something else is there), version and geometry. The whole
   * structure is checked by verify(), not here.
   */
  static open<K extends Key = Key, V = unknown>(ctx: StructContext, headerOffset: number, options: HashMapOptions<V> = {}): HashMap<K, V> {
    const bytes = ctx.bytes;
    if (!Number.isInteger(headerOffset) || headerOffset <= 0 || headerOffset % 8 !== 0 || headerOffset + HEADER_SIZE > bytes.length) {
      throw new StructError('INVALID_ARGUMENT', `HashMap.open: ${String(headerOffset)} is not the offset of a block in segment "${ctx.segment.name}".`, { headerOffset });
    }
    if (bytes.readUInt32LE(headerOffset + HEADER_MAGIC) !== HASH_MAP_MAGIC) {
      throw new StructError('WRONG_KIND', `The block at offset ${headerOffset} is not a HashMap (its magic number is 0x${bytes.readUInt32LE(headerOffset).toString(16)}). Open it as the kind it was created as.`, { headerOffset });
    }
    const version = bytes.readUInt16LE(headerOffset + HEADER_VERSION);
    const pageSize = bytes.readUInt16LE(headerOffset + HEADER_PAGE_SIZE);
    if (version !== HASH_MAP_FORMAT_VERSION || pageSize !== PAGE_SIZE) {
      throw corrupt(headerOffset, headerOffset, `format version ${version} with ${pageSize}-byte pages; this library reads version ${HASH_MAP_FORMAT_VERSION} with ${PAGE_SIZE}-byte pages`);
    }
    return new HashMap<K, V>(ctx, headerOffset, resolveValueCodec(options, ctx));
  }

  /** The number of entries. */
  get size(): number {
    this.checkLive();
    return this.ctx.bytes.readUInt32LE(this.headerOffset + HEADER_ENTRY_COUNT);
  }

  get(key: K): V | undefined {
    this.checkLive();
    this.encodeKey(key);
    if (!this.locate(0)) return undefined;
    return this.valueAt(this.foundPos);
  }

  has(key: K): boolean {
    this.checkLive();
    this.encodeKey(key);
    return this.locate(0);
  }

  /**
   * Sets `key` to `value` in the current transaction. Refuses a value its codec
   * or schema refuses (SCHEMA_INVALID, INVALID_VALUE), a key that is not a Key
   * (INVALID_KEY), sizes past KEY_SIZE_MAX or VALUE_SIZE_MAX (KEY_TOO_LARGE,
   * VALUE_TOO_LARGE); each before anything is written.
   */
  set(key: K, value: V): this {
    this.checkLive();
    const ctx = this.ctx;
    ctx.tx();
    const encoded = this.codec.encode(value);
    const valueSize = encoded.length;
    if (valueSize > VALUE_SIZE_MAX) {
      throw new StructError('VALUE_TOO_LARGE', `The encoded value has ${valueSize} bytes; a HashMap value may have at most ${VALUE_SIZE_MAX}. Store it in pieces.`, { size: valueSize, sizeMax: VALUE_SIZE_MAX });
    }
    this.encodeKey(key);
    const keySize = this.keySize;
    const keyCellSize = keySize > KEY_INLINE_MAX ? BLOB_REF_SIZE : keySize;
    const valueBlob = valueSize > VALUE_INLINE_MAX;
    const size = RECORD_HEADER_SIZE + keyCellSize + (valueBlob ? BLOB_REF_SIZE : valueSize);
    if (this.locate(size)) {
      this.replace(encoded, size);
    } else {
      this.insert(encoded, size);
    }
    return this;
  }

  /** Deletes `key` in the current transaction; returns whether it was there. */
  delete(key: K): boolean {
    this.checkLive();
    const ctx = this.ctx;
    ctx.tx();
    this.encodeKey(key);
    if (!this.locate(0)) return false;
    const bytes = ctx.bytes;
    const pos = this.foundPos;
    const size = this.foundSize;
    const keyField = bytes.readUInt16LE(pos + RECORD_KEY_FIELD);
    const valueField = bytes.readUInt16LE(pos + RECORD_VALUE_FIELD);
    const keyBlob = keyField === CELL_BLOB ? bytes.readUInt32LE(pos + RECORD_HEADER_SIZE) : 0;
    const valueCell = pos + RECORD_HEADER_SIZE + (keyField === CELL_BLOB ? BLOB_REF_SIZE : keyField);
    const valueBlob = valueField === CELL_BLOB ? bytes.readUInt32LE(valueCell) : 0;
    this.removeRecord(this.foundPage, this.foundPrev, pos, size);
    if (keyBlob !== 0) ctx.free(keyBlob);
    if (valueBlob !== 0) ctx.free(valueBlob);
    this.addCounters(-1, -size);
    const after = ctx.bytes;
    const bucketCount = after.readUInt32LE(this.headerOffset + HEADER_BUCKET_COUNT);
    if (bucketCount > 1 && after.readUInt32LE(this.headerOffset + HEADER_RECORD_SIZE) < bucketCount * LOAD_MERGE_SIZE) {
      mergeOne(ctx, this.headerOffset);
    }
    return true;
  }

  /** Deletes every entry in the current transaction, freeing all pages and blobs but one page. */
  clear(): void {
    this.checkLive();
    const ctx = this.ctx;
    ctx.tx();
    const header = this.headerOffset;
    const firstPage = ctx.bytes.readUInt32LE(directoryEntryOffset(ctx.bytes, header, 0));
    freeContents(ctx, header, firstPage);
    ctx.fill(firstPage, PAGE_HEADER_SIZE, 0);
    ctx.fill(header + HEADER_CHUNKS + 4, (CHUNK_COUNT_MAX - 1) * 4, 0);
    ctx.writeU32(header + HEADER_BUCKET_COUNT, 1);
    const bytes = ctx.bytes;
    countersScratch.writeUInt32LE(0, 0);
    countersScratch.writeUInt32LE(0, 4);
    countersScratch.writeUInt32LE((bytes.readUInt32LE(header + HEADER_CHANGE_COUNT) + 1) >>> 0, 8);
    ctx.writeBytes(header + HEADER_ENTRY_COUNT, countersScratch, 0, 12);
  }

  /**
   * Frees every block of the map, its header included, in the current
   * transaction. The instance (and its iterators) cannot be used afterwards;
   * the caller forgets the header offset (removes it from its catalog or root).
   */
  destroy(): void {
    this.checkLive();
    const ctx = this.ctx;
    ctx.tx();
    freeContents(ctx, this.headerOffset, 0);
    ctx.free(this.headerOffset);
    this.destroyed = true;
  }

  /** Checks every invariant of the format (format.ts); throws STRUCT_CORRUPT with { offset, problem } at the first violation. */
  verify(): void {
    this.checkLive();
    inspectHashMap(this.ctx, this.headerOffset);
  }

  /** Verifies the map and reports its shape: buckets, pages, overflow, blobs, load. */
  stats(): HashMapStats {
    this.checkLive();
    return inspectHashMap(this.ctx, this.headerOffset);
  }

  keys(): HashMapIterator<K, V, K> {
    this.checkLive();
    return new HashMapIterator<K, V, K>(this, ITERATE_KEYS);
  }

  values(): HashMapIterator<K, V, V> {
    this.checkLive();
    return new HashMapIterator<K, V, V>(this, ITERATE_VALUES);
  }

  entries(): HashMapIterator<K, V, [K, V]> {
    this.checkLive();
    return new HashMapIterator<K, V, [K, V]>(this, ITERATE_ENTRIES);
  }

  [Symbol.iterator](): HashMapIterator<K, V, [K, V]> {
    return this.entries();
  }

  // ------------------------------------------------------------ for iterators

  /** @internal */
  _changeCount(): number {
    return this.ctx.bytes.readUInt32LE(this.headerOffset + HEADER_CHANGE_COUNT);
  }

  /** @internal Whether destroy() ran (or the Store retired this handle). */
  get _destroyed(): boolean {
    return this.destroyed;
  }

  /**
   * @internal Retires the handle as destroy() does, without freeing anything:
   * the Store calls it when the collection was dropped through another handle
   * or its creation was aborted. Every later call throws NOT_FOUND, and its
   * iterators ITERATOR_INVALIDATED.
   */
  _invalidate(): void {
    this.destroyed = true;
  }

  /** @internal The key of the record at `pos`. */
  _keyAt(pos: number): K {
    const bytes = this.ctx.bytes;
    const keyField = bytes.readUInt16LE(pos + RECORD_KEY_FIELD);
    const cell = pos + RECORD_HEADER_SIZE;
    try {
      if (keyField !== CELL_BLOB) return decodeKey(bytes, cell, cell + keyField) as K;
      const blob = this.blobAt(bytes.readUInt32LE(cell), pos);
      return decodeKey(bytes, blob + BLOB_HEADER_SIZE, blob + BLOB_HEADER_SIZE + bytes.readUInt32LE(blob)) as K;
    } catch (e) {
      if (e instanceof StructError) throw e;
      throw corrupt(this.headerOffset, pos, `a key does not decode: ${String(e)}`);
    }
  }

  /** @internal The value of the record at `pos`. */
  _valueAt(pos: number): V {
    return this.valueAt(pos);
  }

  // ---------------------------------------------------------------- private

  private checkLive(): void {
    if (this.destroyed) {
      throw new StructError('NOT_FOUND', `The HashMap at offset ${this.headerOffset} was destroyed. Create a new one.`, { headerOffset: this.headerOffset });
    }
  }

  /** Encodes `key` into keyScratch; sets keySize. */
  private encodeKey(key: K): void {
    const end = encodeKeyInto(key, keyScratch, 0);
    if (end < 0) {
      const size = encodeKey(key).length;
      throw new StructError('KEY_TOO_LARGE', `The encoded key has ${size} bytes; a HashMap key may have at most ${KEY_SIZE_MAX}. Use a shorter key (a hash of it, for example).`, { size, sizeMax: KEY_SIZE_MAX });
    }
    this.keySize = end;
  }

  /**
   * Looks for the key in keyScratch. Sets foundHash and, when found (true),
   * foundPage, foundPrev (the page before it in the chain, 0 for the first),
   * foundPos and foundSize; when not found, roomPage (the first page with
   * `roomNeeded` free bytes, or 0) and lastPage.
   */
  private locate(roomNeeded: number): boolean {
    const bytes = this.ctx.bytes;
    const header = this.headerOffset;
    const keySize = this.keySize;
    const hash = murmur3(keyScratch, 0, keySize, bytes.readUInt32LE(header + HEADER_HASH_SEED));
    this.foundHash = hash;
    const bucketCount = bytes.readUInt32LE(header + HEADER_BUCKET_COUNT);
    let page = bytes.readUInt32LE(directoryEntryOffset(bytes, header, bucketOf(hash, bucketCount)));
    const inline = keySize <= KEY_INLINE_MAX;
    const stepsMax = bytes.length / PAGE_SIZE;
    let steps = 0;
    let prev = 0;
    let room = 0;
    while (page !== 0) {
      if (++steps > stepsMax || page + PAGE_SIZE > bytes.length) throw corrupt(header, page, 'a bucket chain loops or leaves the segment');
      const used = bytes.readUInt16LE(page);
      if (used > PAGE_DATA_SIZE) throw corrupt(header, page, `a page claims ${used} bytes of records`);
      if (room === 0 && used + roomNeeded <= PAGE_DATA_SIZE) room = page;
      let pos = page + PAGE_HEADER_SIZE;
      const end = pos + used;
      while (pos < end) {
        const keyField = bytes.readUInt16LE(pos + RECORD_KEY_FIELD);
        const valueField = bytes.readUInt16LE(pos + RECORD_VALUE_FIELD);
        const size = RECORD_HEADER_SIZE + (keyField === CELL_BLOB ? BLOB_REF_SIZE : keyField) + (valueField === CELL_BLOB ? BLOB_REF_SIZE : valueField);
        if (pos + size > end) throw corrupt(header, pos, 'a record runs past its page');
        if (bytes.readUInt32LE(pos) === hash && (inline ? keyField === keySize && inlineKeyEquals(bytes, pos + RECORD_HEADER_SIZE, keySize) : keyField === CELL_BLOB && this.blobKeyEquals(bytes, pos))) {
          this.foundPage = page;
          this.foundPrev = prev;
          this.foundPos = pos;
          this.foundSize = size;
          return true;
        }
        pos += size;
      }
      prev = page;
      page = bytes.readUInt32LE(page + PAGE_NEXT);
    }
    this.roomPage = room;
    this.lastPage = prev;
    return false;
  }

  private blobKeyEquals(bytes: Buffer, pos: number): boolean {
    const blob = this.blobAt(bytes.readUInt32LE(pos + RECORD_HEADER_SIZE), pos);
    const keySize = this.keySize;
    if (bytes.readUInt32LE(blob) !== keySize) return false;
    return inlineKeyEquals(bytes, blob + BLOB_HEADER_SIZE, keySize);
  }

  /** Checks that a blob offset read from a record at `pos` lies inside the segment. */
  private blobAt(blob: number, pos: number): number {
    const bytes = this.ctx.bytes;
    if (blob === 0 || blob + BLOB_HEADER_SIZE > bytes.length || blob + BLOB_HEADER_SIZE + bytes.readUInt32LE(blob) > bytes.length) {
      throw corrupt(this.headerOffset, pos, `a record refers to blob ${blob}, outside the segment`);
    }
    return blob;
  }

  private valueAt(pos: number): V {
    const bytes = this.ctx.bytes;
    const keyField = bytes.readUInt16LE(pos + RECORD_KEY_FIELD);
    const valueField = bytes.readUInt16LE(pos + RECORD_VALUE_FIELD);
    const cell = pos + RECORD_HEADER_SIZE + (keyField === CELL_BLOB ? BLOB_REF_SIZE : keyField);
    if (valueField !== CELL_BLOB) return decodeRange(this.codec, bytes, cell, cell + valueField);
    const blob = this.blobAt(bytes.readUInt32LE(cell), pos) + BLOB_HEADER_SIZE;
    return decodeRange(this.codec, bytes, blob, blob + bytes.readUInt32LE(blob - BLOB_HEADER_SIZE));
  }

  /**
   * Composes the record for the key in keyScratch (or the key cell `keyCell`
   * copied from an existing record at `fromPos`) and `encoded` (or a blob
   * offset) at recordScratch[PAGE_HEADER_SIZE ..]; returns its size.
   */
  private composeRecord(keyBlob: number, fromPos: number, encoded: Uint8Array, valueBlob: number): number {
    const at = PAGE_HEADER_SIZE;
    let p = at + RECORD_HEADER_SIZE;
    recordScratch.writeUInt32LE(this.foundHash, at);
    if (fromPos !== 0) {
      // Replacing: the key cell stays as it is (an inline key, or the same blob).
      const bytes = this.ctx.bytes;
      const keyField = bytes.readUInt16LE(fromPos + RECORD_KEY_FIELD);
      const keyCellSize = keyField === CELL_BLOB ? BLOB_REF_SIZE : keyField;
      recordScratch.writeUInt16LE(keyField, at + RECORD_KEY_FIELD);
      bytes.copy(recordScratch, p, fromPos + RECORD_HEADER_SIZE, fromPos + RECORD_HEADER_SIZE + keyCellSize);
      p += keyCellSize;
    } else if (keyBlob !== 0) {
      recordScratch.writeUInt16LE(CELL_BLOB, at + RECORD_KEY_FIELD);
      recordScratch.writeUInt32LE(keyBlob, p);
      p += BLOB_REF_SIZE;
    } else {
      recordScratch.writeUInt16LE(this.keySize, at + RECORD_KEY_FIELD);
      keyScratch.copy(recordScratch, p, 0, this.keySize);
      p += this.keySize;
    }
    if (valueBlob !== 0) {
      recordScratch.writeUInt16LE(CELL_BLOB, at + RECORD_VALUE_FIELD);
      recordScratch.writeUInt32LE(valueBlob, p);
      p += BLOB_REF_SIZE;
    } else {
      recordScratch.writeUInt16LE(encoded.length, at + RECORD_VALUE_FIELD);
      recordScratch.set(encoded, p);
      p += encoded.length;
    }
    return p - at;
  }

  /** Inserts a new record of `size` bytes for the key located (not found). */
  private insert(encoded: Uint8Array, size: number): void {
    const ctx = this.ctx;
    const roomPage = this.roomPage;
    const lastPage = this.lastPage;
    // Allocate first, so that OUT_OF_SPACE leaves the map unchanged.
    let keyBlob = 0;
    let valueBlob = 0;
    let newPage = 0;
    try {
      if (this.keySize > KEY_INLINE_MAX) keyBlob = writeBlob(ctx, keyScratch, 0, this.keySize);
      if (encoded.length > VALUE_INLINE_MAX) valueBlob = writeBlob(ctx, encoded, 0, encoded.length);
      if (roomPage === 0) newPage = ctx.alloc(PAGE_SIZE);
    } catch (e) {
      if (keyBlob !== 0) ctx.free(keyBlob);
      if (valueBlob !== 0) ctx.free(valueBlob);
      throw e;
    }
    const composed = this.composeRecord(keyBlob, 0, encoded, valueBlob);
    assert(composed === size, 'the record has the size planned for it');
    if (newPage === 0) {
      this.appendToPage(roomPage, size);
    } else {
      this.writeNewPage(newPage, size);
      ctx.writeU32(lastPage + PAGE_NEXT, newPage);
    }
    this.addCounters(1, size);
    this.maybeSplit();
  }

  /** Replaces the value of the record found (foundPage, foundPos) by `encoded`; the new record has `size` bytes. */
  private replace(encoded: Uint8Array, size: number): void {
    const ctx = this.ctx;
    const page = this.foundPage;
    const prev = this.foundPrev;
    const pos = this.foundPos;
    const oldSize = this.foundSize;
    let bytes = ctx.bytes;
    const used = bytes.readUInt16LE(page);
    const oldKeyField = bytes.readUInt16LE(pos + RECORD_KEY_FIELD);
    const oldValueCell = pos + RECORD_HEADER_SIZE + (oldKeyField === CELL_BLOB ? BLOB_REF_SIZE : oldKeyField);
    const oldValueBlob = bytes.readUInt16LE(pos + RECORD_VALUE_FIELD) === CELL_BLOB ? bytes.readUInt32LE(oldValueCell) : 0;
    const inPlace = used - oldSize + size <= PAGE_DATA_SIZE;
    // Allocate first: the value's blob, and a page when the record must move.
    let valueBlob = 0;
    let target = 0;
    let newPage = 0;
    let lastPage = 0;
    try {
      if (encoded.length > VALUE_INLINE_MAX) valueBlob = writeBlob(ctx, encoded, 0, encoded.length);
      if (!inPlace) {
        this.findRoom(page, size);
        target = this.roomPage;
        lastPage = this.lastPage;
        if (target === 0) newPage = ctx.alloc(PAGE_SIZE);
      }
    } catch (e) {
      if (valueBlob !== 0) ctx.free(valueBlob);
      throw e;
    }
    const composed = this.composeRecord(0, pos, encoded, valueBlob);
    assert(composed === size, 'the replacement has the size planned for it');
    bytes = ctx.bytes;
    if (size === oldSize) {
      // Same size: only the bytes of the value that change are declared (the key cell is the same).
      ctx.writeBytesChanged(pos + RECORD_VALUE_FIELD, recordScratch, PAGE_HEADER_SIZE + RECORD_VALUE_FIELD, PAGE_HEADER_SIZE + size);
    } else if (inPlace) {
      // Compose the new record followed by the records after the old one, and write them at once.
      const tailStart = pos + oldSize;
      const tailEnd = page + PAGE_HEADER_SIZE + used;
      bytes.copy(recordScratch, PAGE_HEADER_SIZE + size, tailStart, tailEnd);
      ctx.writeBytes(pos, recordScratch, PAGE_HEADER_SIZE, PAGE_HEADER_SIZE + size + (tailEnd - tailStart));
      ctx.writeU16(page, used - oldSize + size);
    } else {
      if (newPage === 0) {
        this.appendToPage(target, size);
      } else {
        this.writeNewPage(newPage, size);
        ctx.writeU32(lastPage + PAGE_NEXT, newPage);
      }
      this.removeRecord(page, prev, pos, oldSize);
    }
    if (oldValueBlob !== 0) ctx.free(oldValueBlob);
    this.addCounters(0, size - oldSize);
    if (size > oldSize) this.maybeSplit();
  }

  /**
   * Scans the chain of the key found and sets roomPage (the first page other
   * than `excluded` with `size` free bytes, or 0) and lastPage.
   */
  private findRoom(excluded: number, size: number): void {
    const bytes = this.ctx.bytes;
    const header = this.headerOffset;
    let page = bytes.readUInt32LE(directoryEntryOffset(bytes, header, bucketOf(this.foundHash, bytes.readUInt32LE(header + HEADER_BUCKET_COUNT))));
    const stepsMax = bytes.length / PAGE_SIZE;
    let steps = 0;
    let room = 0;
    let last = 0;
    while (page !== 0) {
      if (++steps > stepsMax) throw corrupt(header, page, 'a bucket chain loops');
      if (room === 0 && page !== excluded && bytes.readUInt16LE(page) + size <= PAGE_DATA_SIZE) room = page;
      last = page;
      page = bytes.readUInt32LE(page + PAGE_NEXT);
    }
    this.roomPage = room;
    this.lastPage = last;
  }

  /** Appends the composed record of `size` bytes to `page`, which has room. */
  private appendToPage(page: number, size: number): void {
    const ctx = this.ctx;
    const bytes = ctx.bytes;
    const used = bytes.readUInt16LE(page);
    const count = bytes.readUInt16LE(page + 2);
    assert(used + size <= PAGE_DATA_SIZE, 'the page has room');
    ctx.writeBytes(page + PAGE_HEADER_SIZE + used, recordScratch, PAGE_HEADER_SIZE, PAGE_HEADER_SIZE + size);
    ctx.writeU32(page, (used + size + (count + 1) * 0x10000) >>> 0);
  }

  /** Writes a fresh last page holding only the composed record. */
  private writeNewPage(page: number, size: number): void {
    recordScratch.writeUInt16LE(size, 0);
    recordScratch.writeUInt16LE(1, 2);
    recordScratch.writeUInt32LE(0, PAGE_NEXT);
    this.ctx.writeBytes(page, recordScratch, 0, PAGE_HEADER_SIZE + size);
  }

  /** Removes the record at `pos` (of `size` bytes) from `page`; unlinks and frees an overflow page it leaves empty. */
  private removeRecord(page: number, prev: number, pos: number, size: number): void {
    const ctx = this.ctx;
    const bytes = ctx.bytes;
    const used = bytes.readUInt16LE(page);
    const count = bytes.readUInt16LE(page + 2);
    if (count === 1 && prev !== 0) {
      ctx.writeU32(prev + PAGE_NEXT, bytes.readUInt32LE(page + PAGE_NEXT));
      ctx.free(page);
      return;
    }
    const after = pos + size;
    ctx.moveBytes(pos, after, page + PAGE_HEADER_SIZE + used - after);
    ctx.writeU32(page, (used - size + (count - 1) * 0x10000) >>> 0);
  }

  /** Adds to entryCount and recordSize and increments changeCount, with one declared range. */
  private addCounters(entryDelta: number, sizeDelta: number): void {
    const bytes = this.ctx.bytes;
    const at = this.headerOffset + HEADER_ENTRY_COUNT;
    countersScratch.writeUInt32LE(bytes.readUInt32LE(at) + entryDelta, 0);
    countersScratch.writeUInt32LE(bytes.readUInt32LE(at + 4) + sizeDelta, 4);
    countersScratch.writeUInt32LE((bytes.readUInt32LE(at + 8) + 1) >>> 0, 8);
    this.ctx.writeBytes(at, countersScratch, 0, 12);
  }

  private maybeSplit(): void {
    const bytes = this.ctx.bytes;
    const header = this.headerOffset;
    if (bytes.readUInt32LE(header + HEADER_RECORD_SIZE) > bytes.readUInt32LE(header + HEADER_BUCKET_COUNT) * LOAD_SPLIT_SIZE) {
      splitOne(this.ctx, header);
    }
  }
}

function inlineKeyEquals(bytes: Buffer, start: number, keySize: number): boolean {
  for (let i = 0; i < keySize; i++) {
    if (bytes[start + i] !== keyScratch[i]) return false;
  }
  return true;
}
