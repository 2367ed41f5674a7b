/** The shell: its commands in-process, and once as a real piped process over a store directory. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Session, tokenize } from '../src/commands.js';
import { openWorld } from './support.js';

function session(isTTY = false) {
  const world = openWorld();
  const out: string[] = [];
  const err: string[] = [];
  const drawn: string[] = [];
  const s = new Session(world.store, world.server, { out: (l) => out.push(l), err: (l) => err.push(l), progress: { isTTY, write: (t: string) => drawn.push(t) } });
  const run = (line: string): { ok: boolean; out: string[]; err: string[] } => {
    out.length = 0;
    err.length = 0;
    const ok = s.run(line);
    return { ok, out: [...out], err: [...err] };
  };
  return { s, run, drawn, world };
}

describe('shell commands', () => {
  it('make, list, move, link, remove and inspect', () => {
    const { run, s } = session();
    expect(run('mkdir /a /a/b').ok).toBe(true);
    expect(run('touch /a/f "/a/with space"').ok).toBe(true);
    expect(run('ln -s /a/b /l').ok).toBe(true);
    expect(run('ln /a/f /a/g').ok).toBe(true);
    expect(run('ls /a').out).toEqual(['b/', 'f', 'g', 'with space']);
    expect(run('ls /').out).toEqual(['a/', 'l -> /a/b']);
    expect(run('ls -l /a').out[1]).toMatch(/^-rw-r--r-- +2 +\d+ +0 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 1\.4\.4 +f$/);
    expect(run('cd /a').ok).toBe(true);
    expect(run('pwd').out).toEqual(['/a']);
    expect(s.prompt).toBe('coda root:/a> ');
    expect(run('mv f b/f2').ok).toBe(true);
    expect(run('cd ..').ok).toBe(true);
    expect(run('tree').out).toEqual(['/', '├── a/', '│   ├── b/', '│   │   └── f2', '│   ├── g', '│   └── with space', '└── l -> /a/b']);
    expect(run('chmod 600 /a/g').ok).toBe(true);
    expect(run('chown 42 /a/g').ok).toBe(true);
    expect(run('truncate 4096 /a/g').ok).toBe(true);
    const stat = run('stat /a/g').out.join('\n');
    expect(stat).toContain('mode: 0600 (-rw-------)   owner: 42');
    expect(stat).toContain('links: 2   length: 4096 bytes   data version: 2');
    expect(run('readlink /l').out).toEqual(['/a/b']);
    expect(run('stat -L /l').out[2]).toContain('type: directory');
    expect(run('rm /a/g /a/b/f2').ok).toBe(true);
    expect(run('rmdir /a/b').ok).toBe(true);
    expect(run('fsck').out[0]).toMatch(/^fsck: 1 volume, 4 vnodes \(2 directories\), 7 entries, 2 free vnode numbers: clean/);
  });

  it('reports errors with their code and fails the command', () => {
    const { run } = session();
    run('mkdir /a /a/b');
    expect(run('mv /a /a/b/c')).toMatchObject({ ok: false, err: [expect.stringMatching(/^mv: EINVAL: /)] });
    expect(run('rmdir /a')).toMatchObject({ ok: false, err: [expect.stringMatching(/^rmdir: \/a: ENOTEMPTY: /)] });
    expect(run('mkdir /a /x')).toMatchObject({ ok: false, err: [expect.stringMatching(/^mkdir: \/a: EEXIST: /)] });
    expect(run('ls /x').ok).toBe(true); // the other path of the same command was made
    expect(run('cd /nope')).toMatchObject({ ok: false, err: [expect.stringMatching(/ENOENT/)] });
    expect(run('frobnicate')).toMatchObject({ ok: false, err: ['frobnicate: unknown command; try help'] });
    expect(run('chmod 999 /a')).toMatchObject({ ok: false, err: ['usage: chmod octal-mode path'] });
    expect(run('# a comment').ok).toBe(true);
    expect(run('').ok).toBe(true);
  });

  it('volumes: create, list, use', () => {
    const { run } = session();
    expect(run('vol create u.jan').out).toEqual(['volume 2 "u.jan" created, root 2.1.1']);
    run('mkdir /src');
    expect(run('vol').out).toEqual(['    1 root             next vnode 2, next uniquifier 2', '*   2 u.jan            next vnode 3, next uniquifier 3']);
    run('vol use root');
    expect(run('ls /').out).toEqual([]);
    expect(run('vol use nope').ok).toBe(false);
  });

  it('load runs a workload: a progress bar on a TTY, a summary line always', () => {
    const tty = session(true);
    const result = tty.run('load 200 5');
    expect(result.ok).toBe(true);
    expect(result.out[0]).toMatch(/^load: 200 operations \(seed 5\) in [\d.]+ s, \d+\/s: \d+ ok, .*; flushed$/);
    expect(tty.drawn.some((t) => t.includes('[') && t.includes('200/200'))).toBe(true);
    expect(tty.run('fsck').ok).toBe(true);
    const piped = session(false);
    piped.run('load 50 5');
    expect(piped.drawn).toEqual([]);
  });

  it('tokenizes quotes', () => {
    expect(tokenize(` mv  "a b" 'c d'  e `)).toEqual(['mv', 'a b', 'c d', 'e']);
  });
});

describe('the shell process', () => {
  it('runs piped commands on a store directory; a failed command makes the exit status 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coda-shell-'));
    const shell = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'shell.ts');
    try {
      const input = 'mkdir /a\ntouch /a/f\nmv /a /b\nls /b\nrmdir /b\nfsck\n';
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', shell, join(dir, 'store'), '--echo'], { input, encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).toMatch(/^rmdir: \/b: ENOTEMPTY: [^\n]*\n$/);
      expect(run.stdout).toMatch(/^coda root:\/> mkdir \/a\ncoda root:\/> touch \/a\/f\ncoda root:\/> mv \/a \/b\ncoda root:\/> ls \/b\nf\ncoda root:\/> rmdir \/b\ncoda root:\/> fsck\nfsck: 1 volume, 3 vnodes \(2 directories\), 6 entries, 0 free vnode numbers: clean \(\d+ ms\)\n$/);
      expect(run.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
