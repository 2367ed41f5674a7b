/**
 * The child of the SIGKILL test: opens the store in argv[2] on the real file
 * system, runs `opCount` operations of the workload with `seed` (each a flush
 * commit, mtimes from clockBase + index), and prints the index of each
 * operation once it has returned, so the parent knows it is durable. The
 * parent kills it at a moment of its choosing.
 *
 *   node --import tsx --conditions=source kill-child.ts <dir> <seed> <clockBase> <opCount>
 */
import { Store } from '@rvm/structs';
import { FileServer } from '../src/fs-ops.js';
import { PathFs } from '../src/path-fs.js';
import { Random } from '../src/random.js';
import { applyOp, SHAPE_SMALL, Workload } from '../src/workload.js';

const [dir, seedText, clockBaseText, opCountText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined || clockBaseText === undefined || opCountText === undefined) {
  process.stderr.write('usage: kill-child.ts <dir> <seed> <clockBase> <opCount>\n');
  process.exit(2);
}
const clockBase = Number(clockBaseText);
let now = clockBase;
const store = Store.open(dir);
const server = FileServer.open(store, { clock: () => now });
const fs = new PathFs(server, 1);
const workload = new Workload(new Random(Number(seedText)), SHAPE_SMALL);
process.stdout.write('ready\n');
const opCount = Number(opCountText);
for (let i = 0; i < opCount; i++) {
  const op = workload.next();
  now = clockBase + i + 1;
  workload.observe(op, applyOp(fs, op));
  // stdout to a pipe is synchronous on Linux: the line is in the pipe when write returns.
  process.stdout.write(`${i}\n`);
}
store.close();
process.stdout.write('done\n');
