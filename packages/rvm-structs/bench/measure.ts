/**
 * Timing helpers for the benchmarks: run a round several times and keep the
 * median rate, so that one noisy round on a shared machine does not decide
 * the figure; print rows next to their reference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const QUICK = process.env.BENCH_QUICK === '1';
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 5));

export interface Rate {
  /** Operations per second of wall-clock time (median of the rounds). */
  readonly wall: number;
  /**
   * Operations per second of this process's CPU time (median of the rounds):
   * what one core does when other processes do not take it away, the better
   * figure on a shared machine. Includes system time (log writes, fsync).
   */
  readonly cpu: number;
}

/** Runs `round` ROUNDS times; each returns the operation count it did. */
export function measure(round: () => number): Rate {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const ops = round();
    const used = process.cpuUsage(cpu);
    walls.push(ops / (Number(process.hrtime.bigint() - start) / 1e9));
    cpus.push(ops / ((used.user + used.system) / 1e6));
  }
  return { wall: median(walls), cpu: median(cpus) };
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[values.length >> 1]!;
}

export function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-structs-bench-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function withTempDirAsync<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rvm-structs-bench-'));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Row {
  workload: string;
  rate: Rate;
  unit: string;
  reference?: string;
  referenceRate?: Rate;
  target?: number;
}

export function printRows(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  const lines = rows.map((r) => [
    r.workload,
    `${fmt(r.rate.wall)} ${r.unit}`,
    fmt(r.rate.cpu),
    r.reference ?? '',
    r.referenceRate === undefined ? '' : `${fmt(r.referenceRate.wall)} / ${fmt(r.referenceRate.cpu)}`,
    r.referenceRate === undefined ? '' : `x${(r.rate.cpu / r.referenceRate.cpu).toFixed(2)}`,
    r.target === undefined ? '' : `>= ${fmt(r.target)}`,
    r.target === undefined ? '' : `${r.rate.wall >= r.target ? 'met' : 'missed'} / ${r.rate.cpu >= r.target ? 'met' : 'missed'}`,
  ]);
  const header = ['workload', 'wall rate', 'CPU-time rate', 'reference', 'reference wall / CPU', 'ratio (CPU)', 'target', 'wall / CPU'];
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

/** The lmdb calls the benchmarks use as their peer. */
export interface Lmdb {
  get(key: string): unknown;
  put(key: string, value: unknown): Promise<boolean>;
  transactionSync<T>(fn: () => T): T;
  putSync(key: string, value: unknown): boolean;
  getKeys(): Iterable<string>;
  getRange(): Iterable<{ key: string; value: unknown }>;
  close(): Promise<void>;
}

/** lmdb from the repository's bench/ package, or null when it is not installed there. */
export async function openLmdb(dir: string): Promise<Lmdb | null> {
  try {
    const require = createRequire(new URL('../../../bench/package.json', import.meta.url));
    const lmdb = (await import(require.resolve('lmdb'))) as { open(options: object): Lmdb };
    return lmdb.open({ path: join(dir, 'lmdb'), encoding: 'msgpack', noSync: true });
  } catch {
    return null;
  }
}

/**
 * The physical limit of a lookup in a structure larger than the caches:
 * dependent reads of one random 64-byte line each (every address comes from
 * the previous read, as in a tree descent), over `size` bytes of memory, the
 * size of the structure's blocks. Returns reads per second. Memory latency on
 * these virtual machines grows with the set (TLB misses): about 180 ns per
 * read over 64 MiB, 260 ns over 512 MiB (scratch measurement, 2026-11-22).
 */
export function dependentReadRate(size: number, count: number): Rate {
  const lines = Math.max(2, Math.floor(size / 64));
  const words = new Int32Array(lines * 16);
  const order = new Int32Array(lines);
  for (let i = 0; i < lines; i++) order[i] = i;
  const random = new Random(7);
  for (let i = lines - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  // One cycle through every line, in random order.
  for (let i = 0; i < lines; i++) words[order[i]! * 16] = order[(i + 1) % lines]! * 16;
  let at = 0;
  const rate = measure(() => {
    for (let i = 0; i < count; i++) at = words[at]!;
    return count;
  });
  if (at < 0) console.log(at);
  return rate;
}
