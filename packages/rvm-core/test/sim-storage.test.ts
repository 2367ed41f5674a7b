import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECTOR_SIZE } from '../src/storage/storage.js';
import { SimCrash, SimStorage, isSimCrash, type CrashMode, type SimSnapshot } from '../src/testing.js';

const FC_SEED = 0x5eed;
const fcParams = (numRuns: number) => ({ seed: FC_SEED, numRuns });

function bytesOf(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/** Byte equality without vitest's element-by-element deep equality, which is slow on large arrays. */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (actual.length !== expected.length || Buffer.compare(actual, expected) !== 0) expect(actual).toEqual(expected);
}

function expectSameState(actual: SimSnapshot, expected: SimSnapshot): void {
  expect(actual.dirs).toEqual(expected.dirs);
  expect(Object.keys(actual.files)).toEqual(Object.keys(expected.files));
  for (const [path, bytes] of Object.entries(expected.files)) expectBytes(actual.files[path] ?? new Uint8Array(0), bytes);
}

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return (e as { code?: unknown }).code ?? e;
  }
  return 'no error';
}

/** Creates dir/name with `content`, syncs it and its directory. */
function durableFile(s: SimStorage, dir: string, name: string, content: Uint8Array): void {
  s.mkdir(dir);
  const fd = s.open(`${dir}/${name}`, true);
  s.write(fd, content, 0, content.length, 0);
  s.sync(fd);
  s.close(fd);
  s.syncDir(dir);
}

describe('SimStorage basics', () => {
  it('reads back writes, extends with zeros, resizes', () => {
    const s = new SimStorage();
    s.mkdir('d/e');
    s.mkdir('d/e');
    const fd = s.open('d/e/f', true);
    expect(s.write(fd, bytesOf(4, 7), 0, 4, 10)).toBe(4);
    expect(s.size(fd)).toBe(14);
    const out = new Uint8Array(20);
    expect(s.read(fd, out, 0, 20, 0)).toBe(14);
    expect([...out.subarray(8, 14)]).toEqual([0, 0, 7, 7, 7, 7]);
    s.resize(fd, 11);
    s.resize(fd, 16);
    expect([...s.fileBytes('d/e/f').subarray(9)]).toEqual([0, 7, 0, 0, 0, 0, 0]);
    expect(s.read(fd, out, 0, 4, 100)).toBe(0);
    expect(s.list('d')).toEqual(['e']);
    expect(s.list('./d//e/')).toEqual(['f']);
    expect(s.exists('d/e/f')).toBe(true);
    expect(s.listAll()).toEqual(['d/', 'd/e/', 'd/e/f']);
    s.verify();
  });

  it('reports ENOENT, EBADF, EISDIR and accepts open-create of an existing file', () => {
    const s = new SimStorage();
    expect(codeOf(() => s.open('x', false))).toBe('ENOENT');
    expect(codeOf(() => s.open('nodir/x', true))).toBe('ENOENT');
    expect(codeOf(() => s.list('nodir'))).toBe('ENOENT');
    expect(codeOf(() => s.rename('x', 'y'))).toBe('ENOENT');
    expect(codeOf(() => s.remove('x'))).toBe('ENOENT');
    expect(codeOf(() => s.syncDir('nodir'))).toBe('ENOENT');
    const fd = s.open('x', true);
    s.write(fd, bytesOf(3, 1), 0, 3, 0);
    const fd2 = s.open('x', true);
    expect(s.size(fd2)).toBe(3);
    s.close(fd);
    expect(codeOf(() => s.close(fd))).toBe('EBADF');
    expect(codeOf(() => s.read(fd, new Uint8Array(1), 0, 1, 0))).toBe('EBADF');
    expect(codeOf(() => s.write(fd, new Uint8Array(1), 0, 1, 0))).toBe('EBADF');
    expect(codeOf(() => s.sync(fd))).toBe('EBADF');
    s.mkdir('d');
    expect(codeOf(() => s.open('d', true))).toBe('EISDIR');
    expect(codeOf(() => s.list('x'))).toBe('ENOTDIR');
  });

  it('keeps content and pending writes with the inode across rename and unlink', () => {
    const s = new SimStorage();
    const fd = s.open('a', true);
    s.write(fd, bytesOf(5, 9), 0, 5, 0);
    s.rename('a', 'b');
    s.write(fd, bytesOf(1, 8), 0, 1, 5);
    expect(s.exists('a')).toBe(false);
    expect([...s.fileBytes('b')]).toEqual([9, 9, 9, 9, 9, 8]);
    s.remove('b');
    expect(s.size(fd)).toBe(6);
    expect(s.listAll()).toEqual([]);
    s.verify();
  });

  it('locks exclusively with ELOCKED and a holder, and a crash releases locks', () => {
    const s = new SimStorage();
    s.lock('store/LOCK');
    let caught: unknown;
    try {
      s.lock('store/LOCK');
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'ELOCKED' });
    expect(typeof (caught as { holder?: unknown }).holder).toBe('string');
    s.unlock('store/LOCK');
    s.lock('store/LOCK');
    s.crash(1);
    s.lock('store/LOCK');
  });
});

