import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where the run happens. fdatasync cost depends on the file system and device under the
 * temporary directory, and other processes on a 2-core machine move every number, so both
 * are printed with the results.
 */
export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryTotalSize: number;
  readonly tmpDir: string;
  /** `df` type and source of the file system holding tmpDir, or 'unknown'. */
  readonly fsType: string;
  readonly fsSource: string;
  readonly loadAverageStart: readonly number[];
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  const tmpDir = os.tmpdir();
  const { fsType, fsSource } = describeFileSystem(tmpDir);
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryTotalSize: os.totalmem(),
    tmpDir,
    fsType,
    fsSource,
    loadAverageStart: os.loadavg(),
  };
}

function describeFileSystem(dir: string): { fsType: string; fsSource: string } {
  try {
    // `df --output` is GNU; anything else falls back to 'unknown' rather than failing the run.
    const text = execFileSync('df', ['--output=fstype,source', dir], { encoding: 'utf8', timeout: 5_000 });
    const fields = text.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
    return { fsType: fields[0] ?? 'unknown', fsSource: fields[1] ?? 'unknown' };
  } catch {
    return { fsType: 'unknown', fsSource: 'unknown' };
  }
}

/**
 * One temporary root per run under os.tmpdir() (TMPDIR moves it). Subjects get fresh
 * subdirectories; the root is removed when the run ends, also on an exception or Ctrl-C.
 */
export class TempRoot {
  readonly dir: string;
  private subdirCount = 0;
  private removed = false;
  private readonly onSignal = (): void => {
    this.remove();
    process.exit(130);
  };

  constructor(prefix = 'rvm-bench-') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.once('exit', () => this.remove());
  }

  /** A new empty directory named after its user, e.g. `3-kv.get-lmdb`. */
  subdir(name: string): string {
    this.subdirCount += 1;
    const dir = path.join(this.dir, `${this.subdirCount}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    fs.mkdirSync(dir);
    return dir;
  }

  /** Removes one subdirectory as soon as its subject is closed, to keep the disk footprint small. */
  release(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Writes back every dirty page of the file system holding `dir` (`sync -f`, syncfs(2)).
 * Loading a workload's subjects leaves hundreds of MB of dirty pages; on ext4 (data=ordered)
 * the first fdatasync that commits the journal must write them first, so without this the
 * durable rounds would pay for the loads, and whoever ran first would pay most. Returns the
 * seconds it took, or null where `sync -f` is unavailable (then the rounds run anyway).
 */
export function syncFileSystem(dir: string): number | null {
  const start = performance.now();
  try {
    execFileSync('sync', ['-f', dir], { stdio: 'ignore', timeout: 120_000 });
  } catch {
    return null;
  }
  return (performance.now() - start) / 1000;
}
