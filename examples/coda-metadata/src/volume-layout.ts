/**
 * The volume record: the value stored under the volume id in the `volumes`
 * B-tree. A volume is a subtree with its own vnode table, as in Coda.
 *
 *  offset size field
 *       0    1 version     VOLUME_FORMAT_VERSION
 *       1    3 reserved    zero
 *       4    4 nextVnode   vnode numbers below this were allocated at some time; each is live
 *                          (in `vnodes`) or free (in `free-vnodes`), never both (fsck checks it)
 *       8    4 nextUnique  the next uniquifier; every live vnode's uniquifier is below it
 *      12    4 reserved    zero
 *      16    n name        UTF-8, 1 .. VOLUME_NAME_SIZE_MAX bytes, unique among volumes
 *
 * A record is valid if and only if it has 17 .. 16 + VOLUME_NAME_SIZE_MAX
 * bytes, version VOLUME_FORMAT_VERSION, zero reserved bytes, nextVnode >= 2
 * (the root, vnode 1, always exists), nextUnique >= 2, and a UTF-8 name.
 */
import type { ValueCodec } from '@rvm/structs';
import { CodecError } from '@rvm/structs';
import { isU32 } from './fid.js';

export const VOLUME_FORMAT_VERSION = 1;
export const VOLUME_HEADER_SIZE = 16;
export const VOLUME_NAME_SIZE_MAX = 64;

export interface VolumeRecord {
  name: string;
  nextVnode: number;
  nextUnique: number;
}

const scratch = Buffer.alloc(VOLUME_HEADER_SIZE + VOLUME_NAME_SIZE_MAX);
const utf8 = new TextDecoder('utf-8', { fatal: true });

export const volumeCodec: ValueCodec<VolumeRecord> = {
  encode(value) {
    const nameSize = Buffer.byteLength(value.name, 'utf8');
    if (nameSize === 0 || nameSize > VOLUME_NAME_SIZE_MAX || !isU32(value.nextVnode) || value.nextVnode < 2 || !isU32(value.nextUnique) || value.nextUnique < 2) {
      throw new CodecError('INVALID_VALUE', `A volume record cannot hold ${JSON.stringify(value)}; this is a bug of the caller.`, { ...value });
    }
    scratch.fill(0, 0, VOLUME_HEADER_SIZE);
    scratch[0] = VOLUME_FORMAT_VERSION;
    scratch.writeUInt32LE(value.nextVnode, 4);
    scratch.writeUInt32LE(value.nextUnique, 8);
    scratch.write(value.name, VOLUME_HEADER_SIZE, 'utf8');
    return scratch.subarray(0, VOLUME_HEADER_SIZE + nameSize);
  },
  decode(bytes) {
    return decodeVolume(bytes, 0, bytes.length);
  },
  decodeRange: decodeVolume,
};

function decodeVolume(bytes: Uint8Array, start: number, end: number): VolumeRecord {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
  const corrupt = (what: string): never => {
    throw new CodecError('VALUE_CORRUPT', `A volume record is not valid: ${what}. Restore the store from a backup.`, { what });
  };
  if (view.length <= VOLUME_HEADER_SIZE || view.length > VOLUME_HEADER_SIZE + VOLUME_NAME_SIZE_MAX) corrupt(`${view.length} bytes`);
  if (view[0] !== VOLUME_FORMAT_VERSION) corrupt(`format version ${String(view[0])}`);
  if (view[1] !== 0 || view[2] !== 0 || view[3] !== 0 || view.readUInt32LE(12) !== 0) corrupt('reserved bytes not zero');
  const nextVnode = view.readUInt32LE(4);
  const nextUnique = view.readUInt32LE(8);
  if (nextVnode < 2 || nextUnique < 2) corrupt(`nextVnode ${nextVnode}, nextUnique ${nextUnique}`);
  let name = '';
  try {
    name = utf8.decode(view.subarray(VOLUME_HEADER_SIZE));
  } catch {
    corrupt('a name that is not UTF-8');
  }
  return { name, nextVnode, nextUnique };
}
