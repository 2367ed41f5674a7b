/**
 * Micro-benchmark of the no-flush commit path (setRange + commit({ flush: false })),
 * the same workloads as the no-flush rows of run.ts, measured in CPU time of
 * this process (process.cpuUsage, user + system) as well as wall time, so that
 * other processes on a shared machine disturb the figure less. Reference: a
 * bare loop doing the same two copies per range (the physical floor).
 *
 * Run: `npx tsx --conditions=source packages/rvm-core/bench/commit-path.ts`
 * Env: BENCH_ROUNDS (default 7), BENCH_ONLY=<substring of a workload name>,
 *      BENCH_PROFILE=<file.cpuprofile> (V8 CPU profile of the measured rounds).
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Rvm } from '../src/index.js';
import { withTempDir } from './measure.js';
import { bareCopyLoop, commitLoop, primeLog, SEGMENT_SIZE } from './loops.js';

const OPS = 200_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ONLY = process.env.BENCH_ONLY;
const PROFILE = process.env.BENCH_PROFILE;

interface Result {
  workload: string;
  cpuRate: number;
  wallRate: number;
  nsPerRange: number;
}

/** Runs `round` ROUNDS times; returns median rates by CPU time and by wall time. */
function measure(round: () => number): { cpuRate: number; wallRate: number } {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    const ops = round();
    const w = Number(process.hrtime.bigint() - w0) / 1e9;
    const c = process.cpuUsage(c0);
    cpu.push(ops / ((c.user + c.system) / 1e6));
    wall.push(ops / w);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { cpuRate: median(cpu), wallRate: median(wall) };
}


const WORKLOADS: ReadonlyArray<{ name: string; ranges: number; run: (rvm: Rvm) => { cpuRate: number; wallRate: number } }> = [
  { name: 'bare copy loop, 128 B', ranges: 1, run: () => bareCopyLoop(measure, OPS) },
  { name: 'no-flush commit, 1 x 128 B, 64 MiB set', ranges: 1, run: (rvm) => commitLoop(measure, rvm, OPS, 1, false, true, SEGMENT_SIZE) },
  { name: 'no-flush commit, 1 x 128 B, 1 MiB set', ranges: 1, run: (rvm) => commitLoop(measure, rvm, OPS, 1, false, true, 1 << 20) },
  { name: 'no-flush no-restore, 1 x 128 B, 64 MiB', ranges: 1, run: (rvm) => commitLoop(measure, rvm, OPS, 1, false, false, SEGMENT_SIZE) },
  { name: 'no-flush commit, 10 x 128 B', ranges: 10, run: (rvm) => commitLoop(measure, rvm, OPS / 10, 10, false, true, SEGMENT_SIZE) },
  { name: 'no-flush commit, 100 x 128 B', ranges: 100, run: (rvm) => commitLoop(measure, rvm, OPS / 100, 100, false, true, SEGMENT_SIZE) },
  // Structure-like: a few small fields per transaction in a working set that fits the cache.
  { name: 'no-flush commit, 10 x 16 B, 1 MiB set', ranges: 10, run: (rvm) => commitLoop(measure, rvm, OPS / 10, 10, false, true, 1 << 20, 16) },
  // One large transaction of scattered ranges (declared in no order): the RangeSet's insertions.
  { name: 'no-flush commit, 100,000 x 8 B scattered', ranges: 100_000, run: (rvm) => commitLoop(measure, rvm, 2, 100_000, false, true, SEGMENT_SIZE, 8) },
];

withTempDir((dir) => {
  const rvm = Rvm.open(join(dir, 'store'), { logSizeMax: 256 * 1024 * 1024 });
  primeLog(rvm);
  let session: Session | null = null;
  if (PROFILE !== undefined) {
    session = new Session();
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.start');
  }
  const results: Result[] = [];
  for (const w of WORKLOADS) {
    if (ONLY !== undefined && !w.name.includes(ONLY)) continue;
    const r = w.run(rvm);
    results.push({ workload: w.name, ...r, nsPerRange: 1e9 / r.cpuRate / w.ranges });
  }
  if (session !== null) {
    const s = session;
    s.post('Profiler.stop', (error, result) => {
      if (error === null) writeFileSync(PROFILE!, JSON.stringify(result.profile));
      s.disconnect();
    });
  }
  rvm.close();
  console.log(`commit path (median of ${ROUNDS} rounds, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  for (const r of results) {
    console.log(`${r.workload.padEnd(42)} cpu ${Math.round(r.cpuRate).toLocaleString('en-US').padStart(10)}/s  wall ${Math.round(r.wallRate).toLocaleString('en-US').padStart(10)}/s  ${r.nsPerRange.toFixed(0).padStart(6)} ns/range (cpu)`);
  }
});
