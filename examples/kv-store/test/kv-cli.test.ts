/**
 * The kv command: most cases run in-process through runCli with captured
 * streams (fast on a loaded machine); three run the real program in a child
 * process, as a user would (exit codes, a non-TTY stderr, and LOCKED while
 * another process holds the store).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli-main.js';
import type { OutputStream } from '../src/cli-main.js';
import { KvStore } from '../src/index.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const CLI_PATH = resolve(REPO_ROOT, 'examples/kv-store/src/cli.ts');

class Captured implements OutputStream {
  text = '';
  constructor(readonly isTTY = false) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
  once(): this {
    return this;
  }
}

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function kv(args: readonly string[], options: { stdin?: string; tty?: boolean } = {}): Promise<Result> {
  const stdout = new Captured();
  const stderr = new Captured(options.tty === true);
  const code = await runCli(args, { stdin: Readable.from([options.stdin ?? '']), stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The real program, in a child process, from the repository root. */
function spawnKv(args: readonly string[]): Result {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', CLI_PATH, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  if (child.error !== undefined) throw child.error;
  return { code: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kv-cli-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('kv (in-process)', () => {
  it('runs a session of put, get, del, scan, count, stats and verify', async () => {
    const db = join(tempDir(), 'db');
    expect(await kv([db, 'put', 'user:1', '{"name":"Ada"}', 'user:2', '{"name":"Grace"}', 'user:3', '"Edsger"', 'order:1', '[1,2]'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await kv([db, 'get', 'user:2'])).toEqual({ code: 0, stdout: '{"name":"Grace"}\n', stderr: '' });
    expect(await kv([db, 'get', 'user:9'])).toEqual({ code: 1, stdout: '', stderr: 'kv get: NOT_FOUND: no key "user:9".\n' });
    expect((await kv([db, 'del', 'user:3', 'user:9'])).stdout).toBe('deleted\tuser:3\nmissing\tuser:9\n');
    expect((await kv([db, 'scan'])).stdout).toBe('order:1\t[1,2]\nuser:1\t{"name":"Ada"}\nuser:2\t{"name":"Grace"}\n');
    expect((await kv([db, 'scan', '--prefix', 'user:', '--reverse', '--keys', '--limit', '1'])).stdout).toBe('user:2\n');
    expect((await kv([db, 'scan', '--from', 'order:', '--to', 'user:2', '--keys'])).stdout).toBe('order:1\nuser:1\n');
    expect((await kv([db, 'count', '--prefix', 'user:'])).stdout).toBe('2\n');
    expect((await kv([db, 'stats'])).stdout).toMatch(/^keyCount +3\ndurability +flush\ntreeHeight +1\n/);
    expect(await kv([db, 'verify'])).toEqual({ code: 0, stdout: 'ok: 3 keys, every invariant holds\n', stderr: '' });
    expect(await kv([db, 'put', 'lazy', 'true', '--no-flush'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await kv([db, 'get', 'lazy'])).stdout).toBe('true\n'); // the command flushed when it closed the store
  });

  it('refuses usage mistakes with exit code 2 before opening the store', async () => {
    const db = join(tempDir(), 'never-created');
    for (const args of [[], [db], [db, 'frobnicate'], [db, 'get'], [db, 'get', 'k', '--prefix', 'p'], [db, 'put', 'k'], [db, 'put', 'k', 'not json'], [db, 'scan', '--limit', '-1'], [db, 'scan', '--bogus']]) {
      const result = await kv(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^kv: .*See 'kv --help'\.\n$/);
    }
    expect((await kv(['--help'])).stdout).toMatch(/^Usage: kv <dir> <command>/);
    expect((await kv([db, 'put', 'k', 'undefined'])).code).toBe(2);
  });

  it('imports with a progress bar on a terminal and exports the same lines', async () => {
    const dir = tempDir();
    const db = join(dir, 'db');
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ key: `k${String(i).padStart(5, '0')}`, value: { i, even: i % 2 === 0 } }));
    const file = join(dir, 'in.jsonl');
    writeFileSync(file, `${[...lines].reverse().join('\n')}\n`);
    const imported = await kv([db, 'import', file, '--batch-size', '500'], { tty: true });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^imported 2500 keys from 2500 lines \(\d+\.\d KiB\) in 5 transactions, \d+\.\d\d s\n$/);
    expect(imported.stderr).toMatch(/\r\[#{30}\] 100% {2}2500 keys {2}.*\n$/);
    const exported = await kv([db, 'export']);
    expect(exported.stdout).toBe(`${lines.join('\n')}\n`);
    expect((await kv([db, 'export', '--prefix', 'k0249', '--reverse'])).stdout).toBe(`${lines.slice(2490, 2500).reverse().join('\n')}\n`);
    // From stdin, with no terminal: no bar.
    const piped = await kv([db, 'import', '-'], { stdin: '{"key":"z","value":1}\n' });
    expect(piped).toMatchObject({ code: 0, stderr: '' });
  });

  it('applies a batch file in one transaction, or nothing of it', async () => {
    const db = join(tempDir(), 'db');
    await kv([db, 'put', 'a', '1', 'b', '2']);
    const good = '{"op":"put","key":"c","value":3}\n\n{"op":"del","key":"a"}\n';
    expect(await kv([db, 'batch', '-'], { stdin: good })).toEqual({ code: 0, stdout: 'applied 2 operations in one transaction\n', stderr: '' });
    const bad = '{"op":"put","key":"d","value":4}\n{"op":"del","key":"b","value":1}\n';
    const refused = await kv([db, 'batch', '-'], { stdin: bad });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kv batch: INVALID_LINE: Line 2: "value" is not a field of this line/);
    expect((await kv([db, 'scan', '--keys'])).stdout).toBe('b\nc\n');
  });
});

describe('kv (the real program)', () => {
  it('imports a file and scans it, with exit codes and no progress bar on a pipe', () => {
    const dir = tempDir();
    const db = join(dir, 'db');
    const file = join(dir, 'in.jsonl');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => JSON.stringify({ key: `user:${i}`, value: { i } })).join('\n'));
    const imported = spawnKv([db, 'import', file]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^imported 300 keys from 300 lines/);
    const scanned = spawnKv([db, 'scan', '--prefix', 'user:29', '--limit', '3']);
    expect(scanned).toEqual({ code: 0, stdout: 'user:29\t{"i":29}\nuser:290\t{"i":290}\nuser:291\t{"i":291}\n', stderr: '' });
  });

  it('reports LOCKED while another process has the store open', () => {
    const db = join(tempDir(), 'db');
    const holder = KvStore.open(db);
    try {
      holder.put('k', 1);
      const result = spawnKv([db, 'get', 'k']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^kv get: LOCKED: /);
    } finally {
      holder.close();
    }
  });
});
