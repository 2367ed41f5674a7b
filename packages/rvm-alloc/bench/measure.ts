/**
 * Timing helpers for the allocator benchmarks: run a round several times and
 * keep the median rate, so that one noisy round on a shared machine does not
 * decide the figure; print rows with their reference and ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QUICK = process.env.BENCH_QUICK === '1';
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 5));

/** Median rates of a measurement: per second of wall-clock time, and per second of this process's CPU time. */
export interface Rate {
  wall: number;
  cpu: number;
}

/**
 * Runs `round` ROUNDS times; each returns the operation count it did; returns
 * the median ops/s by wall clock and by CPU time. On a shared machine the CPU
 * figure is the steadier one: it leaves out the time other processes held the
 * core. `after` runs after each round, untimed.
 */
export function medianRate(round: () => number, after?: () => void): Rate {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const ops = round();
    const cpu = process.cpuUsage(cpuStart);
    walls.push(ops / (Number(process.hrtime.bigint() - start) / 1e9));
    cpus.push(ops / ((cpu.user + cpu.system) / 1e6));
    after?.();
  }
  walls.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  return { wall: walls[walls.length >> 1]!, cpu: cpus[cpus.length >> 1]! };
}

/** Runs `step` until `seconds` have passed; returns steps/s by wall clock and by CPU time. */
export function rateFor(seconds: number, step: () => void): Rate {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let count = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let k = 0; k < 16; k++) step();
    count += 16;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { wall: count / ((performance.now() - start) / 1000), cpu: count / ((cpu.user + cpu.system) / 1e6) };
}

export function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-alloc-bench-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Row {
  workload: string;
  value: number;
  unit: string;
  /** The rate per second of CPU time, when the value is a rate. */
  cpuValue?: number;
  reference?: string;
  referenceValue?: number;
  /** value / referenceValue unless given (benchmarks give the ratio of CPU-time rates). */
  ratio?: number;
  target?: string;
  met?: boolean;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  const lines = rows.map((r) => {
    const ratioValue = r.ratio ?? (r.referenceValue !== undefined ? r.value / r.referenceValue : undefined);
    const ratio = ratioValue !== undefined ? `x${ratioValue.toFixed(3)}` : '';
    return [r.workload, `${fmt(r.value)} ${r.unit}`, r.cpuValue === undefined ? '' : fmt(r.cpuValue), r.reference ?? '', r.referenceValue !== undefined ? fmt(r.referenceValue) : '', ratio, r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'MISSED'];
  });
  const header = ['workload', 'value', 'per CPU-second', 'reference', 'reference value', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]): void => console.log(cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  show(header);
  show(widths.map((w) => '-'.repeat(w)));
  for (const l of lines) show(l);
}

export function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

/** xorshift32: a cheap deterministic stream for workloads. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return Math.floor((this.state / 4294967296) * n);
  }

  /** A size from `min` to `max`, log-uniformly distributed. */
  logUniform(min: number, max: number): number {
    return Math.floor(Math.exp(Math.log(min) + (this.below(1 << 30) / (1 << 30)) * (Math.log(max + 1) - Math.log(min))));
  }
}
