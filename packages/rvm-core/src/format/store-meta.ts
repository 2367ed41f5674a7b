/**
 * The store file (`<dir>/store`): written once when a store is created, it
 * names the store so that a log from another store is refused.
 *
 *  offset size field
 *       0    4 magic       STORE_MAGIC, "RVMS" in ASCII when read as bytes
 *       4    4 checksum    CRC-32C of bytes 8 .. STORE_META_SIZE
 *       8    2 version     FORMAT_VERSION
 *      10    6 reserved    zero
 *      16   16 storeId     random; every log header of this store carries it
 *      32    8 createdAt   milliseconds since the epoch (informational)
 *      40   24 reserved    zero
 *
 * The file is valid if and only if it is STORE_META_SIZE bytes, the magic and
 * checksum match and the version is known. It is created as `store.tmp`,
 * synced, renamed and the directory synced, so it is either absent or whole.
 */
import { FORMAT_VERSION } from '../constants.js';
import { RvmError } from '../errors.js';
import { crc32c } from './crc32c.js';
import { readU64, writeU64 } from './u64.js';

export const STORE_MAGIC = 0x534d5652; // bytes 'R' 'V' 'M' 'S'
export const STORE_META_SIZE = 64;

export interface StoreMeta {
  readonly version: number;
  readonly storeId: Buffer;
  readonly createdAt: number;
}

export function encodeStoreMeta(meta: StoreMeta): Buffer {
  const buf = Buffer.alloc(STORE_META_SIZE);
  buf.writeUInt32LE(STORE_MAGIC, 0);
  buf.writeUInt16LE(meta.version, 8);
  meta.storeId.copy(buf, 16, 0, 16);
  writeU64(buf, 32, meta.createdAt);
  buf.writeUInt32LE(crc32c(buf, 8, STORE_META_SIZE), 4);
  return buf;
}

/** Validates bytes read from disk; throws STORE_CORRUPT or VERSION_MISMATCH. */
export function decodeStoreMeta(buf: Buffer, path: string): StoreMeta {
  if (buf.length !== STORE_META_SIZE || buf.readUInt32LE(0) !== STORE_MAGIC) {
    throw new RvmError('STORE_CORRUPT', `${path} is not an RVM store file (wrong size or magic). Restore it from a backup or point Rvm.open at the right directory.`, { path });
  }
  if (buf.readUInt32LE(4) !== crc32c(buf, 8, STORE_META_SIZE)) {
    throw new RvmError('STORE_CORRUPT', `${path} fails its checksum. Restore it from a backup.`, { path });
  }
  const version = buf.readUInt16LE(8);
  if (version !== FORMAT_VERSION) {
    throw new RvmError('VERSION_MISMATCH', `${path} has format version ${version}; this library reads version ${FORMAT_VERSION}. Use a matching library version.`, { path, version, supported: FORMAT_VERSION });
  }
  return { version, storeId: Buffer.from(buf.subarray(16, 32)), createdAt: readU64(buf, 32) };
}
