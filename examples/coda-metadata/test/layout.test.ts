/** The record layouts: golden bytes (version 1 must keep reading what it wrote) and refusal of invalid bytes. */
import { isCodecError } from '@rvm/structs';
import { describe, expect, it } from 'vitest';
import { direntCodec } from '../src/dirent-layout.js';
import type { Vnode } from '../src/vnode-layout.js';
import { vnodeCodec } from '../src/vnode-layout.js';
import { volumeCodec } from '../src/volume-layout.js';

const file: Vnode = { type: 'file', mode: 0o644, owner: 1000, unique: 7, linkCount: 2, length: 2 ** 40 + 5, mtime: 1_700_000_000_123, dataVersion: 3, target: '' };
const link: Vnode = { type: 'symlink', mode: 0o777, owner: 0, unique: 9, linkCount: 1, length: 4, mtime: 1, dataVersion: 1, target: '/a/b' };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isCodecError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('vnode layout, version 1', () => {
  it('writes the golden bytes and reads them back', () => {
    const golden =
      '01' + '01' + 'a401' + 'e8030000' + '07000000' + '02000000' + '0500000000010000' + '7b68e5cf8b010000' + '0300000000000000';
    expect(hex(vnodeCodec.encode(file))).toBe(golden);
    expect(vnodeCodec.decode(Buffer.from(golden, 'hex'))).toEqual(file);
    const linkBytes = Buffer.from(vnodeCodec.encode(link));
    expect(linkBytes.length).toBe(44);
    expect(linkBytes.subarray(40).toString('utf8')).toBe('/a/b');
    expect(vnodeCodec.decode(linkBytes)).toEqual(link);
  });

  it('refuses invalid bytes with VALUE_CORRUPT and invalid records with INVALID_VALUE', () => {
    const good = Buffer.from(vnodeCodec.encode(file));
    const corrupt = (at: number, value: number): Buffer => {
      const b = Buffer.from(good);
      b[at] = value;
      return b;
    };
    expect(codeOf(() => vnodeCodec.decode(good.subarray(0, 39)))).toBe('VALUE_CORRUPT');
    expect(codeOf(() => vnodeCodec.decode(corrupt(0, 2)))).toBe('VALUE_CORRUPT'); // version
    expect(codeOf(() => vnodeCodec.decode(corrupt(1, 4)))).toBe('VALUE_CORRUPT'); // type
    expect(codeOf(() => vnodeCodec.decode(corrupt(3, 0x10)))).toBe('VALUE_CORRUPT'); // mode past 0o7777
    expect(codeOf(() => vnodeCodec.decode(corrupt(8, 0)))).toBe('VALUE_CORRUPT'); // unique 0
    expect(codeOf(() => vnodeCodec.decode(corrupt(23, 0x80)))).toBe('VALUE_CORRUPT'); // length past 2^53
    expect(codeOf(() => vnodeCodec.decode(Buffer.concat([good, Buffer.from([0])])))).toBe('VALUE_CORRUPT'); // a file with a tail
    expect(codeOf(() => vnodeCodec.encode({ ...file, mode: 0o10000 }))).toBe('INVALID_VALUE');
    expect(codeOf(() => vnodeCodec.encode({ ...file, unique: 0 }))).toBe('INVALID_VALUE');
    expect(codeOf(() => vnodeCodec.encode({ ...link, length: 3 }))).toBe('INVALID_VALUE');
    expect(codeOf(() => vnodeCodec.encode({ ...file, target: 'x' }))).toBe('INVALID_VALUE');
  });
});

describe('directory entry and volume layouts, version 1', () => {
  it('writes the golden bytes, reads them back, refuses invalid ones', () => {
    expect(hex(direntCodec.encode({ vnode: 5, unique: 0x1234 }))).toBe('0500000034120000');
    expect(direntCodec.decode(Buffer.from('0500000034120000', 'hex'))).toEqual({ vnode: 5, unique: 0x1234 });
    expect(codeOf(() => direntCodec.decode(Buffer.from('0000000034120000', 'hex')))).toBe('VALUE_CORRUPT');
    expect(codeOf(() => direntCodec.decode(Buffer.from('05000000', 'hex')))).toBe('VALUE_CORRUPT');

    const golden = '01000000' + '0a000000' + '0b000000' + '00000000' + Buffer.from('root').toString('hex');
    expect(hex(volumeCodec.encode({ name: 'root', nextVnode: 10, nextUnique: 11 }))).toBe(golden);
    expect(volumeCodec.decode(Buffer.from(golden, 'hex'))).toEqual({ name: 'root', nextVnode: 10, nextUnique: 11 });
    expect(codeOf(() => volumeCodec.decode(Buffer.from(golden.slice(0, 32), 'hex')))).toBe('VALUE_CORRUPT'); // no name
    expect(codeOf(() => volumeCodec.decode(Buffer.from('02' + golden.slice(2), 'hex')))).toBe('VALUE_CORRUPT');
    expect(codeOf(() => volumeCodec.encode({ name: '', nextVnode: 2, nextUnique: 2 }))).toBe('INVALID_VALUE');
  });
});
