/**
 * Opening a store for the commands that need Rvm.open (recover, truncate,
 * heap): check first that the directory holds a store, because Rvm.open would
 * create one, and report the progress of the recovery that opening runs.
 */
import { NodeStorage, Rvm } from '@rvm/core';
import type { FileHandle } from '@rvm/core';
import { inspectStoreFile } from '@rvm/core/inspect';
import { ProgressBar } from './progress-bar.js';

/** What recovery did, from the `recovered` event of the Rvm logger. */
export interface Recovered {
  readonly recordCount: number;
  readonly logBytes: number;
  readonly bytesApplied: number;
  readonly segmentsWritten: number;
  readonly generation: number;
  readonly durationMs: number;
}

export interface OpenedStore {
  readonly rvm: Rvm;
  readonly recovered: Recovered;
  /** Events the logger reported, in order (truncated, ...). */
  readonly events: Array<{ event: string; fields: Readonly<Record<string, unknown>> }>;
}

/**
 * Opens the store in `dir` (which must exist; STORE_NOT_FOUND otherwise) with
 * a progress bar labelled `label` over the recovery scan of the log.
 */
export function openStore(dir: string, label: string): OpenedStore {
  inspectStoreFile(dir);
  const bar = new ProgressBar(label);
  const events: Array<{ event: string; fields: Readonly<Record<string, unknown>> }> = [];
  let rvm: Rvm;
  try {
    rvm = Rvm.open(dir, {
      storage: new LogReadProgress(bar),
      logger: (event, fields) => events.push({ event, fields }),
    });
  } finally {
    bar.finish();
  }
  const fields = events.find((e) => e.event === 'recovered')?.fields ?? {};
  const number = (name: string): number => (typeof fields[name] === 'number' ? (fields[name] as number) : 0);
  const recovered: Recovered = {
    recordCount: number('recordCount'),
    logBytes: number('logBytes'),
    bytesApplied: number('bytesApplied'),
    segmentsWritten: number('segmentsWritten'),
    generation: number('generation'),
    durationMs: number('durationMs'),
  };
  return { rvm, recovered, events };
}

/**
 * The real file system, reporting how far reads of the log file have got.
 * Recovery reads the log front to back in large windows and does its other
 * work (applying records to segment files) as it goes, so the read position
 * over the file's size is its progress. The Rvm API has no progress event.
 */
class LogReadProgress extends NodeStorage {
  private logFd: FileHandle = -1;
  private logSize = 0;

  constructor(private readonly bar: ProgressBar) {
    super();
  }

  override open(path: string, create: boolean): FileHandle {
    const fd = super.open(path, create);
    if (path.endsWith('/log')) {
      this.logFd = fd;
      this.logSize = this.size(fd);
    }
    return fd;
  }

  override close(fd: FileHandle): void {
    if (fd === this.logFd) this.logFd = -1;
    super.close(fd);
  }

  override read(fd: FileHandle, buffer: Uint8Array, bufferOffset: number, length: number, position: number): number {
    const count = super.read(fd, buffer, bufferOffset, length, position);
    if (fd === this.logFd) this.bar.update(position + count, this.logSize);
    return count;
  }
}