describe('crash: what survives', () => {
  it('synced data always survives, in every mode and seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer(), fc.constantFrom<CrashMode>('random', 'keepAll', 'dropAll'), (content, seed, mode) => {
        const s = new SimStorage();
        durableFile(s, 'd', 'f', content);
        // Unsynced activity elsewhere must not disturb it.
        const other = s.open('d/g', true);
        s.write(other, content, 0, content.length, 0);
        s.crash(seed, mode);
        expectBytes(s.fileBytes('d/f'), content);
        s.verify();
      }),
      fcParams(200),
    );
  });

  const fileOp = fc.oneof(
    fc.record({ kind: fc.constant('write' as const), position: fc.nat(3000), length: fc.integer({ min: 1, max: 1500 }), fill: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('resize' as const), size: fc.nat(4000) }),
    fc.record({ kind: fc.constant('sync' as const) }),
  );

  it('a write copies its bytes: reusing the caller\'s Buffer afterwards changes nothing on disk', () => {
    // Buffer#slice is a view; the simulator once kept one, so a log that reuses its
    // encode buffer found the next record's bytes in place of the earlier one after sync.
    const s = new SimStorage();
    s.mkdir('d');
    const fd = s.open('d/f', true);
    const buffer = Buffer.alloc(4, 1);
    s.write(fd, buffer, 0, 4, 0);
    buffer.fill(2);
    s.sync(fd);
    s.syncDir('d');
    expect([...s.fileBytes('d/f', 'durable')]).toEqual([1, 1, 1, 1]);
  });

  it('dropAll leaves the state at the last sync, keepAll the current state (model)', () => {
    fc.assert(
      fc.property(fc.array(fileOp, { maxLength: 12 }), fc.boolean(), (ops, keepAll) => {
        const s = new SimStorage();
        durableFile(s, 'd', 'f', new Uint8Array(0));
        const fd = s.open('d/f', false);
        let synced: Uint8Array = new Uint8Array(0);
        for (const op of ops) {
          if (op.kind === 'write') s.write(fd, bytesOf(op.length, op.fill), 0, op.length, op.position);
          else if (op.kind === 'resize') s.resize(fd, op.size);
          else {
            s.sync(fd);
            synced = s.fileBytes('d/f');
          }
          s.verify();
        }
        const current = s.fileBytes('d/f');
        expectBytes(s.durableView().files['d/f'] ?? new Uint8Array(1), synced);
        s.crash(0, keepAll ? 'keepAll' : 'dropAll');
        expectBytes(s.fileBytes('d/f'), keepAll ? current : synced);
        expect(s.pendingCounts()).toEqual({ fileOpCount: 0, dirOpCount: 0 });
      }),
      fcParams(300),
    );
  });

  it('unsynced writes survive under keepAll and vanish under dropAll', () => {
    for (const mode of ['keepAll', 'dropAll'] as const) {
      const s = new SimStorage();
      durableFile(s, 'd', 'f', bytesOf(1000, 1));
      const fd = s.open('d/f', false);
      s.write(fd, bytesOf(700, 2), 0, 700, 600);
      s.crash(42, mode);
      const after = s.fileBytes('d/f');
      if (mode === 'keepAll') expect(after).toEqual(new Uint8Array([...bytesOf(600, 1), ...bytesOf(700, 2)]));
      else expect(after).toEqual(bytesOf(1000, 1));
    }
  });

  it('a torn write mixes whole 512-byte sectors of old and new content', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(3500), fc.integer({ min: 1, max: 2500 }), fc.integer(), (old, position, length, seed) => {
        const s = new SimStorage();
        durableFile(s, 'd', 'f', old);
        const fd = s.open('d/f', false);
        const data = new Uint8Array(length).map((_, index) => (index % 251) + 1);
        s.write(fd, data, 0, length, position);
        const fresh = s.fileBytes('d/f');
        s.crash(seed, 'random');
        const result = s.fileBytes('d/f');
        expect([old.length, fresh.length]).toContain(result.length);
        for (let start = 0; start < result.length; start += SECTOR_SIZE) {
          const end = Math.min(result.length, start + SECTOR_SIZE);
          const got = result.subarray(start, end);
          const before = new Uint8Array(end - start);
          before.set(old.subarray(start, end));
          const after = new Uint8Array(end - start);
          after.set(fresh.subarray(start, end));
          const isOld = Buffer.compare(got, before) === 0;
          const isNew = Buffer.compare(got, after) === 0;
          expect(isOld || isNew, `sector at ${start}`).toBe(true);
        }
      }),
      fcParams(400),
    );
  });

  it('produces torn states, not only all-or-nothing ones', () => {
    let tornCount = 0;
    for (let seed = 0; seed < 50; seed++) {
      const s = new SimStorage();
      durableFile(s, 'd', 'f', bytesOf(4 * SECTOR_SIZE, 1));
      const fd = s.open('d/f', false);
      s.write(fd, bytesOf(4 * SECTOR_SIZE, 2), 0, 4 * SECTOR_SIZE, 0);
      s.crash(seed);
      const sectors = new Set(Array.from({ length: 4 }, (_, index) => s.fileBytes('d/f')[index * SECTOR_SIZE]));
      if (sectors.size === 2) tornCount++;
    }
    expect(tornCount).toBeGreaterThan(5);
  });

  it('a created file whose directory was not synced may vanish, even with its data synced', () => {
    const outcomes = new Set<boolean>();
    for (let seed = 0; seed < 40; seed++) {
      const s = new SimStorage();
      s.mkdir('d');
      const fd = s.open('d/new', true);
      s.write(fd, bytesOf(10, 3), 0, 10, 0);
      s.sync(fd);
      s.crash(seed);
      outcomes.add(s.exists('d/new'));
      if (s.exists('d/new')) expect(s.fileBytes('d/new')).toEqual(bytesOf(10, 3));
    }
    expect(outcomes).toEqual(new Set([true, false]));
    const s = new SimStorage();
    s.mkdir('d');
    s.close(s.open('d/new', true));
    s.crash(0, 'dropAll');
    expect(s.exists('d/new')).toBe(false);
    expect(s.exists('d')).toBe(true);
  });

  it('a rename made durable by syncDir survives at the new name', () => {
    for (let seed = 0; seed < 30; seed++) {
      const s = new SimStorage();
      durableFile(s, 'd', 'final', bytesOf(20, 1));
      const fd = s.open('d/tmp', true);
      s.write(fd, bytesOf(30, 2), 0, 30, 0);
      s.sync(fd);
      s.close(fd);
      s.rename('d/tmp', 'd/final');
      s.syncDir('d');
      s.crash(seed);
      expect(s.list('d')).toEqual(['final']);
      expect(s.fileBytes('d/final')).toEqual(bytesOf(30, 2));
    }
  });

  it('an unsynced rename is atomic: the file is at exactly one name, a replaced file is old or new', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const s = new SimStorage();
      durableFile(s, 'd', 'a', bytesOf(5, 1));
      durableFile(s, 'e', 'b', bytesOf(6, 2));
      s.rename('d/a', 'e/b');
      s.crash(seed);
      const state = `${s.list('d').join()}|${s.list('e').join()}|${s.fileBytes('e/b').length}`;
      expect(['a|b|6', '|b|5']).toContain(state);
      seen.add(state);
      s.verify();
    }
    expect(seen.size).toBe(2);
  });

  it('a rename across directories is durable after syncing either directory, with the create it depends on', () => {
    for (let seed = 0; seed < 20; seed++) {
      const s = new SimStorage();
      s.mkdir('d');
      s.mkdir('e');
      const fd = s.open('d/a', true);
      s.write(fd, bytesOf(5, 1), 0, 5, 0);
      s.sync(fd);
      s.rename('d/a', 'e/b');
      s.syncDir('e');
      expect(s.pendingCounts().dirOpCount).toBe(0);
      s.crash(seed);
      expect(s.listAll()).toEqual(['d/', 'e/', 'e/b']);
      expect(s.fileBytes('e/b')).toEqual(bytesOf(5, 1));
    }
  });

  it('a failed sync loses its writes for good, though reads still see them', () => {
    const s = new SimStorage();
    durableFile(s, 'd', 'f', bytesOf(4, 1));
    const fd = s.open('d/f', false);
    s.write(fd, bytesOf(2, 5), 0, 2, 0);
    s.injectFault({ op: 'sync', kind: 'EIO', persistent: false });
    expect(codeOf(() => s.sync(fd))).toBe('EIO');
    expect([...s.fileBytes('d/f')]).toEqual([5, 5, 1, 1]);
    s.write(fd, bytesOf(1, 7), 0, 1, 3);
    s.sync(fd);
    expect([...s.fileBytes('d/f', 'durable')]).toEqual([1, 1, 1, 7]);
    s.crash(0, 'keepAll');
    expect([...s.fileBytes('d/f')]).toEqual([1, 1, 1, 7]);
    s.verify();
  });

  it('a failed sync is reported once to every fd opened before it, not to one opened after', () => {
    const s = new SimStorage();
    durableFile(s, 'd', 'f', bytesOf(4, 1));
    const failing = s.open('d/f', false);
    const other = s.open('d/f', false);
    s.write(failing, bytesOf(2, 5), 0, 2, 0);
    s.injectFault({ opIndex: s.opCount, kind: 'EIO', persistent: false });
    expect(codeOf(() => s.sync(failing))).toBe('EIO');
    const later = s.open('d/f', false);
    s.write(failing, bytesOf(1, 7), 0, 1, 3);
    // The other fd reports the failure once, after making the later write durable.
    expect(codeOf(() => s.sync(other))).toBe('EIO');
    expect([...s.fileBytes('d/f', 'durable')]).toEqual([1, 1, 1, 7]);
    s.sync(other);
    s.sync(failing);
    s.sync(later);
    s.verify();
  });
});

