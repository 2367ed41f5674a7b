/**
 * The command line of `kv`: `kv <dir> <command> [arguments] [options]`.
 * Parsing only; cli.ts runs the command. A mistake is a UsageError (exit 2).
 */
import { parseArgs } from 'node:util';
import type { ScanOptions } from './key-range.js';

export const USAGE = `Usage: kv <dir> <command> [arguments] [options]

Commands:
  put <key> <json> [<key> <json> ...]   set keys (several pairs: one transaction)
  get <key>                             print the value as JSON; exit 1 if missing
  del <key> [<key> ...]                 delete keys (several: one transaction)
  scan                                  print "key<TAB>value" lines in key order
  count                                 print the number of keys
  stats                                 print sizes and the B-tree's shape
  import <file.jsonl | ->               put every {"key":..,"value":..} line
  export                                print {"key":..,"value":..} lines
  batch <file.jsonl | ->                apply {"op":"put"|"del",..} lines in one transaction
  verify                                check every invariant of the store

Options:
  --prefix <p>      scan, count, export: keys starting with p
  --from <a>        scan, count, export: keys >= a
  --to <b>          scan, count, export: keys < b
  --limit <n>       scan, export: at most n entries
  --reverse         scan, export: largest key first
  --keys            scan: print keys only
  --batch-size <n>  import: lines per transaction (default 1000)
  --no-flush        commit without waiting for the disk; the store is flushed
                    when the command ends (see the README for what that means)
  --help            print this text
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Command {
  readonly dir: string;
  readonly name: string;
  readonly args: readonly string[];
  readonly scan: ScanOptions;
  readonly keysOnly: boolean;
  readonly batchSize: number | undefined;
  readonly noFlush: boolean;
}

/** How many positional arguments each command takes: [min, max, pairs?]. */
const ARITY: Record<string, readonly [number, number]> = {
  put: [2, Infinity],
  get: [1, 1],
  del: [1, Infinity],
  scan: [0, 0],
  count: [0, 0],
  stats: [0, 0],
  import: [1, 1],
  export: [0, 0],
  batch: [1, 1],
  verify: [0, 0],
};

/** Which options each command accepts besides --no-flush. */
const OPTIONS_OF: Record<string, readonly string[]> = {
  scan: ['prefix', 'from', 'to', 'limit', 'reverse', 'keys'],
  count: ['prefix', 'from', 'to'],
  export: ['prefix', 'from', 'to', 'limit', 'reverse'],
  import: ['batch-size'],
};

/** The parsed command, or 'help'. */
export function parseCommandLine(argv: readonly string[]): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        prefix: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        limit: { type: 'string' },
        reverse: { type: 'boolean' },
        keys: { type: 'boolean' },
        'batch-size': { type: 'string' },
        'no-flush': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    // parseArgs explains over several lines; an error is one line here.
    throw new UsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  const [dir, name, ...args] = positionals;
  if (dir === undefined || name === undefined) throw new UsageError('Give a store directory and a command.');
  const arity = ARITY[name];
  if (arity === undefined) throw new UsageError(`Unknown command "${name}".`);
  if (args.length < arity[0] || args.length > arity[1]) throw new UsageError(`"${name}" takes ${describeArity(arity)}; got ${args.length}.`);
  if (name === 'put' && args.length % 2 !== 0) throw new UsageError('"put" takes pairs of a key and a JSON value.');
  const allowed = OPTIONS_OF[name] ?? [];
  for (const option of Object.keys(values)) {
    if (option !== 'no-flush' && !allowed.includes(option)) throw new UsageError(`"${name}" does not take --${option}.`);
  }
  const scan: { prefix?: string; from?: string; to?: string; limit?: number; reverse?: boolean } = {};
  if (values.prefix !== undefined) scan.prefix = values.prefix;
  if (values.from !== undefined) scan.from = values.from;
  if (values.to !== undefined) scan.to = values.to;
  if (values.limit !== undefined) scan.limit = count('--limit', values.limit, 0);
  if (values.reverse === true) scan.reverse = true;
  return {
    dir,
    name,
    args,
    scan,
    keysOnly: values.keys === true,
    batchSize: values['batch-size'] === undefined ? undefined : count('--batch-size', values['batch-size'], 1),
    noFlush: values['no-flush'] === true,
  };
}

function count(option: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${option} takes an integer from ${min}; got "${text}".`);
  return n;
}

function describeArity([min, max]: readonly [number, number]): string {
  if (min === max) return min === 0 ? 'no arguments' : `${min} argument${min === 1 ? '' : 's'}`;
  return `at least ${min} argument${min === 1 ? '' : 's'}`;
}
