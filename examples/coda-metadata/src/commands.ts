/**
 * The shell's commands, apart from its input loop (shell.ts) so that tests
 * run them in-process. A Session holds the current volume and directory;
 * run(line) executes one command and reports whether it succeeded. Results
 * go to `out`, errors to `err`, the `load` progress bar to `progress`.
 */
import type { Store } from '@rvm/structs';
import { isFsError } from './errors.js';
import type { Fid } from './fid.js';
import { formatFid } from './fid.js';
import type { Attr, FileServer } from './fs-ops.js';
import { fsck, formatViolation } from './fsck.js';
import { PathFs } from './path-fs.js';
import type { ProgressStream } from './progress.js';
import { ProgressBar } from './progress.js';
import { Random } from './random.js';
import { applyOp, SHAPE_LOAD, Workload } from './workload.js';

export interface SessionIo {
  out(line: string): void;
  err(line: string): void;
  /** Where `load` draws its progress bar (only if it is a TTY). */
  readonly progress: ProgressStream;
}

/** `load` flushes its no-flush commits this often, and at the end. */
const LOAD_FLUSH_EVERY = 1000;

const HELP = `commands (paths are absolute or relative to the current directory):
  ls [-l] [path]          list a directory (-l: mode, links, owner, length, mtime, fid)
  cd [path] | pwd         change or print the current directory
  mkdir path...           make directories
  touch path...           create empty files (an existing one gets mtime now)
  ln [-s] target path     a hard link, or with -s a symbolic link
  rm path...              remove names (not directories)
  rmdir path...           remove empty directories
  mv from to              rename or move (replaces an existing target)
  chmod mode path         set permission bits (octal)
  chown uid path          set the owner
  truncate length path    set a file's length
  stat [-L] path          attributes (-L: follow a final symbolic link)
  readlink path           a symbolic link's target
  tree [path]             the subtree
  fsck                    check every invariant of every volume
  vol [create|use] [name] list volumes, create one, or switch to one
  load N [seed]           run N random operations (no-flush commits, flushed every ${LOAD_FLUSH_EVERY})
  flush                   make no-flush commits durable
  help | quit`;

export class Session {
  cwd = '/';
  volume: number;
  quit = false;
  private fs: PathFs;

  constructor(
    readonly store: Store,
    readonly server: FileServer,
    private readonly io: SessionIo,
  ) {
    this.volume = server.volumes()[0]!.id;
    this.fs = new PathFs(server, this.volume);
  }

  get prompt(): string {
    const name = this.server.volumes().find((v) => v.id === this.volume)?.name ?? '?';
    return `coda ${name}:${this.cwd}> `;
  }

  /** Runs one command line; returns false when it failed. */
  run(line: string): boolean {
    let words: string[];
    try {
      words = tokenize(line);
    } catch (e) {
      this.io.err((e as Error).message);
      return false;
    }
    const [command, ...args] = words;
    if (command === undefined || command.startsWith('#')) return true;
    try {
      return this.dispatch(command, args);
    } catch (e) {
      if (isFsError(e)) {
        this.io.err(`${command}: ${e.message}`);
        return false;
      }
      throw e;
    }
  }