describe('crash points', () => {
  function workload(s: SimStorage): number {
    let done = 0;
    s.mkdir('d');
    done++;
    const fd = s.open('d/f', true);
    done++;
    for (let index = 0; index < 6; index++) {
      s.write(fd, bytesOf(100, index + 1), 0, 100, index * 100);
      done++;
      s.sync(fd);
      done++;
    }
    s.syncDir('d');
    done++;
    s.close(fd);
    done++;
    return done;
  }

  it('stops at exactly the requested operation and refuses every later one', () => {
    const total = workload(new SimStorage());
    for (let crashIndex = 0; crashIndex < total; crashIndex++) {
      const s = new SimStorage();
      s.crashAt(crashIndex, crashIndex);
      let error: unknown;
      try {
        workload(s);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SimCrash);
      expect((error as SimCrash).opIndex).toBe(crashIndex);
      expect(error).not.toHaveProperty('code');
      expect(s.opCount).toBe(crashIndex);
      expect(s.crashed).toBe(true);
      expect(() => s.exists('d')).toThrow(SimCrash);
      expect(() => s.list('')).toThrow(SimCrash);
      expect(s.opCount).toBe(crashIndex);
      s.recoverFromCrash();
      expect(s.crashed).toBe(false);
      // Every write synced before the crash survives (the directory entry only once synced).
      if (s.exists('d/f')) {
        const content = s.fileBytes('d/f');
        const syncedWriteCount = Math.max(0, Math.floor((crashIndex - 2) / 2));
        expect(content.length).toBeGreaterThanOrEqual(syncedWriteCount * 100);
        for (let index = 0; index < syncedWriteCount; index++) expect(content[index * 100]).toBe(index + 1);
      } else {
        expect(crashIndex).toBeLessThan(total - 1);
      }
      s.verify();
    }
  });

  it('an in-flight write may be kept whole, dropped or torn', () => {
    const s = new SimStorage();
    durableFile(s, 'd', 'f', new Uint8Array(0));
    const fd = s.open('d/f', false);
    s.crashAt(s.opCount, 3, 'keepAll');
    expect(() => s.write(fd, bytesOf(10, 4), 0, 10, 0)).toThrow(SimCrash);
    s.recoverFromCrash();
    expect(s.fileBytes('d/f')).toEqual(bytesOf(10, 4));
    expect(codeOf(() => s.size(fd))).toBe('EBADF');
  });

  it('recoverFromCrash after an armed crash that was never reached crashes now', () => {
    const s = new SimStorage();
    s.crashAt(1000, 1, 'dropAll');
    s.close(s.open('f', true));
    s.recoverFromCrash();
    expect(s.exists('f')).toBe(false);
    expect(s.crashArmed).toBe(false);
  });

  it('isSimCrash sees through a wrapping cause', () => {
    const crash = new SimCrash(3, 'write');
    expect(isSimCrash(new Error('wrapped', { cause: crash }))).toBe(true);
    expect(isSimCrash(new Error('other'))).toBe(false);
  });
});

