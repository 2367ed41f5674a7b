/**
 * What a declared range costs RVM's commit, the figure behind the B-tree's
 * node format (src/btree/format.ts: no entry count in the header; write.ts:
 * one window over a node's header and slots): transactions that declare 0 to 8
 * ranges of 16 or 128 bytes in random 4 KiB pages and commit without flush,
 * on the real file system (`npx pnpm@10.34.9 exec tsx --conditions=source
 * packages/rvm-structs/bench/ranges.ts`). Rates per second of CPU time, best
 * of six rounds, so that a shared machine disturbs them less.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rvm } from '@rvm/core';

const dir = mkdtempSync(join(tmpdir(), 'rvm-structs-ranges-'));
const rvm = Rvm.open(dir);
const segment = rvm.map('data', 64 << 20);
const COUNT = 100_000;
const NO_FLUSH = { flush: false } as const;
const best = new Map<string, number>();
let serial = 0;
for (let round = 0; round < 6; round++) {
  for (const rangeCount of [0, 1, 2, 4, 8]) {
    for (const size of [16, 128]) {
      const cpu = process.cpuUsage();
      for (let j = 0; j < COUNT; j++) {
        const tx = rvm.begin();
        const page = 4096 + ((serial++ * 7919) % 15000) * 4096;
        for (let r = 0; r < rangeCount; r++) tx.setRange(segment, page + r * 256, size);
        tx.commit(NO_FLUSH);
      }
      rvm.flush();
      const used = process.cpuUsage(cpu);
      const name = `${rangeCount} ranges of ${size} B`;
      best.set(name, Math.max(best.get(name) ?? 0, COUNT / ((used.user + used.system) / 1e6)));
    }
  }
}
for (const [name, rate] of best) console.log(`${name.padEnd(20)} ${Math.round(rate).toLocaleString('en-US').padStart(11)} tx/s  ${(1e9 / rate).toFixed(0).padStart(6)} ns/tx (CPU time)`);
rvm.close();
rmSync(dir, { recursive: true, force: true });
