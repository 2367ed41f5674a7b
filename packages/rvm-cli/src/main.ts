/**
 * The `rvm` command: dispatch to a command, and the one place errors become
 * messages. An expected failure (an RvmError or HeapError, an errno error from
 * the file system, a usage mistake) is one line on stderr, no stack trace,
 * and a non-zero exit code; anything else is a bug and shows its stack.
 */
import { parseCommandArgs, commandHelp } from './args.js';
import type { CommandSpec } from './command.js';
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, UsageError } from './command.js';
import { dumpCommand } from './commands/dump.js';
import { heapCommand } from './commands/heap.js';
import { logCommand } from './commands/log.js';
import { recoverCommand } from './commands/recover.js';
import { statusCommand } from './commands/status.js';
import { truncateCommand } from './commands/truncate.js';
import { verifyCommand } from './commands/verify.js';
import { exitQuietlyOnClosedPipe, print, warn } from './output.js';

export const COMMANDS: readonly CommandSpec[] = [statusCommand, logCommand, verifyCommand, dumpCommand, heapCommand, recoverCommand, truncateCommand];

/** Runs `rvm` with `argv` (the arguments after the program name); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    print((topic === undefined ? generalHelp() : commandHelp(topic)).trimEnd());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    warn(`rvm: unknown command ${JSON.stringify(name)}. Commands: ${COMMANDS.map((c) => c.name).join(', ')}. See 'rvm --help'.`);
    return EXIT_USAGE;
  }
  try {
    const args = parseCommandArgs(command, rest);
    if (args === null) {
      print(commandHelp(command).trimEnd());
      return EXIT_OK;
    }
    return await command.run(args);
  } catch (e) {
    if (e instanceof UsageError) {
      warn(`rvm ${command.name}: ${e.message.replace(/\.$/, '')}. See 'rvm ${command.name} --help'.`);
      return EXIT_USAGE;
    }
    const message = expectedErrorMessage(e);
    if (message === null) throw e;
    warn(`rvm ${command.name}: ${message}`);
    return EXIT_PROBLEM;
  }
}

/**
 * The message of an expected error, or null for a bug. RvmError and HeapError
 * messages start with their code; a file-system error gets its errno code and path.
 */
function expectedErrorMessage(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  if (e.name === 'RvmError' || e.name === 'HeapError') return e.message;
  // Node's fs errors already read "EACCES: permission denied, open '/x/log'".
  return e.message.startsWith(code) ? e.message : `${code}: ${e.message}`;
}

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: rvm <command> <dir> [options]',
    '',
    'Inspect, check and repair an @rvm/core store directory.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'rvm <command> --help' for a command's options.",
    'status, log, verify and dump only read the files, and work while another process',
    'has the store open; recover, truncate and heap open the store (which recovers it).',
    'Exit codes: 0 success, 1 a problem found or an error, 2 a usage mistake.',
    '',
  ].join('\n');
}