describe('faults', () => {
  it('fires once or persistently, on matching op and path only', () => {
    const s = new SimStorage();
    s.mkdir('d');
    const fd = s.open('d/log', true);
    const other = s.open('d/seg', true);
    const one = new Uint8Array(1);
    s.injectFault({ op: 'write', path: 'd/log', kind: 'EIO', persistent: false });
    expect(s.write(other, one, 0, 1, 0)).toBe(1);
    expect(codeOf(() => s.write(fd, one, 0, 1, 0))).toBe('EIO');
    expect(s.write(fd, one, 0, 1, 0)).toBe(1);
    s.injectFault({ op: 'write', path: /log$/, kind: 'ENOSPC', persistent: true });
    for (let index = 0; index < 3; index++) expect(codeOf(() => s.write(fd, one, 0, 1, 0))).toBe('ENOSPC');
    expect(s.write(other, one, 0, 1, 0)).toBe(1);
    expect(s.faultCount).toBe(4);
    s.clearFaults();
    expect(s.write(fd, one, 0, 1, 0)).toBe(1);
  });

  it('fires at an operation index', () => {
    const s = new SimStorage();
    s.injectFault({ opIndex: 2, kind: 'EIO', persistent: false });
    s.exists('a');
    s.exists('a');
    expect(codeOf(() => s.mkdir('a'))).toBe('EIO');
    expect(s.exists('a')).toBe(false);
    s.mkdir('a');
    expect(s.opCount).toBe(5);
  });

  it('a short write writes and returns less', () => {
    const s = new SimStorage();
    const fd = s.open('f', true);
    s.injectFault({ op: 'write', kind: 'short', persistent: false });
    expect(s.write(fd, bytesOf(9, 1), 0, 9, 0)).toBe(4);
    expect(s.size(fd)).toBe(4);
    s.injectFault({ kind: 'short', persistent: true });
    expect(s.size(fd)).toBe(4);
    expect(s.write(fd, bytesOf(1, 1), 0, 1, 0)).toBe(0);
  });
});

