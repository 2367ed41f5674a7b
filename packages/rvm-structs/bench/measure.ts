/**
 * Timing helpers for the benchmarks: run a round several times and keep the
 * median rate, so that one noisy round on a shared machine does not decide
 * the figure; print rows next to their reference.
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

export function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-structs-bench-'));
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
  target?: number;
}

export function printRows(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  const lines = rows.map((r) => [
    r.workload,
    `${fmt(r.value)} ${r.unit}`,
    r.reference ?? '',
    r.referenceValue === undefined ? '' : fmt(r.referenceValue),
    r.referenceValue === undefined ? '' : `x${(r.value / r.referenceValue).toFixed(2)}`,
    r.target === undefined ? '' : `>= ${fmt(r.target)}`,
    r.target === undefined ? '' : r.value >= r.target ? 'met' : 'MISSED',
  ]);
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

/** A small deterministic generator (mulberry32). */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}