  private dispatch(command: string, args: string[]): boolean {
    const io = this.io;
    const fs = this.fs;
    switch (command) {
      case 'help':
        io.out(HELP);
        return true;
      case 'quit':
      case 'exit':
        this.quit = true;
        return true;
      case 'pwd':
        io.out(this.cwd);
        return true;
      case 'cd': {
        const path = this.abs(args[0] ?? '/');
        const attr = fs.stat(path);
        if (attr.type !== 'dir') return this.fail(`cd: ${path}: not a directory`);
        this.cwd = path;
        return true;
      }
      case 'ls':
        return this.ls(args);
      case 'mkdir':
        return this.each(command, args, (p) => fs.mkdir(p, { owner: ownerDefault() }));
      case 'touch':
        return this.each(command, args, (p) => {
          if (this.exists(p)) fs.setattr(p, { mtime: Date.now() });
          else fs.create(p, { owner: ownerDefault() });
        });
      case 'rm':
        return this.each(command, args, (p) => fs.unlink(p));
      case 'rmdir':
        return this.each(command, args, (p) => fs.rmdir(p));
      case 'ln': {
        const symbolic = args[0] === '-s';
        const rest = symbolic ? args.slice(1) : args;
        if (rest.length !== 2) return this.usage('ln [-s] target path');
        if (symbolic) fs.symlink(rest[0]!, this.abs(rest[1]!), { owner: ownerDefault() });
        else fs.link(this.abs(rest[0]!), this.abs(rest[1]!));
        return true;
      }
      case 'mv':
        if (args.length !== 2) return this.usage('mv from to');
        fs.rename(this.abs(args[0]!), this.abs(args[1]!));
        return true;
      case 'chmod': {
        if (args.length !== 2 || !/^[0-7]{1,4}$/.test(args[0]!)) return this.usage('chmod octal-mode path');
        fs.setattr(this.abs(args[1]!), { mode: parseInt(args[0]!, 8) });
        return true;
      }
      case 'chown':
        if (args.length !== 2 || !/^\d+$/.test(args[0]!)) return this.usage('chown uid path');
        fs.setattr(this.abs(args[1]!), { owner: Number(args[0]) });
        return true;
      case 'truncate':
        if (args.length !== 2 || !/^\d+$/.test(args[0]!)) return this.usage('truncate length path');
        fs.setattr(this.abs(args[1]!), { length: Number(args[0]) });
        return true;
      case 'stat': {
        const follow = args[0] === '-L';
        const paths = follow ? args.slice(1) : args;
        if (paths.length !== 1) return this.usage('stat [-L] path');
        const path = this.abs(paths[0]!);
        const attr = follow ? fs.stat(path) : fs.lstat(path);
        for (const line of this.describe(path, attr)) io.out(line);
        return true;
      }
      case 'readlink':
        if (args.length !== 1) return this.usage('readlink path');
        io.out(fs.readlink(this.abs(args[0]!)));
        return true;
      case 'tree':
        this.tree(this.abs(args[0] ?? '.'));
        return true;
      case 'fsck':
        return this.fsck();
      case 'vol':
        return this.vol(args);
      case 'load':
        return this.load(args);
      case 'flush':
        this.store.flush();
        return true;
      default:
        return this.fail(`${command}: unknown command; try help`);
    }
  }

  private ls(args: string[]): boolean {
    const long = args[0] === '-l';
    const paths = long ? args.slice(1) : args;
    const path = this.abs(paths[0] ?? '.');
    // Like ls(1): a symbolic link named on the command line is followed; the entries listed are not.
    const attr = this.fs.stat(path);
    const entries = attr.type === 'dir' ? this.fs.readdir(path) : [{ name: path, fid: this.fs.lstat(path).fid }];
    for (const { name, fid } of entries) {
      const a = this.server.getattr(fid);
      const shown = `${name}${a.type === 'dir' ? '/' : a.type === 'symlink' ? ` -> ${this.server.readlink(fid)}` : ''}`;
      this.io.out(long ? `${modeString(a)} ${String(a.linkCount).padStart(3)} ${String(a.owner).padStart(5)} ${String(a.length).padStart(8)} ${formatTime(a.mtime)} ${formatFid(fid).padEnd(10)} ${shown}` : shown);
    }
    return true;
  }

  private describe(path: string, a: Attr): string[] {
    const type = a.type === 'dir' ? 'directory' : a.type === 'symlink' ? 'symbolic link' : 'file';
    const lines = [
      `  path: ${path}${a.type === 'symlink' ? ` -> ${this.server.readlink(a.fid)}` : ''}`,
      `   fid: ${formatFid(a.fid)} (volume ${a.fid.volume}, vnode ${a.fid.vnode}, uniquifier ${a.fid.unique})`,
      `  type: ${type}   mode: ${a.mode.toString(8).padStart(4, '0')} (${modeString(a)})   owner: ${a.owner}`,
      ` links: ${a.linkCount}   length: ${a.length}${a.type === 'dir' ? ' entries' : ' bytes'}   data version: ${a.dataVersion}`,
      ` mtime: ${formatTime(a.mtime)}`,
    ];
    return lines;
  }

  private tree(path: string): void {
    const root = this.fs.lstat(path);
    this.io.out(path);
    if (root.type !== 'dir') return;
    const walk = (dir: Fid, indent: string): void => {
      const entries = this.server.readdir(dir);
      entries.forEach(({ name, fid }, i) => {
        const last = i === entries.length - 1;
        const a = this.server.getattr(fid);
        const shown = `${name}${a.type === 'dir' ? '/' : a.type === 'symlink' ? ` -> ${this.server.readlink(fid)}` : ''}`;
        this.io.out(`${indent}${last ? '└── ' : '├── '}${shown}`);
        if (a.type === 'dir') walk(fid, `${indent}${last ? '    ' : '│   '}`);
      });
    };
    walk(root.fid, '');
  }

