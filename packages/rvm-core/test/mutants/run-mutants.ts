/**
 * `pnpm test:mutants`: proves the crash suite catches real bugs. For each
 * mutant of mutants.ts, copies packages/rvm-core to .mutants/<name>/ (inside
 * the repository, so that node_modules resolve; gitignored), applies its
 * edits, runs the crash suite there with the CI seed (CI=1) and expects it to
 * fail. The unmutated copy runs first and must pass. The real sources are
 * never touched.
 *
 * The suite is every file under test/crash except kill9.test.ts (SIGKILL
 * keeps the page cache, so no mutant of this list can fail it, and it takes
 * long). The files run one after another, fastest first, each stopping at
 * its first failing test (--bail 1), and the run stops at the first file that
 * fails: the time reported is the time the suite took to catch the mutant.
 *
 * Usage: tsx run-mutants.ts [--from <git revision>] [--keep] [name ...]
 *   --from  copy the package as of a revision instead of the working tree
 *   --keep  leave the copies in .mutants/ for inspection
 * Exits 1 when the baseline fails, a mutant survives, or an anchor is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTANTS, type Mutant } from './mutants.js';

const REPO = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
const PACKAGE = 'packages/rvm-core';
const WORK = join(REPO, '.mutants');
const VITEST = join(REPO, 'node_modules', '.bin', 'vitest');
/** A mutant whose suite runs longer than this is reported as caught by timeout. */
const RUN_TIMEOUT_MS = 15 * 60 * 1000;

/** The crash suite without the SIGKILL test, in the order it runs: fast files and frequent catchers first. */
const SUITE = [
  'test/crash/log-corruption.test.ts',
  'test/crash/crash-points.test.ts',
  'test/crash/crash-model.test.ts',
  'test/crash/faults.test.ts',
  'test/crash/crash-exhaustive.test.ts',
];

const CONFIG = `import { defineConfig } from 'vitest/config';

// Written by run-mutants.ts for this copy of the package.
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
`;

interface Options {
  readonly from: string | null;
  readonly keep: boolean;
  readonly names: readonly string[];
}

function parseArgs(args: readonly string[]): Options {
  let from: string | null = null;
  let keep = false;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') continue; // pnpm run passes it through
    if (arg === '--from') from = args[++i] ?? null;
    else if (arg === '--keep') keep = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else names.push(arg);
  }
  for (const name of names) if (!MUTANTS.some((m) => m.name === name)) throw new Error(`no mutant named ${name}; known: ${MUTANTS.map((m) => m.name).join(', ')}`);
  return { from, keep, names };
}

/** A fresh copy of the package in .mutants/<name>. */
function copyPackage(name: string, from: string | null): string {
  const dir = join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (from === null) {
    cpSync(join(REPO, PACKAGE), dir, { recursive: true, filter: (source) => !/\/(node_modules|dist)(\/|$)/.test(source.slice(REPO.length)) });
  } else {
    const archive = spawnSync('git', ['archive', from, PACKAGE], { cwd: REPO, maxBuffer: 1 << 30 });
    if (archive.status !== 0) throw new Error(`git archive ${from} failed: ${archive.stderr.toString()}`);
    const untar = spawnSync('tar', ['-x', '--strip-components=2', '-C', dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr.toString()}`);
  }
  writeFileSync(join(dir, 'vitest.config.ts'), CONFIG);
  return dir;
}

/** Applies the mutant's edits; returns the anchors that did not match exactly once. */
function applyEdits(dir: string, mutant: Mutant): string[] {
  const problems: string[] = [];
  for (const edit of mutant.edits) {
    const path = join(dir, edit.file);
    if (!existsSync(path)) {
      problems.push(`${edit.file} does not exist`);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    const count = text.split(edit.find).length - 1;
    if (count !== 1) {
      problems.push(`${edit.file}: anchor ${JSON.stringify(edit.find)} occurs ${count} times, not once`);
      continue;
    }
    writeFileSync(path, text.replace(edit.find, () => edit.replace));
  }
  return problems;
}

interface SuiteRun {
  readonly passed: boolean;
  readonly timedOut: boolean;
  readonly seconds: number;
  /** The first failing test, as vitest names it. */
  readonly firstFailure: string | null;
  readonly output: string;
}

/** Runs the suite's files in order until one fails. */
async function runSuite(dir: string): Promise<SuiteRun> {
  const started = performance.now();
  let output = '';
  for (const file of SUITE) {
    if (!existsSync(join(dir, file))) throw new Error(`${file} is missing from the copy`);
    const run = await runFile(dir, file);
    output += run.output;
    if (!run.passed) return { ...run, seconds: (performance.now() - started) / 1000, output };
  }
  return { passed: true, timedOut: false, seconds: (performance.now() - started) / 1000, firstFailure: null, output };
}

function runFile(dir: string, file: string): Promise<SuiteRun> {
  const started = performance.now();
  return new Promise((resolveRun) => {
    const child = spawn(VITEST, ['run', '--config', join(dir, 'vitest.config.ts'), '--bail', '1', file], {
      cwd: dir,
      // The CI seed; no time spent shrinking: a failing test is the verdict.
      env: { ...process.env, CI: '1', RVM_CRASH_SHRINK_MS: '0', FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      const failure = /FAIL\s+(\S+\.test\.ts\s*>.*)/.exec(output);
      resolveRun({ passed: code === 0 && !timedOut, timedOut, seconds: (performance.now() - started) / 1000, firstFailure: failure?.[1]?.trim() ?? null, output });
    });
  });
}

/** A failure that is not a failing test (a syntax error in the mutant, a missing module) proves nothing. */
function failedForTheRightReason(run: SuiteRun): boolean {
  return run.timedOut || run.firstFailure !== null;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const selected = options.names.length === 0 ? MUTANTS : MUTANTS.filter((m) => options.names.includes(m.name));
  console.log(`Crash suite against ${selected.length} mutant(s) of ${PACKAGE} (${options.from === null ? 'working tree' : options.from}), seed of CI.`);

  const baselineDir = copyPackage('baseline', options.from);
  const baseline = await runSuite(baselineDir);
  console.log(`baseline: ${baseline.passed ? 'passes' : 'FAILS'} in ${baseline.seconds.toFixed(1)} s`);
  if (!options.keep) rmSync(baselineDir, { recursive: true, force: true });
  if (!baseline.passed) {
    console.log(baseline.output.slice(-4000));
    console.log('The unmutated suite must pass first.');
    return 1;
  }

  const rows: string[] = [];
  let bad = 0;
  for (const mutant of selected) {
    const dir = copyPackage(mutant.name, options.from);
    const problems = applyEdits(dir, mutant);
    if (problems.length > 0) {
      bad++;
      rows.push(`ROTTED    ${mutant.name}: ${problems.join('; ')}`);
      console.log(rows[rows.length - 1]);
      continue;
    }
    const run = await runSuite(dir);
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    let row: string;
    if (run.passed) {
      bad++;
      row = `SURVIVED  ${mutant.name} (${run.seconds.toFixed(1)} s): ${mutant.title}`;
    } else if (!failedForTheRightReason(run)) {
      bad++;
      row = `BROKEN    ${mutant.name} (${run.seconds.toFixed(1)} s): the suite failed without a failing test\n${run.output.slice(-2000)}`;
    } else {
      row = `caught    ${mutant.name} in ${run.seconds.toFixed(1)} s by ${run.timedOut ? 'timeout' : run.firstFailure}`;
    }
    rows.push(row);
    console.log(row);
  }
  console.log(`\n${selected.length - bad} of ${selected.length} mutants caught.`);
  return bad === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
