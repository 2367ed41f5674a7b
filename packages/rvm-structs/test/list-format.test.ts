/**
 * Golden test of List format version 1 (src/list/format.ts): the bytes a
 * fixed sequence of operations writes into a fresh heap are pinned, and read
 * back; the fields of an internal node are checked one by one. A change to
 * any of them is a format change: bump LIST_FORMAT_VERSION and keep reading
 * version 1.
 */
import { describe, expect, it } from 'vitest';
import { List, LIST_FORMAT_VERSION } from '../src/list/index.js';
import { World } from './list-hash-map-support.js';
import { msgpackCodec } from '../src/codec/index.js';

const HEADER_HEX = [
  '4c495354', // magic "LIST"
  '0100', // version 1
  '00', // height 0: the root is a leaf
  '00', // reserved
  'd0fb0000', // root: the leaf at 64464
  '05000000', // length 5
  '05000000', // changeCount 5
  '00'.repeat(12), // reserved
].join('');

const LEAF_HEX = [
  '00', '00', '0500', '1600', '0000', // level 0, reserved, count 5, usedSize 22, reserved
  '0100', 'c0', // null: 1 byte (msgpack nil)
  '0200', '9103', // [3]: 2 bytes (fixarray of 1)
  '0100', '01', // 1: 1 byte (positive fixint)
  '0400', 'a374776f', // 'two': 4 bytes (fixstr)
  'ffff', '90fa0000', // 'x' x 300: a blob (0xffff), at 64144
].join('');

describe('List format version 1', () => {
  it('is version 1', () => {
    expect(LIST_FORMAT_VERSION).toBe(1);
  });

  it('writes the pinned header, leaf and blob bytes, and reads them back', () => {
    const world = World.create();
    const offset = world.transaction(() => List.create(world.ctx));
    // Plain MessagePack values (value format 1, a codec with options), so that only the list format is pinned here;
    // the record values of the default codec are pinned in record-codec.test.ts.
    const list = List.open(world.ctx, offset, { codec: msgpackCodec({}) });
    world.transaction(() => {
      list.push(1);
      list.push('two');
      list.unshift(null);
      list.push('x'.repeat(300));
      list.insert(1, [3]);
    });
    const bytes = world.segment.bytes;
    expect(bytes.toString('hex', offset, offset + 32)).toBe(HEADER_HEX);
    expect(bytes.toString('hex', 64464, 64464 + 8 + 22)).toBe(LEAF_HEX);
    // The blob: a u32 length, then msgpack str16 (0xda, length 300 big-endian, the bytes).
    expect(bytes.readUInt32LE(64144)).toBe(303);
    expect(bytes.toString('hex', 64148, 64151)).toBe('da012c');
    expect(list.toArray()).toEqual([null, [3], 1, 'two', 'x'.repeat(300)]);
    list.verify();
  });

  it('lays internal nodes out as level, count, usedSize and (child, count) entries', () => {
    const world = World.create();
    const offset = world.transaction(() => List.create(world.ctx));
    const list = List.open<string>(world.ctx, offset);
    world.transaction(() => {
      for (let k = 0; k < 10; k++) list.push(`${k}`.padEnd(200, '.'));
    });
    const bytes = world.segment.bytes;
    expect(bytes[offset + 6]).toBe(1);
    const root = bytes.readUInt32LE(offset + 8);
    expect(bytes[root]).toBe(1);
    const count = bytes.readUInt16LE(root + 2);
    expect(count).toBe(3);
    expect(bytes.readUInt16LE(root + 4)).toBe(count * 8);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const child = bytes.readUInt32LE(root + 8 + i * 8);
      const under = bytes.readUInt32LE(root + 8 + i * 8 + 4);
      expect(bytes[child]).toBe(0);
      expect(bytes.readUInt16LE(child + 2)).toBe(under);
      total += under;
    }
    // Pushes split off only the new record: the leaves before the last are full (4 records of 203 bytes).
    expect(bytes.readUInt32LE(root + 12)).toBe(4);
    expect(total).toBe(10);
    expect(bytes.readUInt32LE(offset + 12)).toBe(10);
  });
});
