/**
 * Golden test of HashMap format version 1 (src/hash-map/format.ts): the bytes
 * a fixed sequence of operations writes into a fresh heap are pinned, and
 * read back. A change to any of them is a format change: bump
 * HASH_MAP_FORMAT_VERSION and keep reading version 1.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { HASH_MAP_FORMAT_VERSION, HashMap } from '../src/hash-map/index.js';
import { murmur3 } from '../src/hash-map/hash.js';
import { msgpackCodec } from '../src/codec/index.js';
import { World } from './list-hash-map-support.js';

const HEADER_HEX = [
  '484d4150', // magic "HMAP"
  '0100', // version 1
  '0004', // page size 1024
  '8cb24797', // hash seed HASH_SEED_DEFAULT
  '01000000', // bucketCount 1
  '04000000', // entryCount 4
  '49000000', // recordSize 73
  '04000000', // changeCount 4
  '00000000', // reserved
  '70fe0000', // chunk 0 at 65136
  '00'.repeat(80), // chunks 1 .. 20: none
  '00'.repeat(12), // reserved
].join('');

const PAGE_HEX = [
  '4900', '0400', '00000000', // usedSize 73, entryCount 4, next none
  // 1 -> 'one': hash, key 9 bytes inline, value 4 bytes inline, key (number tag + 8), value (msgpack fixstr)
  '4f5b1963', '0900', '0400', '30bff00000000000' + '00', 'a36f6e65',
  // '' -> null: key 2 bytes (string tag, terminator), value 1 byte (msgpack nil)
  'ce4048ce', '0200', '0100', '5000', 'c0',
  // ['a', 2] -> [1, 2]: key 14 bytes (tuple of string and number), value 3 bytes (fixarray)
  'fdcc1789', '0e00', '0300', '70' + '506100' + '30c000000000000000' + '00', '920102',
  // 'k' x 70 -> 'x' x 450: both cells are blobs (0xffff), then their offsets
  'da63783e', 'ffff', 'ffff', '10fa0000', '38f80000',
].join('');

describe('HashMap format version 1', () => {
  it('is version 1', () => {
    expect(HASH_MAP_FORMAT_VERSION).toBe(1);
  });

  it('hashes with MurmurHash3 x86 32 (published vectors)', () => {
    const hash = (text: string, seed: number): number => {
      const bytes = Buffer.from(text);
      return murmur3(bytes, 0, bytes.length, seed);
    };
    expect(hash('', 0)).toBe(0);
    expect(hash('', 1)).toBe(0x514e28b7);
    expect(hash('hello', 0)).toBe(0x248bfa47);
    expect(hash('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });

  it('writes the pinned header, page and blob bytes, and reads them back', () => {
    const world = World.create();
    const offset = world.transaction(() => HashMap.create(world.ctx));
    // Plain MessagePack values (value format 1, a codec with options), so that only the map format is pinned here;
    // the record values of the default codec are pinned in record-codec.test.ts.
    const map = HashMap.open(world.ctx, offset, { codec: msgpackCodec({}) });
    world.transaction(() => {
      map.set(1, 'one');
      map.set('', null);
      map.set(['a', 2], [1, 2]);
      map.set('k'.repeat(70), 'x'.repeat(450));
    });
    const bytes = world.segment.bytes;
    expect(bytes.toString('hex', offset, offset + 128)).toBe(HEADER_HEX);
    const page = bytes.readUInt32LE(bytes.readUInt32LE(offset + 32));
    expect(bytes.toString('hex', page, page + 8 + 73)).toBe(PAGE_HEX);
    // Blobs: a u32 length, then the bytes (core/blob.ts).
    expect(bytes.readUInt32LE(0xfa10)).toBe(72);
    expect(bytes.toString('latin1', 0xfa14, 0xfa14 + 72)).toBe(`P${'k'.repeat(70)}\u0000`);
    expect(bytes.readUInt32LE(0xf838)).toBe(453); // msgpack str16: 0xda, length 450 big-endian, the bytes
    expect(bytes.toString('hex', 0xf83c, 0xf83f)).toBe('da01c2');
    expect(map.get(1)).toBe('one');
    expect(map.get('')).toBeNull();
    expect(map.get(['a', 2])).toEqual([1, 2]);
    expect(map.get('k'.repeat(70))).toBe('x'.repeat(450));
    map.verify();
  });
});
