/**
 * The end-to-end demo of the Coda-like metadata store, run by `npm run demo`
 * after the core demo: a scripted shell session, then a shell running a long
 * `load` killed with SIGKILL, then a reopen whose fsck must be clean.
 *
 *   npx pnpm@10.34.9 exec tsx --conditions=source examples/coda-metadata/src/demo.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHELL = fileURLToPath(new URL('./shell.ts', import.meta.url));
const NODE_ARGS = ['--import', 'tsx', '--conditions=source', SHELL];

const SESSION = [
  'mkdir /users',
  'mkdir /users/satya',
  'touch /users/satya/rvm.tex',
  'ln /users/satya/rvm.tex /users/satya/paper.tex',
  'ln -s /users/satya /satya',
  'mv /users/satya/rvm.tex /users/lrvm.tex',
  'mv /users /users/satya/users',
  'ls -l /users/satya',
  'stat /users/lrvm.tex',
  'fsck',
];

/** Runs the shell with `script` piped in; its output goes straight to ours (stderr merged in order). */
function shell(dir: string, script: string[]): void {
  spawnSync(process.execPath, [...NODE_ARGS, dir, '--echo'], { input: `${script.join('\n')}\n`, stdio: ['pipe', 'inherit', 'inherit'] });
}

/** Runs the shell with `script` and returns what it printed. */
function shellOutput(dir: string, script: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [...NODE_ARGS, dir, '--echo'], { input: `${script.join('\n')}\n`, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

async function killDuringLoad(dir: string, lifeMs: number): Promise<void> {
  const child = spawn(process.execPath, [...NODE_ARGS, dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.end('load 1000000 7\n');
  await new Promise((resolve) => setTimeout(resolve, lifeMs));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('exit', resolve));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'coda-demo-'));
  try {
    console.log(`\n== Coda-like metadata store in ${dir}: a session (each command is one flush-committed transaction)`);
    shell(dir, SESSION);
    console.log(`\n== a shell runs 'load 1000000' (random creates, links, renames, removes) and is killed with SIGKILL after 2 s`);
    await killDuringLoad(dir, 2000);
    console.log('== reopened after the kill:');
    const after = shellOutput(dir, ['vol', 'ls /users/satya', 'fsck']);
    process.stdout.write(after.output);
    if (!/clean/.test(after.output) || after.status !== 0) {
      console.log('VIOLATION: fsck is not clean after the kill');
      process.exitCode = 1;
      return;
    }
    console.log('the tree survived SIGKILL in the middle of the load, and fsck finds every invariant intact.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
