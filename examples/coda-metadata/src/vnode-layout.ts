/**
 * The vnode record: the value stored under [volume, vnode] in the `vnodes`
 * B-tree. A fixed little-endian layout instead of MessagePack keeps a record
 * at 40 bytes (a MessagePack map with these field names takes about 100) and
 * makes each field's range checkable on read.
 *
 *  offset size field
 *       0    1 version      VNODE_FORMAT_VERSION; a record of another version is refused, not guessed at
 *       1    1 type         1 file, 2 directory, 3 symbolic link
 *       2    2 mode         permission bits, 0 .. 0o7777
 *       4    4 owner        user id (Coda's ViceId)
 *       8    4 unique       uniquifier of this incarnation of the vnode number, >= 1
 *      12    4 linkCount    directory entries that name this vnode (a directory's own '.' and
 *                           its children's '..' included, as in Unix)
 *      16    8 length       uint64: file: bytes of data; directory: its entry count ('.' and '..'
 *                           included); symlink: bytes of the target. At most 2^53 - 1.
 *      24    8 mtime        uint64: milliseconds since the epoch of the last change to the data
 *      32    8 dataVersion  uint64: incremented by every change to the data (a file's length, a
 *                           directory's entries); Coda clients compare it to validate caches
 *      40    n target       symbolic link only: the target in UTF-8, n == length; otherwise n == 0
 *
 * A record is valid if and only if it has at least 40 bytes, its version is
 * VNODE_FORMAT_VERSION, its type is 1 .. 3, mode <= 0o7777, unique >= 1, each
 * uint64 has its top 11 bits clear (so it is a safe integer), and its size is
 * 40 plus the length for a symbolic link (whose target is valid UTF-8) and
 * exactly 40 otherwise. decode() refuses any other bytes with VALUE_CORRUPT.
 */
import type { ValueCodec } from '@rvm/structs';
import { CodecError } from '@rvm/structs';
import { isU32 } from './fid.js';
import { TARGET_SIZE_MAX } from './names.js';

export const VNODE_FORMAT_VERSION = 1;
export const VNODE_HEADER_SIZE = 40;
export const MODE_MAX = 0o7777;

const OFFSET_VERSION = 0;
const OFFSET_TYPE = 1;
const OFFSET_MODE = 2;
const OFFSET_OWNER = 4;
const OFFSET_UNIQUE = 8;
const OFFSET_LINK_COUNT = 12;
const OFFSET_LENGTH = 16;
const OFFSET_MTIME = 24;
const OFFSET_DATA_VERSION = 32;

export type VnodeType = 'file' | 'dir' | 'symlink';

const TYPE_CODES: Readonly<Record<VnodeType, number>> = { file: 1, dir: 2, symlink: 3 };
const TYPE_NAMES: readonly (VnodeType | undefined)[] = [undefined, 'file', 'dir', 'symlink'];

/** A decoded vnode: a fresh object the caller may change and put back. */
export interface Vnode {
  type: VnodeType;
  mode: number;
  owner: number;
  unique: number;
  linkCount: number;
  length: number;
  mtime: number;
  dataVersion: number;
  /** The symbolic link's target; '' for other types. */
  target: string;
}

