/** Command-line parsing for one command, on node:util parseArgs. */
import { parseArgs } from 'node:util';
import type { CommandArgs, CommandSpec } from './command.js';
import { UsageError } from './command.js';

/** Parses `argv` (after the command name) for `spec`; null when help was asked for. */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): CommandArgs | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, option] of Object.entries(spec.options)) options[name] = { type: option.type };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs' messages are clear ("Unknown option '--x'"); drop its hint about '--'.
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
  if (parsed.values.help === true) return null;
  const given = parsed.positionals;
  if (given.length < spec.positionals.length) {
    throw new UsageError(`missing ${spec.positionals.slice(given.length).map((p) => `<${p}>`).join(' ')}`);
  }
  if (given.length > spec.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(given[spec.positionals.length])}`);
  const positionals: Record<string, string> = {};
  spec.positionals.forEach((name, index) => {
    positionals[name] = given[index]!;
  });
  const strings: Record<string, string | undefined> = {};
  const flags: Record<string, boolean> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    const value = parsed.values[name];
    if (option.type === 'string') strings[name] = typeof value === 'string' ? value : undefined;
    else flags[name] = value === true;
  }
  return { positionals, strings, flags };
}

/**
 * A byte offset or count: decimal, or hexadecimal with 0x, optionally with a
 * binary suffix (k, m, g: 1024, 1024², 1024³). `--length 4k`, `--offset 0x1f0`.
 */
export function parseByteCount(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(0x[0-9a-f]+|\d+)([kmg]?)$/i.exec(text.trim());
  if (match === null) throw new UsageError(`--${option} wants a number of bytes (like 4096, 0x1000 or 4k); got ${JSON.stringify(text)}`);
  const multiplier = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const value = Number(match[1]) * multiplier;
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${option} ${text} is too large`);
  return value;
}

/** The help text of a command. */
export function commandHelp(spec: CommandSpec): string {
  const optionWords = Object.entries(spec.options).map(([name, o]) => `[--${name}${o.valueName === undefined ? '' : ` ${o.valueName}`}]`);
  const lines = [`Usage: rvm ${spec.name} ${[...spec.positionals.map((p) => `<${p}>`), ...optionWords].join(' ')}`, '', spec.summary, ''];
  lines.push(spec.details.trim(), '');
  const rows: Array<[string, string]> = Object.entries(spec.options).map(([name, o]) => [`--${name}${o.valueName === undefined ? '' : ` ${o.valueName}`}`, o.description]);
  rows.push(['-h, --help', 'Show this help.']);
  const width = Math.max(...rows.map(([left]) => left.length));
  lines.push('Options:');
  for (const [left, right] of rows) lines.push(`  ${left.padEnd(width)}  ${right}`);
  return `${lines.join('\n')}\n`;
}
