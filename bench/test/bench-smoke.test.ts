/**
 * Every benchmark of the repository, run as a smoke test (BENCH_QUICK=1): each must finish,
 * exit 0 and print its tables with finite figures, and the cross-store bench must write a
 * result whose every row has a positive rate. Nothing here looks at speed: timing thresholds
 * do not belong in tests on shared machines, and the benches print their own verdicts. What
 * fails here is a bench that throws (its subjects check what they stored, e.g. after a
 * reopen), hangs, or prints NaN: the breakage that otherwise waits for the next `pnpm bench`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH_TIMEOUT_MS = 240_000;

interface Run {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `script` (relative to `dir`, under the repository root) with tsx and BENCH_QUICK=1; rejects on a non-zero exit. */
function runBench(dir: string, script: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', script],
      { cwd: join(ROOT, dir), env: { ...process.env, ...env, BENCH_QUICK: '1' }, timeout: BENCH_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${dir}/${script} failed: ${error.message}\n${stderr.slice(-4000)}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** The output names every section and holds no NaN or Infinity. */
function expectTables(output: string, sections: readonly string[]): void {
  for (const section of sections) expect(output).toContain(section);
  expect(output).not.toMatch(/\bNaN\b|Infinity/);
}

describe('benchmarks (quick smoke runs)', () => {
  it('rvm-core: group commit, background truncation, commits', { timeout: BENCH_TIMEOUT_MS }, async () => {
    const { stdout } = await runBench('packages/rvm-core', 'bench/run.ts');
    expectTables(stdout, ['group commit, 64 concurrent committers', 'background truncation', 'flush commit, 1 x 128 B', 'no-flush commit, 1 x 128 B, 64 MiB set', 'recovery (']);
  });

  it('rvm-alloc', { timeout: BENCH_TIMEOUT_MS }, async () => {
    const { stdout } = await runBench('packages/rvm-alloc', 'bench/run.ts');
    expectTables(stdout, ['% of capacity']);
  });

  it('rvm-structs', { timeout: BENCH_TIMEOUT_MS }, async () => {
    const { stdout } = await runBench('packages/rvm-structs', 'bench/run.ts');
    expectTables(stdout, ['puts in transactions of 1000', 'range scan of 100']);
  });

  it('cross-store: every row of the result has a positive rate', { timeout: BENCH_TIMEOUT_MS }, async () => {
    const results = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    try {
      await runBench('bench', 'src/run.ts', { BENCH_RESULTS_DIR: results });
      const result = JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8')) as { rows: Array<{ workload: string; subject: string; rate: number }> };
      const workloads = new Set(result.rows.map((row) => row.workload));
      for (const workload of ['physical.group64-fdatasync', 'commit.flush128', 'commit.group64', 'rvmbench.durable.uniform', 'kv.get', 'kv.put.relaxed', 'kv.scan100']) {
        expect(workloads).toContain(workload);
      }
      for (const row of result.rows) {
        expect(Number.isFinite(row.rate), `${row.workload}/${row.subject}`).toBe(true);
        expect(row.rate, `${row.workload}/${row.subject}`).toBeGreaterThan(0);
      }
    } finally {
      rmSync(results, { recursive: true, force: true });
    }
  });
});
