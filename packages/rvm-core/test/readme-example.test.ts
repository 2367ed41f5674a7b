// The example of packages/rvm-core/README.md, run as written (with a temp directory).
import { expect, it } from 'vitest';
import { Rvm } from '../src/index.js';
import { tempDir } from './helpers/temp-dir.js';

it('README example', () => {
  const dir = tempDir();
  const rvm = Rvm.open(dir); // creates it, or recovers it after a crash
  const seg = rvm.map('accounts', 1 << 20); // 1 MiB, zero-filled the first time

  const tx = rvm.begin();
  tx.setRange(seg, 64, 8); // declare first: old bytes are saved for abort
  seg.bytes.writeDoubleLE(100.5, 64); // then change the memory in place
  tx.commit(); // durable when it returns

  const fast = rvm.begin({ restore: false }); // no undo copy: cheaper, cannot abort
  fast.setRange(seg, 72, 8);
  seg.bytes.writeDoubleLE(7, 72);
  fast.commit({ flush: false }); // buffered in memory
  rvm.flush(); // now durable

  expect(rvm.query()).toMatchObject({ pendingCount: 0 });
  rvm.close();

  const again = Rvm.open(dir);
  const s = again.map('accounts');
  expect(s.bytes.readDoubleLE(64)).toBe(100.5);
  expect(s.bytes.readDoubleLE(72)).toBe(7);
  again.close();
});
