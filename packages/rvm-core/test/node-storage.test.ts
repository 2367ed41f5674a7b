import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeStorage } from '../src/storage/node-storage.js';

const HOLDER_SCRIPT = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
let children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(`${os.tmpdir()}/rvm-node-storage-`));
  children = [];
});

afterEach(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn`, which must throw; returns what it threw. */
function thrown(fn: () => void): { code?: unknown; holder?: unknown } {
  try {
    fn();
  } catch (e) {
    return e as { code?: unknown; holder?: unknown };
  }
  throw new Error('expected an error');
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function text(buffer: Uint8Array, length = buffer.length): string {
  return new TextDecoder().decode(buffer.subarray(0, length));
}

/** A pid that no process has: that of a child that has exited and been reaped. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  expect(pid).toBeGreaterThan(0);
  return pid as number;
}

/** The record this process writes, read from a lock it takes and releases. */
function ownRecord(): Record<string, unknown> {
  const storage = new NodeStorage();
  const lockPath = `${dir}/own-record`;
  storage.lock(lockPath);
  const record = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Record<string, unknown>;
  storage.unlock(lockPath);
  return record;
}

function writeRecord(path: string, record: Record<string, unknown>): void {
  fs.writeFileSync(path, JSON.stringify(record));
}

function setAge(path: string, ageMs: number): void {
  const time = new Date(Date.now() - ageMs);
  fs.utimesSync(path, time, time);
}

/** Starts a lock-holder process; `line()` resolves with each line it prints, in order. */
function startHolder(lockPath: string, goPath?: string): { child: ChildProcess; line: () => Promise<string> } {
  const args = ['--import', TSX_LOADER, HOLDER_SCRIPT, lockPath, ...(goPath === undefined ? [] : [goPath])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const resolve = waiting.shift();
    if (resolve === undefined) lines.push(line);
    else resolve(line);
  });
  const line = (): Promise<string> => {
    const next = lines.shift();
    return next !== undefined ? Promise.resolve(next) : new Promise((resolve) => waiting.push(resolve));
  };
  return { child, line };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('NodeStorage files', () => {
  it('writes, reads, sizes, resizes and syncs a file', () => {
    const storage = new NodeStorage();
    const path = `${dir}/a`;
    expect(storage.exists(path)).toBe(false);
    const fd = storage.open(path, true);
    expect(storage.exists(path)).toBe(true);
    expect(storage.size(fd)).toBe(0);

    expect(storage.write(fd, bytes('xxhello'), 2, 5, 0)).toBe(5);
    // Past the end: the gap reads as zeros.
    expect(storage.write(fd, bytes('world'), 0, 5, 10)).toBe(5);
    expect(storage.size(fd)).toBe(15);
    storage.sync(fd);

    const buffer = new Uint8Array(15);
    expect(storage.read(fd, buffer, 0, 15, 0)).toBe(15);
    expect(text(buffer, 5)).toBe('hello');
    expect([...buffer.subarray(5, 10)]).toEqual([0, 0, 0, 0, 0]);
    expect(text(buffer.subarray(10))).toBe('world');

    storage.resize(fd, 20);
    expect(storage.size(fd)).toBe(20);
    const tail = new Uint8Array(5).fill(7);
    expect(storage.read(fd, tail, 0, 5, 15)).toBe(5);
    expect([...tail]).toEqual([0, 0, 0, 0, 0]);
    storage.resize(fd, 3);
    expect(storage.size(fd)).toBe(3);
    storage.close(fd);
    expect(fs.readFileSync(path, 'utf8')).toBe('hel');
  });

  it('reads short only at the end of the file', () => {
    const storage = new NodeStorage();
    fs.writeFileSync(`${dir}/short`, '0123456789');
    const fd = storage.open(`${dir}/short`, false);
    const buffer = new Uint8Array(20);
    expect(storage.read(fd, buffer, 0, 20, 5)).toBe(5);
    expect(text(buffer, 5)).toBe('56789');
    expect(storage.read(fd, buffer, 4, 3, 0)).toBe(3);
    expect(text(buffer.subarray(4), 3)).toBe('012');
    expect(storage.read(fd, buffer, 0, 20, 10)).toBe(0);
    expect(storage.read(fd, buffer, 0, 20, 100)).toBe(0);
    storage.close(fd);
  });

  it('opens an existing file without truncating it, and refuses a missing one without create', () => {
    const storage = new NodeStorage();
    fs.writeFileSync(`${dir}/kept`, 'abc');
    const fd = storage.open(`${dir}/kept`, true);
    expect(storage.size(fd)).toBe(3);
    storage.close(fd);
    expect(thrown(() => storage.open(`${dir}/missing`, false)).code).toBe('ENOENT');
    expect(storage.exists(`${dir}/missing`)).toBe(false);
  });

  it('makes, lists, renames, removes and syncs directory entries', () => {
    const storage = new NodeStorage();
    storage.mkdir(`${dir}/x/y/z`);
    storage.mkdir(`${dir}/x/y/z`); // No error when it exists.
    expect(storage.exists(`${dir}/x/y/z`)).toBe(true);

    const fd = storage.open(`${dir}/x/one`, true);
    storage.write(fd, bytes('new'), 0, 3, 0);
    storage.close(fd);
    fs.writeFileSync(`${dir}/x/two`, 'old');
    expect(storage.list(`${dir}/x`).sort()).toEqual(['one', 'two', 'y']);

    storage.rename(`${dir}/x/one`, `${dir}/x/two`);
    expect(storage.list(`${dir}/x`).sort()).toEqual(['two', 'y']);
    expect(fs.readFileSync(`${dir}/x/two`, 'utf8')).toBe('new');
    storage.syncDir(`${dir}/x`);

    storage.remove(`${dir}/x/two`);
    expect(storage.exists(`${dir}/x/two`)).toBe(false);
    expect(thrown(() => storage.remove(`${dir}/x/two`)).code).toBe('ENOENT');
    expect(thrown(() => storage.list(`${dir}/nope`)).code).toBe('ENOENT');
    expect(thrown(() => storage.syncDir(`${dir}/nope`)).code).toBe('ENOENT');
    storage.syncDir(dir);
  });
});

describe('NodeStorage lock in one process', () => {
  it('refuses a second lock of the same store, by the same or another instance', () => {
    const a = new NodeStorage();
    const b = new NodeStorage();
    a.lock(`${dir}/lock`);
    for (const storage of [a, b]) {
      const error = thrown(() => storage.lock(`${dir}/lock`));
      expect(error.code).toBe('ELOCKED');
      expect(typeof error.holder).toBe('string');
      expect(error.holder).toContain(`pid ${process.pid} `);
    }
    a.unlock(`${dir}/lock`);
  });

  it('refuses a lock spelled differently (/./, .., a symbolic link, a relative path)', () => {
    const storage = new NodeStorage();
    fs.mkdirSync(`${dir}/store`);
    fs.symlinkSync(`${dir}/store`, `${dir}/alias`);
    storage.lock(`${dir}/store/lock`);
    const spellings = [`${dir}/./store/lock`, `${dir}/store/../store/lock`, `${dir}/alias/lock`, `${dir}//store/lock`];
    const relative = `${dir}/store/lock`.replace(`${process.cwd()}/`, '');
    if (!relative.startsWith('/')) spellings.push(relative);
    for (const spelling of spellings) {
      expect(thrown(() => new NodeStorage().lock(spelling)).code).toBe('ELOCKED');
    }
    storage.unlock(`${dir}/alias/lock`); // Unlocks through any spelling too.
    expect(fs.existsSync(`${dir}/store/lock`)).toBe(false);
    storage.lock(`${dir}/./store/lock`);
    storage.unlock(`${dir}/store/lock`);
  });

  it('locks again after unlock; unlock is idempotent and only the holder can unlock', () => {
    const a = new NodeStorage();
    const b = new NodeStorage();
    a.lock(`${dir}/lock`);
    expect(fs.existsSync(`${dir}/lock`)).toBe(true);
    b.unlock(`${dir}/lock`); // Not b's: nothing happens.
    expect(fs.existsSync(`${dir}/lock`)).toBe(true);
    expect(thrown(() => b.lock(`${dir}/lock`)).code).toBe('ELOCKED');
    a.unlock(`${dir}/lock`);
    expect(fs.existsSync(`${dir}/lock`)).toBe(false);
    a.unlock(`${dir}/lock`);
    b.lock(`${dir}/lock`);
    expect(thrown(() => a.lock(`${dir}/lock`)).code).toBe('ELOCKED');
    b.unlock(`${dir}/lock`);
    a.lock(`${dir}/lock`);
    a.unlock(`${dir}/lock`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('unlocks after the store directory was removed', () => {
    const storage = new NodeStorage();
    fs.mkdirSync(`${dir}/store`);
    storage.lock(`${dir}/store/lock`);
    fs.rmSync(`${dir}/store`, { recursive: true });
    storage.unlock(`${dir}/store/lock`);
    fs.mkdirSync(`${dir}/store`);
    storage.lock(`${dir}/store/lock`);
    storage.unlock(`${dir}/store/lock`);
  });

  it('does not remove a lock file that another holder wrote after ours', () => {
    const storage = new NodeStorage();
    storage.lock(`${dir}/lock`);
    const other = { ...ownRecord(), pid: 1, nonce: '0123456789abcdef' };
    writeRecord(`${dir}/lock`, other);
    storage.unlock(`${dir}/lock`);
    expect(JSON.parse(fs.readFileSync(`${dir}/lock`, 'utf8'))).toEqual(other);
  });
});

describe('NodeStorage lock: judging a lock file left by someone else', () => {
  const NONCE = 'aaaaaaaaaaaaaaaa';

  function expectTaken(storage: NodeStorage, lockPath: string): void {
    storage.lock(lockPath);
    const record = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as { pid: number; nonce: string };
    expect(record.pid).toBe(process.pid);
    expect(record.nonce).not.toBe(NONCE);
    storage.unlock(lockPath);
  }

  it('takes over a lock whose holder is dead', () => {
    writeRecord(`${dir}/lock`, { ...ownRecord(), pid: deadPid(), nonce: NONCE });
    expectTaken(new NodeStorage(), `${dir}/lock`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('takes over a lock whose pid now belongs to another process (start time differs)', () => {
    const own = ownRecord();
    if (own.startTime === null) return; // No /proc here.
    writeRecord(`${dir}/lock`, { ...own, startTime: '1', nonce: NONCE });
    expectTaken(new NodeStorage(), `${dir}/lock`);
  });

  it('takes over a lock from an earlier boot, even if its pid and start time match', () => {
    const own = ownRecord();
    if (own.bootId === null) return; // No boot id here.
    writeRecord(`${dir}/lock`, { ...own, bootId: 'an-earlier-boot', nonce: NONCE });
    expectTaken(new NodeStorage(), `${dir}/lock`);
  });

  it('refuses a lock held by a live process: this one, though not through a NodeStorage (another thread)', () => {
    writeRecord(`${dir}/lock`, { ...ownRecord(), nonce: NONCE });
    const error = thrown(() => new NodeStorage().lock(`${dir}/lock`));
    expect(error.code).toBe('ELOCKED');
    expect(error.holder).toContain(`pid ${process.pid} `);
    expect(JSON.parse(fs.readFileSync(`${dir}/lock`, 'utf8')).nonce).toBe(NONCE);
  });

  it('refuses a lock from another host or pid namespace, whose liveness it cannot check', () => {
    const pid = deadPid();
    for (const other of [{ host: 'elsewhere' }, { machineId: 'another-machine' }, { pidNs: 'pid:[1]' }]) {
      writeRecord(`${dir}/lock`, { ...ownRecord(), pid, nonce: NONCE, ...other });
      const error = thrown(() => new NodeStorage().lock(`${dir}/lock`));
      expect(error.code).toBe('ELOCKED');
      expect(error.holder).toContain(`pid ${pid} `);
    }
  });

  it('refuses an unreadable lock file while it is young, and takes it over when old (its writer died mid-write)', () => {
    for (const contents of ['', '{"pid":', 'not json at all', JSON.stringify({ pid: 'x' })]) {
      fs.writeFileSync(`${dir}/lock`, contents);
      const error = thrown(() => new NodeStorage().lock(`${dir}/lock`));
      expect(error.code).toBe('ELOCKED');
      expect(typeof error.holder).toBe('string');
      setAge(`${dir}/lock`, 5_000);
      const storage = new NodeStorage();
      storage.lock(`${dir}/lock`);
      expect(JSON.parse(fs.readFileSync(`${dir}/lock`, 'utf8')).pid).toBe(process.pid);
      storage.unlock(`${dir}/lock`);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('NodeStorage lock: claims (the steal guard)', () => {
  const NONCE = 'aaaaaaaaaaaaaaaa';

  it('removes a claim whose holder died while stealing, then takes the lock', () => {
    const pid = deadPid();
    writeRecord(`${dir}/lock`, { ...ownRecord(), pid, nonce: NONCE });
    writeRecord(`${dir}/lock.steal-${NONCE}`, { ...ownRecord(), pid, nonce: 'bbbbbbbbbbbbbbbb' });
    // Nested: the stealer of that claim died too.
    writeRecord(`${dir}/lock.steal-${NONCE}.steal-bbbbbbbbbbbbbbbb`, { ...ownRecord(), pid, nonce: 'cccccccccccccccc' });
    const storage = new NodeStorage();
    storage.lock(`${dir}/lock`);
    expect(fs.readdirSync(dir)).toEqual(['lock']);
    storage.unlock(`${dir}/lock`);
  });

  it('removes an unreadable claim once it is old', () => {
    writeRecord(`${dir}/lock`, { ...ownRecord(), pid: deadPid(), nonce: NONCE });
    fs.writeFileSync(`${dir}/lock.steal-${NONCE}`, '');
    expect(thrown(() => new NodeStorage().lock(`${dir}/lock`)).code).toBe('ELOCKED');
    setAge(`${dir}/lock.steal-${NONCE}`, 5_000);
    const storage = new NodeStorage();
    storage.lock(`${dir}/lock`);
    expect(fs.readdirSync(dir)).toEqual(['lock']);
    storage.unlock(`${dir}/lock`);
  });

  it('leaves an abandoned lock alone while a live process holds the claim on it, however old that claim is', () => {
    writeRecord(`${dir}/lock`, { ...ownRecord(), pid: deadPid(), nonce: NONCE });
    writeRecord(`${dir}/lock.steal-${NONCE}`, { ...ownRecord(), nonce: 'bbbbbbbbbbbbbbbb' });
    setAge(`${dir}/lock.steal-${NONCE}`, 600_000);
    const error = thrown(() => new NodeStorage().lock(`${dir}/lock`));
    expect(error.code).toBe('ELOCKED');
    expect(typeof error.holder).toBe('string');
    expect(fs.readdirSync(dir).sort()).toEqual(['lock', `lock.steal-${NONCE}`]);
    expect(JSON.parse(fs.readFileSync(`${dir}/lock`, 'utf8')).nonce).toBe(NONCE);
  });

  it('removes leftover claims and old temporary files after taking the lock, but not young ones', () => {
    const pid = deadPid();
    writeRecord(`${dir}/lock.steal-dddddddddddddddd`, { ...ownRecord(), pid, nonce: 'eeeeeeeeeeeeeeee' });
    fs.writeFileSync(`${dir}/lock.new-${pid}-ffffffffffffffff`, '{}');
    setAge(`${dir}/lock.new-${pid}-ffffffffffffffff`, 120_000);
    fs.writeFileSync(`${dir}/lock.new-${pid}-1111111111111111`, '{}');
    fs.writeFileSync(`${dir}/unrelated`, '');
    const storage = new NodeStorage();
    storage.lock(`${dir}/lock`);
    expect(fs.readdirSync(dir).sort()).toEqual(['lock', `lock.new-${pid}-1111111111111111`, 'unrelated']);
    storage.unlock(`${dir}/lock`);
  });
});

describe('NodeStorage lock across processes', () => {
  it('refuses the lock while another process holds it, and frees it when that process is killed with SIGKILL', async () => {
    const holder = startHolder(`${dir}/lock`);
    expect(await holder.line()).toBe('locked');
    const error = thrown(() => new NodeStorage().lock(`${dir}/./lock`));
    expect(error.code).toBe('ELOCKED');
    expect(error.holder).toContain(`pid ${holder.child.pid} `);

    holder.child.kill('SIGKILL');
    await exited(holder.child);
    const storage = new NodeStorage();
    storage.lock(`${dir}/lock`);
    expect(JSON.parse(fs.readFileSync(`${dir}/lock`, 'utf8')).pid).toBe(process.pid);
    storage.unlock(`${dir}/lock`);
  });

  it('lets exactly one of two processes racing for an abandoned lock win', async () => {
    writeRecord(`${dir}/lock`, { ...ownRecord(), pid: deadPid(), nonce: 'aaaaaaaaaaaaaaaa' });
    const go = `${dir}/go`;
    const holders = [0, 1].map(() => startHolder(`${dir}/lock`, go));
    for (const holder of holders) expect(await holder.line()).toBe('ready');
    fs.writeFileSync(go, '');
    const results = await Promise.all(holders.map((holder) => holder.line()));
    const winners = results.filter((line) => line === 'locked');
    expect(winners).toHaveLength(1);
    for (const line of results) expect(line === 'locked' || line.startsWith('ELOCKED ')).toBe(true);
    const winner = holders[results.indexOf('locked')]!;
    expect(JSON.parse(fs.readFileSync(`${dir}/lock`, 'utf8')).pid).toBe(winner.child.pid);
    expect(fs.readdirSync(dir).sort()).toEqual(['go', 'lock']);
  });
});

describe('NodeStorage close during an asynchronous sync', () => {
  it('keeps the fd (and its number) until the sync calls back, then closes it', async () => {
    const storage = new NodeStorage();
    const fd = storage.open(`${dir}/a`, true);
    storage.write(fd, bytes('payload'), 0, 7, 0);
    const synced = new Promise<Error | null>((resolve) => storage.syncAsync(fd, resolve));
    storage.close(fd);
    // Still open: a new file gets another number, so the queued fdatasync cannot land on it.
    expect(fs.fstatSync(fd).size).toBe(7);
    const other = storage.open(`${dir}/b`, true);
    expect(other).not.toBe(fd);
    expect(await synced).toBeNull();
    expect(() => fs.fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    storage.close(other);
  });

  it('closes at once when no sync is in flight, and after the last of several', async () => {
    const storage = new NodeStorage();
    const fd = storage.open(`${dir}/a`, true);
    const first = new Promise<Error | null>((resolve) => storage.syncAsync(fd, resolve));
    const second = new Promise<Error | null>((resolve) => storage.syncAsync(fd, resolve));
    storage.close(fd);
    expect(await first).toBeNull();
    expect(await second).toBeNull();
    expect(() => fs.fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    const idle = storage.open(`${dir}/b`, true);
    storage.close(idle);
    expect(() => fs.fstatSync(idle)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
