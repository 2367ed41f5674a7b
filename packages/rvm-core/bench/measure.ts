/**
 * Small timing helpers for the package benchmarks: run a body for a fixed
 * operation count several times and keep the median rate, so that one noisy
 * round on a shared machine does not decide the figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QUICK = process.env.BENCH_QUICK === '1';
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 5));

/** The rate (ops/s) of one run of `round`, which returns its operation count. */
export function rateOfOneRound(round: () => number): number {
  const start = process.hrtime.bigint();
  const ops = round();
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Runs `round` ROUNDS times; each returns the operation count it did; returns the median ops/s. */
export function medianRate(round: () => number): number {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rates.push(rateOfOneRound(round));
  return median(rates);
}

/** The median of `xs` (sorts it). */
export function median(xs: number[]): number {
  return percentile(xs, 0.5);
}

/** The arithmetic mean of `xs`; NaN when empty. */
export function mean(xs: number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** The value at fraction `p` of `xs` sorted ascending (sorts it); NaN when empty. */
export function percentile(xs: number[], p: number): number {
  xs.sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? Number.NaN;
}

export async function withTempDirAsync<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-bench-'));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-bench-'));
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
  /** The ratio to print (a median of paired ratios); value / referenceValue when absent. */
  ratio?: number;
  target?: string;
  met?: boolean;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  const lines = rows.map((r) => {
    const ratio = r.ratio !== undefined ? r.ratio.toFixed(2) : r.referenceValue !== undefined ? (r.value / r.referenceValue).toFixed(2) : '';
    return [r.workload, `${fmt(r.value)} ${r.unit}`, r.reference ?? '', r.referenceValue !== undefined ? fmt(r.referenceValue) : '', ratio ? `x${ratio}` : '', r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'MISSED'];
  });
  const header = ['workload', 'value', 'reference', 'reference value', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]) => console.log(cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  show(header);
  show(widths.map((w) => '-'.repeat(w)));
  for (const l of lines) show(l);
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(2);
}
