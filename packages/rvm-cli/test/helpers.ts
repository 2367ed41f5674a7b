/** Running the real `rvm` binary, and stores made for it with @rvm/core. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rvm } from '@rvm/core';
import { afterEach } from 'vitest';

export const BIN = fileURLToPath(new URL('../bin/rvm.js', import.meta.url));
const HOLDER_SCRIPT = fileURLToPath(new URL('./fixtures/hold-store.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(`${os.tmpdir()}/rvm-cli-`));
  dirs.push(dir);
  return dir;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/rvm.js ...args` and waits for it. */
export function rvm(...args: string[]): RunResult {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs several invocations at once (they must not depend on each other); results in order. */
export function rvmAll(...invocations: ReadonlyArray<readonly string[]>): Promise<RunResult[]> {
  return Promise.all(invocations.map((args) => new Promise<RunResult>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  })));
}

/** A write of `length` bytes of `fill` at `offset` of `segment`, committed with flush. */
export type Write = readonly [segment: string, offset: number, length: number, fill?: string];

/**
 * Creates a store in `dir` with segments a (8192 bytes) and b (4096) and one
 * flush commit per write, and closes it: the records stay in the log.
 */
export function makeStore(dir: string, writes: readonly Write[]): void {
  const store = Rvm.open(dir);
  const segments = new Map([['a', store.map('a', 8192)], ['b', store.map('b', 4096)]]);
  for (const [name, offset, length, fill] of writes) {
    const segment = segments.get(name)!;
    const tx = store.begin();
    tx.setRange(segment, offset, length);
    segment.bytes.fill(fill ?? 'x', offset, offset + length, 'latin1');
    tx.commit();
  }
  store.close();
}

/** Flips every bit of the byte at `position` of `path`. */
export function flipByte(path: string, position: number): void {
  const fd = fs.openSync(path, 'r+');
  const one = Buffer.alloc(1);
  fs.readSync(fd, one, 0, 1, position);
  one[0] = one[0]! ^ 0xff;
  fs.writeSync(fd, one, 0, 1, position);
  fs.closeSync(fd);
}

/** Starts a process that opens the store in `dir` and holds it; resolves once it has it open. */
export async function holdStore(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', TSX_LOADER, HOLDER_SCRIPT, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.once('line', (line) => (line === 'open' ? resolve() : reject(new Error(`holder said ${line}`))));
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}
