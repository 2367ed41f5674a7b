/**
 * A directory entry: the value stored under [volume, directory vnode, name]
 * in the `dirents` B-tree. The volume is in the key (an entry never names a
 * vnode of another volume; Coda crosses volumes only at mount points), so the
 * value is the rest of the fid.
 *
 *  offset size field
 *       0    4 vnode   the vnode number the entry names, >= 1
 *       4    4 unique  its uniquifier when the entry was made, >= 1
 *
 * A value is valid if and only if it has exactly 8 bytes and both fields are
 * non-zero. Whether it names a live vnode is fsck's question, not the codec's.
 */
import type { ValueCodec } from '@rvm/structs';
import { CodecError } from '@rvm/structs';
import { isU32 } from './fid.js';

export const DIRENT_SIZE = 8;

export interface DirentTarget {
  readonly vnode: number;
  readonly unique: number;
}

const scratch = Buffer.alloc(DIRENT_SIZE);

export const direntCodec: ValueCodec<DirentTarget> = {
  encode(value) {
    if (!isU32(value.vnode) || value.vnode === 0 || !isU32(value.unique) || value.unique === 0) {
      throw new CodecError('INVALID_VALUE', `A directory entry cannot name vnode ${value.vnode} with uniquifier ${value.unique}; this is a bug of the caller.`, { ...value });
    }
    scratch.writeUInt32LE(value.vnode, 0);
    scratch.writeUInt32LE(value.unique, 4);
    return scratch;
  },
  decode(bytes) {
    return decodeEntry(bytes, 0, bytes.length);
  },
  decodeRange: decodeEntry,
};

function decodeEntry(bytes: Uint8Array, start: number, end: number): DirentTarget {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
  if (view.length !== DIRENT_SIZE) {
    throw new CodecError('VALUE_CORRUPT', `A directory entry has ${view.length} bytes, not ${DIRENT_SIZE}. Run fsck.`, { size: view.length });
  }
  const vnode = view.readUInt32LE(0);
  const unique = view.readUInt32LE(4);
  if (vnode === 0 || unique === 0) {
    throw new CodecError('VALUE_CORRUPT', `A directory entry names vnode ${vnode} with uniquifier ${unique}; both must be non-zero. Run fsck.`, { vnode, unique });
  }
  return { vnode, unique };
}
