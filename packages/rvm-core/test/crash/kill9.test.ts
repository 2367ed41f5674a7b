/**
 * Real processes, the real file system: a child runs the bank of
 * fixtures/bank-child.ts (transfers between accounts of two segments in
 * flush, no-flush and async commits, aborts, flushes, truncations) and reports
 * each commit that returned; the parent kills it with SIGKILL a few to tens of
 * milliseconds after it is ready, and then checks the store: it opens without
 * error, money is conserved, the transfer counter covers every commit the
 * child reported durable and never goes back. Each lane keeps one directory
 * across its kills, so recovery runs on accumulated state; on every other
 * kill the parent leaves recovery to the next child (which checks the total
 * itself and reports its counter).
 *
 * SIGKILL loses nothing the kernel has (the page cache survives the process),
 * so this checks the library's own ordering and its recovery on real files;
 * power loss is the simulated storage's job (crash-model.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Rvm } from '../../src/index.js';
import { bankTotal, COUNTER_OFFSET, MAGIC, TOTAL } from './fixtures/bank-layout.js';
import { CI_SEED, RUNS_MULTIPLIER, testTimeout } from './runs.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/bank-child.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const KILL_COUNT = 50 * RUNS_MULTIPLIER;
const LANE_COUNT = 4;
const DELAY_MS_MIN = 2;
const DELAY_MS_MAX = 60;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface ChildResult {
  readonly lines: string[];
  readonly stderr: string;
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
}

/** Starts the child, kills it `delayMs` after it is ready (or lets it fail), and collects everything it printed. */
async function runAndKill(dir: string, seed: number, truncation: 'sync' | 'background', delayMs: number): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, FIXTURE, dir, String(seed), truncation], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const drained = new Promise<void>((resolve) => child.stdout.once('end', resolve));
  const ready = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.startsWith('ready ')) resolve();
    });
    void exited.then(() => resolve());
  });
  await ready;
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  const { code, signal } = await exited;
  await drained;
  return { lines, stderr, signal, code };
}

/** The highest transfer the lines report durable, the counter the child recovered, and any error it reported. */
function readReport(lines: readonly string[]): { durable: number; ready: number | null; errors: string[] } {
  let durable = 0;
  let ready: number | null = null;
  const errors: string[] = [];
  for (const line of lines) {
    const [kind, value, mode] = line.split(' ');
    const n = Number(value);
    if (kind === 'ready') ready = n;
    else if (kind === 'error') errors.push(line);
    else if ((kind === 'commit' && mode === 'flush') || kind === 'async' || kind === 'durable') durable = Math.max(durable, n);
  }
  return { durable, ready, errors };
}

/** Opens the store in this process (recovering it) and returns the transfer counter; checks conservation. */
function recoverAndCheck(dir: string): number {
  const rvm = Rvm.open(dir);
  try {
    expect(rvm.verify()).toEqual([]);
    const names = rvm.listSegments().map((s) => s.name);
    if (!names.includes('a')) return 0;
    const a = rvm.map('a');
    if (a.bytes.readUInt32LE(0) !== MAGIC) {
      // Killed before the opening balances were committed: nothing may be there.
      expect(a.bytes.every((byte) => byte === 0)).toBe(true);
      return 0;
    }
    expect(names).toContain('b');
    const b = rvm.map('b');
    expect(bankTotal(a.bytes, b.bytes)).toBe(TOTAL);
    return a.bytes.readDoubleLE(COUNTER_OFFSET);
  } finally {
    rvm.close();
  }
}

function random(state: { x: number }): number {
  state.x ^= state.x << 13;
  state.x ^= state.x >>> 17;
  state.x ^= state.x << 5;
  return (state.x >>> 0) / 4294967296;
}

const summary = { kills: 0, recoveredByParent: 0, recoveredByChild: 0, reportedCommits: 0, durableCommits: 0 };
const started = performance.now();
afterAll(() => {
  console.log(`kill9: ${summary.kills} SIGKILLs, ${summary.reportedCommits} commits reported, ${summary.durableCommits} kills with a durable commit reported, recovered ${summary.recoveredByParent} times by the parent and ${summary.recoveredByChild} by the next child, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

async function lane(index: number, killCount: number): Promise<void> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `rvm-kill9-${index}-`)));
  dirs.push(dir);
  const truncation = index % 2 === 0 ? 'background' : 'sync';
  const rng = { x: (process.env.CI !== undefined ? CI_SEED : Date.now()) + index * 7919 || 1 };
  let durable = 0;
  let counter = 0;
  /** Whether the previous kill was left for this child to recover. */
  let childRecovers = false;
  for (let kill = 0; kill < killCount; kill++) {
    const delayMs = DELAY_MS_MIN + Math.floor(random(rng) * (DELAY_MS_MAX - DELAY_MS_MIN));
    const result = await runAndKill(dir, Math.floor(random(rng) * 2 ** 31), truncation, delayMs);
    const where = `lane ${index} (${truncation} truncation), kill ${kill} after ${delayMs} ms`;
    const report = readReport(result.lines);
    expect(report.errors, `${where}: the child reported`).toEqual([]);
    expect(result.stderr, `${where}: the child wrote to stderr`).toBe('');
    expect(result.signal, `${where}: the child exited with code ${result.code} before it was killed`).toBe('SIGKILL');
    summary.kills++;
    summary.reportedCommits += result.lines.filter((line) => line.startsWith('commit ') || line.startsWith('async ')).length;
    // The child recovered what the previous kill left: nothing durable lost, nothing undone.
    if (report.ready !== null) {
      expect(report.ready, `${where}: the child recovered fewer transfers than were durable`).toBeGreaterThanOrEqual(durable);
      expect(report.ready, `${where}: the child recovered fewer transfers than the parent saw`).toBeGreaterThanOrEqual(counter);
      counter = report.ready;
      if (childRecovers) summary.recoveredByChild++;
    }
    durable = Math.max(durable, report.durable);
    summary.durableCommits += report.durable > 0 ? 1 : 0;
    childRecovers = kill % 2 === 0 && kill !== killCount - 1;
    if (childRecovers) continue;
    summary.recoveredByParent++;
    const recovered = recoverAndCheck(dir);
    expect(recovered, `${where}: a transfer reported durable was lost`).toBeGreaterThanOrEqual(durable);
    expect(recovered, `${where}: the counter went back`).toBeGreaterThanOrEqual(counter);
    counter = recovered;
  }
}

describe('SIGKILL at random moments', () => {
  it(`loses no reported commit and conserves money over ${KILL_COUNT} kills`, async () => {
    const perLane = Math.ceil(KILL_COUNT / LANE_COUNT);
    await Promise.all(Array.from({ length: LANE_COUNT }, (_, index) => lane(index, perLane)));
    expect(summary.kills).toBeGreaterThanOrEqual(KILL_COUNT);
  }, testTimeout(120_000));
});