/** Encodes into one reused buffer: the result is valid until the next encode (the ValueCodec contract). */
const scratch = Buffer.alloc(VNODE_HEADER_SIZE + TARGET_SIZE_MAX);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function encode(v: Vnode): Uint8Array {
  // Assert the record right before it is written: a bad one is a bug of the caller.
  const typeCode = TYPE_CODES[v.type];
  if (typeCode === undefined) invalid(`type ${String(v.type)}`);
  if (!Number.isInteger(v.mode) || v.mode < 0 || v.mode > MODE_MAX) invalid(`mode ${v.mode}`);
  if (!isU32(v.owner)) invalid(`owner ${v.owner}`);
  if (!isU32(v.unique) || v.unique === 0) invalid(`unique ${v.unique}`);
  if (!isU32(v.linkCount)) invalid(`linkCount ${v.linkCount}`);
  if (!Number.isSafeInteger(v.length) || v.length < 0) invalid(`length ${v.length}`);
  if (!Number.isSafeInteger(v.mtime) || v.mtime < 0) invalid(`mtime ${v.mtime}`);
  if (!Number.isSafeInteger(v.dataVersion) || v.dataVersion < 0) invalid(`dataVersion ${v.dataVersion}`);
  let size = VNODE_HEADER_SIZE;
  if (v.type === 'symlink') {
    const targetSize = scratch.write(v.target, VNODE_HEADER_SIZE, 'utf8');
    if (targetSize !== v.length || targetSize !== Buffer.byteLength(v.target, 'utf8')) invalid(`symlink length ${v.length} for a ${targetSize}-byte target`);
    size += targetSize;
  } else if (v.target !== '') {
    invalid(`a ${v.type} with a target`);
  }
  scratch[OFFSET_VERSION] = VNODE_FORMAT_VERSION;
  scratch[OFFSET_TYPE] = typeCode;
  scratch.writeUInt16LE(v.mode, OFFSET_MODE);
  scratch.writeUInt32LE(v.owner, OFFSET_OWNER);
  scratch.writeUInt32LE(v.unique, OFFSET_UNIQUE);
  scratch.writeUInt32LE(v.linkCount, OFFSET_LINK_COUNT);
  writeU64(scratch, OFFSET_LENGTH, v.length);
  writeU64(scratch, OFFSET_MTIME, v.mtime);
  writeU64(scratch, OFFSET_DATA_VERSION, v.dataVersion);
  return scratch.subarray(0, size);
}

function decodeRange(bytes: Uint8Array, start: number, end: number): Vnode {
  const size = end - start;
  if (size < VNODE_HEADER_SIZE) corrupt(`${size} bytes`);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, size);
  if (view[OFFSET_VERSION] !== VNODE_FORMAT_VERSION) corrupt(`format version ${String(view[OFFSET_VERSION])}`);
  const type = TYPE_NAMES[view[OFFSET_TYPE]!];
  if (type === undefined) corrupt(`type code ${String(view[OFFSET_TYPE])}`);
  const mode = view.readUInt16LE(OFFSET_MODE);
  if (mode > MODE_MAX) corrupt(`mode ${mode.toString(8)}`);
  const unique = view.readUInt32LE(OFFSET_UNIQUE);
  if (unique === 0) corrupt('uniquifier 0');
  const length = readU64(view, OFFSET_LENGTH);
  const mtime = readU64(view, OFFSET_MTIME);
  const dataVersion = readU64(view, OFFSET_DATA_VERSION);
  let target = '';
  if (type === 'symlink') {
    if (size !== VNODE_HEADER_SIZE + length) corrupt(`a symlink record of ${size} bytes with length ${length}`);
    try {
      target = utf8.decode(view.subarray(VNODE_HEADER_SIZE));
    } catch {
      corrupt('a symlink target that is not UTF-8');
    }
  } else if (size !== VNODE_HEADER_SIZE) {
    corrupt(`a ${type} record of ${size} bytes`);
  }
  return {
    type,
    mode,
    owner: view.readUInt32LE(OFFSET_OWNER),
    unique,
    linkCount: view.readUInt32LE(OFFSET_LINK_COUNT),
    length,
    mtime,
    dataVersion,
    target,
  };
}

export const vnodeCodec: ValueCodec<Vnode> = {
  encode,
  decode: (bytes) => decodeRange(bytes, 0, bytes.length),
  decodeRange,
};

/** A uint64 as two uint32 halves: the high one may use 21 bits, so the value is a safe integer. */
function writeU64(target: Buffer, offset: number, value: number): void {
  target.writeUInt32LE(value % 0x1_0000_0000, offset);
  target.writeUInt32LE(Math.floor(value / 0x1_0000_0000), offset + 4);
}

function readU64(view: Buffer, offset: number): number {
  const high = view.readUInt32LE(offset + 4);
  if (high > 0x1f_ffff) corrupt(`a uint64 at offset ${offset} past 2^53 - 1`);
  return high * 0x1_0000_0000 + view.readUInt32LE(offset);
}

function invalid(what: string): never {
  throw new CodecError('INVALID_VALUE', `A vnode record cannot hold ${what}; this is a bug of the caller.`, { what });
}

function corrupt(what: string): never {
  throw new CodecError('VALUE_CORRUPT', `A vnode record is not valid: ${what}. Run fsck and restore the volume from a backup.`, { what });
}
