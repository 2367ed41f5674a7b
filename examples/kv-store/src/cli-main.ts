/**
 * The `kv` command (cli-args.ts lists the commands), run against given
 * streams so tests can run it in-process; cli.ts runs it on the process's.
 * Output goes to stdout, errors to stderr as one line starting with the
 * error's stable code; the progress bar of import goes to stderr and only to
 * a terminal.
 *
 * Exit codes: 0 success, 1 an error (or `get` of a missing key), 2 a usage
 * mistake. The store is closed (and so flushed) before the command returns,
 * also after an error.
 */
import { closeSync, createReadStream, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parseCommandLine, USAGE, UsageError } from './cli-args.js';
import type { Command } from './cli-args.js';
import type { Json } from './json-value.js';
import { isBlank, parseOp } from './json-lines.js';
import { KvStore } from './kv-store.js';
import { formatBytes, ProgressBar } from './progress-bar.js';

export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** Where the command reads and writes: the process's streams, or test doubles. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

export interface OutputStream {
  readonly isTTY?: boolean;
  write(text: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}
/** Lines are written to stdout in chunks of about this many characters. */
const CHUNK_SIZE = 64 * 1024;

/** Runs one command; resolves to the exit code. Unexpected errors (bugs) are rejected. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let command: Command | 'help';
  try {
    command = parseCommandLine(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageError(io, e);
  }
  if (command === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  let kv: KvStore | undefined;
  try {
    kv = KvStore.open(command.dir, { durability: command.noFlush ? 'no-flush' : 'flush' });
    return await run(kv, command, io);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, e);
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') throw e;
    io.stderr.write(`kv ${command.name}: ${(e as Error).message}\n`);
    return EXIT_ERROR;
  } finally {
    kv?.close();
  }
}

async function run(kv: KvStore, command: Command, io: CliIo): Promise<number> {
  const { args, scan } = command;
  switch (command.name) {
    case 'put': {
      const pairs: Array<[string, Json]> = [];
      for (let i = 0; i < args.length; i += 2) pairs.push([args[i]!, parseValue(args[i + 1]!)]);
      if (pairs.length === 1) kv.put(pairs[0]![0], pairs[0]![1]);
      else kv.apply(pairs.map(([key, value]) => ({ op: 'put', key, value })));
      return 0;
    }
    case 'get': {
      const value = kv.get(args[0]!);
      if (value === undefined) {
        io.stderr.write(`kv get: NOT_FOUND: no key ${JSON.stringify(args[0])}.\n`);
        return EXIT_ERROR;
      }
      io.stdout.write(`${JSON.stringify(value)}\n`);
      return 0;
    }
    case 'del': {
      const deleted = kv.batch(() => args.map((key) => kv.del(key)));
      io.stdout.write(args.map((key, i) => `${deleted[i] ? 'deleted' : 'missing'}\t${key}\n`).join(''));
      return 0;
    }
    case 'scan':
      await writeLines(io.stdout, mapIterator(kv.scan(scan), ([key, value]) => (command.keysOnly ? key : `${key}\t${JSON.stringify(value)}`)));
      return 0;
    case 'count':
      io.stdout.write(`${kv.count(scan)}\n`);
      return 0;
    case 'stats': {
      const stats = kv.stats();
      const width = Math.max(...Object.keys(stats).map((k) => k.length));
      const lines = Object.entries(stats).map(([name, value]) => `${name.padEnd(width)}  ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(3) : String(value)}`);
      io.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    }
    case 'import':
      return importFile(kv, args[0]!, command.batchSize, io);
    case 'export':
      await writeLines(io.stdout, kv.export(scan));
      return 0;
    case 'batch': {
      const text = args[0] === '-' ? await readAll(io.stdin) : readFileSync(args[0]!, 'utf8');
      const ops = text.split('\n').flatMap((line, i) => (isBlank(line) ? [] : [parseOp(line, i + 1)]));
      kv.apply(ops);
      io.stdout.write(`applied ${ops.length} operations in one transaction\n`);
      return 0;
    }
    case 'verify':
      kv.verify();
      io.stdout.write(`ok: ${kv.count()} keys, every invariant holds\n`);
      return 0;
    default:
      throw new Error(`unreachable: command ${command.name}`);
  }
}

async function importFile(kv: KvStore, path: string, batchSize: number | undefined, io: CliIo): Promise<number> {
  let byteCountTotal: number | undefined;
  if (path !== '-') {
    const fd = openSync(path, 'r');
    try {
      const stat = fstatSync(fd);
      if (stat.isFile()) byteCountTotal = stat.size;
    } finally {
      closeSync(fd);
    }
  }
  const input = path === '-' ? io.stdin : createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const bar = new ProgressBar(io.stderr, byteCountTotal);
  const startMs = Date.now();
  let progressLast = { byteCount: 0, putCount: 0 };
  try {
    const report = await kv.import(lines, {
      ...(batchSize === undefined ? {} : { batchSize }),
      onProgress: (progress) => {
        progressLast = progress;
        bar.update(progress.byteCount, progress.putCount);
      },
    });
    bar.finish(report.byteCount, report.putCount);
    const seconds = ((Date.now() - startMs) / 1000).toFixed(2);
    io.stdout.write(`imported ${report.putCount} keys from ${report.lineCount} lines (${formatBytes(report.byteCount)}) in ${report.batchCount} transactions, ${seconds} s\n`);
    return 0;
  } catch (e) {
    bar.finish(progressLast.byteCount, progressLast.putCount);
    throw e;
  } finally {
    lines.close();
  }
}

function parseValue(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new UsageError(`The value ${JSON.stringify(text)} is not JSON. Quote a string: '"text"'.`);
  }
}

/** Writes lines in chunks, waiting when the pipe is full. */
async function writeLines(out: OutputStream, lines: Iterable<string>): Promise<void> {
  let chunk = '';
  for (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length >= CHUNK_SIZE) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
      chunk = '';
    }
  }
  if (chunk !== '') out.write(chunk);
}

async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

function usageError(io: CliIo, e: UsageError): number {
  io.stderr.write(`kv: ${e.message} See 'kv --help'.\n`);
  return EXIT_USAGE;
}

function* mapIterator<T, R>(source: Iterable<T>, fn: (item: T) => R): Generator<R> {
  for (const item of source) yield fn(item);
}
