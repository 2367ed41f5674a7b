import { expect, it } from 'vitest';
import { Rvm } from '../src/index.js';
import { tempDir } from './helpers/temp-dir.js';

it('maps, commits to, grows and recovers a segment of more than 1 GiB', () => {
  const dir = tempDir();
  const size = 2 ** 30 + 4096;
  let rvm = Rvm.open(dir);
  let seg = rvm.map('big', size);
  expect(seg.size).toBe(size);
  const tx = rvm.begin();
  tx.setRange(seg, size - 8, 8);
  seg.bytes.writeDoubleLE(Math.PI, size - 8);
  tx.setRange(seg, 2 ** 30 - 4, 8); // across the 1 GiB boundary
  seg.bytes.writeDoubleLE(Math.E, 2 ** 30 - 4);
  tx.commit();
  rvm.close(); // the next open recovers from the log
  rvm = Rvm.open(dir);
  seg = rvm.map('big');
  expect(seg.bytes.readDoubleLE(size - 8)).toBe(Math.PI);
  expect(seg.bytes.readDoubleLE(2 ** 30 - 4)).toBe(Math.E);
  rvm.grow(seg, size + 4096);
  const tx2 = rvm.begin();
  tx2.setRange(seg, size + 100, 1);
  seg.bytes[size + 100] = 42;
  tx2.commit();
  rvm.truncate();
  rvm.close();
  rvm = Rvm.open(dir);
  seg = rvm.map('big');
  expect(seg.size).toBe(size + 4096);
  expect(seg.bytes[size + 100]).toBe(42);
  expect(seg.bytes.readDoubleLE(size - 8)).toBe(Math.PI);
  rvm.close();
});