  private fsck(): boolean {
    const started = Date.now();
    const report = fsck(this.server.tables);
    const ms = Date.now() - started;
    for (const v of report.violations) this.io.out(formatViolation(v));
    const counts = `${report.volumeCount} volume${report.volumeCount === 1 ? '' : 's'}, ${report.vnodeCount} vnodes (${report.directoryCount} directories), ${report.entryCount} entries, ${report.freeCount} free vnode numbers`;
    if (report.violations.length === 0) {
      this.io.out(`fsck: ${counts}: clean (${ms} ms)`);
      return true;
    }
    this.io.out(`fsck: ${counts}: ${report.violations.length} violation${report.violations.length === 1 ? '' : 's'}`);
    return false;
  }

  private vol(args: string[]): boolean {
    const [sub, name] = args;
    if (sub === undefined) {
      for (const v of this.server.volumes()) {
        this.io.out(`${v.id === this.volume ? '*' : ' '} ${String(v.id).padStart(3)} ${v.name.padEnd(16)} next vnode ${v.nextVnode}, next uniquifier ${v.nextUnique}`);
      }
      return true;
    }
    if (name === undefined || (sub !== 'create' && sub !== 'use')) return this.usage('vol [create|use name]');
    const info = sub === 'create' ? this.server.createVolume(name) : this.server.volume(name);
    if (sub === 'create') this.io.out(`volume ${info.id} "${info.name}" created, root ${formatFid(info.root)}`);
    this.volume = info.id;
    this.fs = new PathFs(this.server, info.id);
    this.cwd = '/';
    return true;
  }

  private load(args: string[]): boolean {
    const count = Number(args[0]);
    const seed = args[1] === undefined ? Date.now() % 0x7fffffff : Number(args[1]);
    if (!Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(seed)) return this.usage('load N [seed]');
    const workload = new Workload(new Random(seed), SHAPE_LOAD);
    const outcomes = new Map<string, number>();
    const bar = new ProgressBar(this.io.progress, count, 'load');
    const server = this.server;
    const flushBefore = server.flush;
    const started = Date.now();
    server.flush = false;
    try {
      for (let i = 0; i < count; i++) {
        const op = workload.next();
        const outcome = applyOp(this.fs, op);
        workload.observe(op, outcome);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if ((i + 1) % LOAD_FLUSH_EVERY === 0) this.store.flush();
        bar.update(i + 1, `ok ${outcomes.get('ok') ?? 0}`);
      }
      this.store.flush();
    } finally {
      server.flush = flushBefore;
      bar.finish();
    }
    const seconds = (Date.now() - started) / 1000;
    const ok = outcomes.get('ok') ?? 0;
    outcomes.delete('ok');
    const errors = [...outcomes].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ');
    this.io.out(`load: ${count} operations (seed ${seed}) in ${seconds.toFixed(1)} s, ${Math.round(count / Math.max(seconds, 0.001))}/s: ${ok} ok${errors === '' ? '' : `, ${errors}`}; flushed`);
    return true;
  }

  private each(command: string, paths: string[], fn: (path: string) => void): boolean {
    if (paths.length === 0) return this.usage(`${command} path...`);
    let ok = true;
    for (const p of paths) {
      try {
        fn(this.abs(p));
      } catch (e) {
        if (!isFsError(e)) throw e;
        this.io.err(`${command}: ${this.abs(p)}: ${e.message}`);
        ok = false;
      }
    }
    return ok;
  }

  private exists(path: string): boolean {
    try {
      this.fs.lstat(path);
      return true;
    } catch (e) {
      if (isFsError(e, 'ENOENT')) return false;
      throw e;
    }
  }

  /** An absolute path: relative ones start at the current directory; '.' and '..' are resolved by name, as the shell's cd does. */
  private abs(path: string): string {
    const joined = path.startsWith('/') ? path : `${this.cwd}/${path}`;
    const out: string[] = [];
    for (const c of joined.split('/')) {
      if (c === '' || c === '.') continue;
      if (c === '..') out.pop();
      else out.push(c);
    }
    return `/${out.join('/')}`;
  }

  private usage(text: string): boolean {
    return this.fail(`usage: ${text}`);
  }

  private fail(text: string): boolean {
    this.io.err(text);
    return false;
  }
}

/** Words separated by spaces; '...' and "..." quote (a name with spaces). */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  const re = /\s*(?:"([^"]*)"|'([^']*)'|(\S+))/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(line)) !== null) {
    words.push(m[1] ?? m[2] ?? m[3]!);
    end = re.lastIndex;
  }
  if (line.slice(end).trim() !== '') throw new Error(`unbalanced quote in: ${line}`);
  return words;
}

function modeString(a: Attr): string {
  const kind = a.type === 'dir' ? 'd' : a.type === 'symlink' ? 'l' : '-';
  const rwx = (bits: number): string => `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
  return `${kind}${rwx(a.mode >> 6)}${rwx(a.mode >> 3)}${rwx(a.mode)}`;
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function ownerDefault(): number {
  return process.getuid?.() ?? 0;
}