describe('determinism and forking', () => {
  const opArb = fc.oneof(
    fc.record({ kind: fc.constant('open' as const), name: fc.constantFrom('a', 'b', 'c'), dir: fc.constantFrom('d', 'e') }),
    fc.record({ kind: fc.constant('write' as const), position: fc.nat(2000), length: fc.integer({ min: 1, max: 1200 }), fill: fc.nat(255) }),
    fc.record({ kind: fc.constant('resize' as const), size: fc.nat(2500) }),
    fc.record({ kind: fc.constant('sync' as const) }),
    fc.record({ kind: fc.constant('rename' as const), from: fc.constantFrom('d/a', 'd/b', 'e/c'), to: fc.constantFrom('d/b', 'e/a', 'e/c') }),
    fc.record({ kind: fc.constant('remove' as const), path: fc.constantFrom('d/a', 'e/b', 'e/c') }),
    fc.record({ kind: fc.constant('syncDir' as const), dir: fc.constantFrom('d', 'e') }),
    fc.record({ kind: fc.constant('crash' as const), seed: fc.integer() }),
  );
  type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

  function run(s: SimStorage, ops: Op[]): void {
    s.mkdir('d');
    s.mkdir('e');
    let fd: number | undefined;
    for (const op of ops) {
      try {
        if (op.kind === 'open') fd = s.open(`${op.dir}/${op.name}`, true);
        else if (op.kind === 'write' && fd !== undefined) s.write(fd, bytesOf(op.length, op.fill), 0, op.length, op.position);
        else if (op.kind === 'resize' && fd !== undefined) s.resize(fd, op.size);
        else if (op.kind === 'sync' && fd !== undefined) s.sync(fd);
        else if (op.kind === 'rename') s.rename(op.from, op.to);
        else if (op.kind === 'remove') s.remove(op.path);
        else if (op.kind === 'syncDir') s.syncDir(op.dir);
        else if (op.kind === 'crash') s.crash(op.seed);
      } catch (e) {
        expect(['ENOENT', 'EBADF']).toContain((e as { code?: unknown }).code);
      }
      s.verify();
    }
  }

  it('the same history and seed give the same state; a clone is independent', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), fc.integer(), (ops, seed) => {
        const s = new SimStorage();
        run(s, ops);
        const fork = s.clone();
        fork.verify();
        expectSameState(fork.snapshot(), s.snapshot());
        const before = s.snapshot();
        s.crash(seed);
        expectSameState(fork.snapshot(), before);
        fork.crash(seed);
        expectSameState(fork.snapshot(), s.snapshot());
        const replay = new SimStorage();
        run(replay, ops);
        replay.crash(seed);
        expectSameState(replay.snapshot(), s.snapshot());
      }),
      fcParams(200),
    );
  });

  it('dropAll gives the durable view', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), (ops) => {
        const s = new SimStorage();
        run(s, ops);
        const durable = s.durableView();
        s.crash(0, 'dropAll');
        expectSameState(s.snapshot(), durable);
      }),
      fcParams(200),
    );
  });

  it('different seeds reach different states', () => {
    const states = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const s = new SimStorage();
      s.mkdir('d');
      for (const name of ['a', 'b', 'c']) {
        const fd = s.open(`d/${name}`, true);
        s.write(fd, bytesOf(1000, 1), 0, 1000, 0);
      }
      s.crash(seed);
      states.add(JSON.stringify(Object.entries(s.snapshot().files).map(([path, bytes]) => [path, [...bytes].join('')])));
    }
    expect(states.size).toBeGreaterThan(10);
  });
});
