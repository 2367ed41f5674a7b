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

/** Runs `round` ROUNDS times; each returns the operation count it did; returns the median ops/s. */
export function medianRate(round: () => number): number {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const ops = round();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(ops / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1]!;
}

/** Runs `step` until `seconds` have passed; returns steps/s. */
export function rateFor(seconds: number, step: () => void): number {
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let k = 0; k < 16; k++) step();
    count += 16;
  }
  return count / ((performance.now() - start) / 1000);
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
  reference?: string;
  referenceValue?: number;
  target?: string;
  met?: boolean;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  const lines = rows.map((r) => {
    const ratio = r.referenceValue !== undefined ? `x${(r.value / r.referenceValue).toFixed(3)}` : '';
    return [r.workload, `${fmt(r.value)} ${r.unit}`, r.reference ?? '', r.referenceValue !== undefined ? fmt(r.referenceValue) : '', ratio, r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'MISSED'];
  });
  const header = ['workload', 'value', 'reference', 'reference value', 'ratio', 'target', ''];
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
