/**
 * copyBytes (the commit path's copy, log/commit-batch.ts) against Buffer#copy,
 * by size and alignment, in CPU time per copy; in-cache buffers. Chooses
 * COPY_LOOP_SIZE_MAX: the largest size at which the loop is still no slower.
 *
 * Run: `npx tsx --conditions=source packages/rvm-core/bench/copy-bytes.ts`
 */
import { copyBytes, WordView } from '../src/copy-bytes.js';

const COPIES = 200_000;
const from = Buffer.alloc(64 * 1024, 7);
const to = Buffer.alloc(64 * 1024);
const fromView = new WordView(from);
const toView = new WordView(to);

function time(run: () => void): number {
  run();
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / COPIES;
}

const SIZES = [24, 48, 64, 96, 128, 192, 256, 512, 1024];

function table(print: boolean): void {
if (print) console.log('size  alignment (from, to)  copyBytes ns  Buffer#copy ns');
for (const size of SIZES) {
  for (const [fromShift, toShift] of [[0, 0], [1, 0], [3, 2]] as const) {
    const loop = time(() => {
      for (let i = 0; i < COPIES; i++) {
        const at = (i & 15) * 4096;
        copyBytes(fromView, at + fromShift, toView, at + toShift, size);
      }
    });
    const native = time(() => {
      for (let i = 0; i < COPIES; i++) {
        const at = (i & 15) * 4096;
        from.copy(to, at + toShift, at + fromShift, at + fromShift + size);
      }
    });
    if (print) console.log(`${String(size).padStart(4)}  ${fromShift}, ${toShift}${' '.repeat(18)}${loop.toFixed(0).padStart(12)}  ${native.toFixed(0).padStart(14)}`);
  }
}
}

// The first pass warms every path up, so that the printed one measures compiled code.
table(false);
table(true);
