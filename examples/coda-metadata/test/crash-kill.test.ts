/**
 * Crash test with real processes: a child runs random operations on a store
 * directory on disk, each a flush commit, printing the index of each one
 * that returned; the parent kills it with SIGKILL at a random moment, opens
 * the store (recovery), and checks: fsck is clean, the store verifies, and
 * the tree equals the model after every printed operation and at most the
 * one in flight. The next child continues on the recovered store, so later
 * rounds also recover stores that were recovered before.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '@rvm/structs';
import { describe, expect, it } from 'vitest';
import { FileServer } from '../src/fs-ops.js';
import { Random } from '../src/random.js';
import { snapshot, snapshotDifference } from '../src/snapshot.js';
import { applyOp, SHAPE_SMALL, Workload } from '../src/workload.js';
import { ModelFs } from './model.js';
import { expectClean } from './support.js';

/** Each child costs about half a second of CPU to start on the CI machine. */
const KILL_COUNT = Number(process.env.CODA_KILLS ?? 5);
const OP_COUNT = 400;
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'kill-child.ts');
const SEED = process.env.FC_SEED !== undefined && process.env.FC_SEED !== '' ? Number(process.env.FC_SEED) : process.env.CI ? 0xc0da : Date.now() % 0x7fffffff;

interface ChildRun {
  /** Indexes the child printed (operations that returned). */
  lastPrinted: number;
  finished: boolean;
  stderr: string;
}

/** Starts the child, kills it with SIGKILL once it printed `killAfter` operations (plus a short random delay). */
function runChild(dir: string, seed: number, clockBase: number, killAfter: number, delayMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CHILD, dir, String(seed), String(clockBase), String(OP_COUNT)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { lastPrinted: -1, finished: false, stderr: '' };
    let buffered = '';
    let killing = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'done') run.finished = true;
        else if (/^\d+$/.test(line)) run.lastPrinted = Math.max(run.lastPrinted, Number(line));
      }
      if (!killing && run.lastPrinted + 1 >= killAfter) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (run.stderr += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(run));
  });
}

describe('crash by SIGKILL', () => {
  it(`recovers after ${KILL_COUNT} kills: fsck clean, the tree equals the model after the printed operations (seed ${SEED})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coda-kill-'));
    const random = new Random(SEED);
    let model = new ModelFs(0);
    try {
      // Create the store (and its first volume, at time 0) before any child runs.
      const setup = Store.open(join(dir, 'store'));
      FileServer.open(setup, { clock: () => 0 });
      setup.close();
      for (let round = 0; round < KILL_COUNT; round++) {
        const seed = random.below(0x7fffffff);
        const clockBase = (round + 1) * 100_000;
        const killAfter = 1 + random.below(120);
        const run = await runChild(join(dir, 'store'), seed, clockBase, killAfter, random.below(15));
        expect(run.stderr).toBe('');

        const store = Store.open(join(dir, 'store'));
        const server = FileServer.open(store);
        store.verify();
        expectClean(server);
        const actual = snapshot(server.tables);
        store.close();

        // Replay the child's operations on the model: every printed one, then perhaps the one in flight.
        const workload = new Workload(new Random(seed), SHAPE_SMALL);
        const step = (i: number): void => {
          const op = workload.next();
          model.now = clockBase + i + 1;
          workload.observe(op, applyOp(model, op));
        };
        for (let i = 0; i <= run.lastPrinted; i++) step(i);
        let difference = snapshotDifference(actual, model.snapshot());
        if (difference !== null && !run.finished && run.lastPrinted + 1 < OP_COUNT) {
          const before = model.clone();
          step(run.lastPrinted + 1);
          const inFlight = snapshotDifference(actual, model.snapshot());
          if (inFlight === null) difference = null;
          else model = before;
        }
        if (difference !== null) throw new Error(`round ${round} (seed ${seed}, ${run.lastPrinted + 1} operations printed): the recovered tree differs from the model: ${difference}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
