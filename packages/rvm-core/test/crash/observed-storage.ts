/**
 * A Storage that forwards every call to a SimStorage after telling a hook
 * which call is about to run. The exhaustive crash test uses it to capture the
 * disk before every storage call in one run of a workload, instead of
 * running the workload again for every crash point.
 *
 * Why a capture taken before call i stands for a crash at call i: the
 * simulator applies an in-flight write, resize, create, rename or remove as
 * a pending operation, exactly as if it had returned, and any other call in
 * flight has no effect. So the states a crash at call i may leave are those
 * of a crash right before call i (sync, syncDir, reads) or right before call
 * i + 1 (the pending kinds). `crash-exhaustive.test.ts` checks this against
 * SimStorage.crashAt on one workload.
 */
import type { FileHandle, Storage } from '../../src/index.js';
import type { SimOp, SimStorage } from '../../src/testing.js';

/** Calls after which the disk a crash may leave can differ. */
export const STATE_CHANGING_OPS: ReadonlySet<SimOp> = new Set<SimOp>(['open', 'write', 'sync', 'resize', 'mkdir', 'rename', 'remove', 'syncDir']);

export class ObservedStorage implements Storage {
  constructor(
    readonly sim: SimStorage,
    private readonly before: (op: SimOp) => void,
  ) {}

  open(path: string, create: boolean): FileHandle {
    this.before('open');
    return this.sim.open(path, create);
  }

  close(fd: FileHandle): void {
    this.before('close');
    this.sim.close(fd);
  }

  read(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number {
    this.before('read');
    return this.sim.read(fd, buffer, bufferOffset, length, position);
  }

  write(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number {
    this.before('write');
    return this.sim.write(fd, buffer, bufferOffset, length, position);
  }

  sync(fd: FileHandle): void {
    this.before('sync');
    this.sim.sync(fd);
  }

  syncAsync(fd: FileHandle, callback: (error: Error | null) => void): void {
    this.before('sync');
    this.sim.syncAsync(fd, callback);
  }

  size(fd: FileHandle): number {
    this.before('size');
    return this.sim.size(fd);
  }

  resize(fd: FileHandle, size: number): void {
    this.before('resize');
    this.sim.resize(fd, size);
  }

  exists(path: string): boolean {
    this.before('exists');
    return this.sim.exists(path);
  }

  mkdir(path: string): void {
    this.before('mkdir');
    this.sim.mkdir(path);
  }

  list(dir: string): string[] {
    this.before('list');
    return this.sim.list(dir);
  }

  rename(from: string, to: string): void {
    this.before('rename');
    this.sim.rename(from, to);
  }

  remove(path: string): void {
    this.before('remove');
    this.sim.remove(path);
  }

  syncDir(dir: string): void {
    this.before('syncDir');
    this.sim.syncDir(dir);
  }

  lock(path: string): void {
    this.before('lock');
    this.sim.lock(path);
  }

  unlock(path: string): void {
    this.before('unlock');
    this.sim.unlock(path);
  }
}
