/**
 * The command-line shell over a store directory:
 *
 *   pnpm coda <store-dir> [--echo]
 *
 * Reads commands from stdin, one per line: interactively with a prompt when
 * stdin is a terminal, or piped (`printf 'mkdir /a\nls /\n' | pnpm coda
 * /tmp/store`). --echo prints each piped command after a prompt, so that a
 * piped run reads like a session. Each command that changes the tree is one
 * transaction committed with a flush: durable when its prompt returns.
 * Exit status: 0, or 1 when a piped command failed (as a script would), or 2
 * when the store cannot be opened.
 */
import { createInterface } from 'node:readline';
import { Store } from '@rvm/structs';
import { Session } from './commands.js';
import { FileServer } from './fs-ops.js';

function main(argv: string[]): number | Promise<number> {
  const args = argv.filter((a) => !a.startsWith('--'));
  const echo = argv.includes('--echo');
  const dir = args[0];
  if (dir === undefined || args.length > 1 || argv.includes('--help')) {
    process.stderr.write('usage: coda <store-dir> [--echo]   (then type help)\n');
    return 2;
  }
  let store: Store;
  try {
    store = Store.open(dir);
  } catch (e) {
    process.stderr.write(`coda: cannot open ${dir}: ${(e as Error).message}\n`);
    return 2;
  }
  const server = FileServer.open(store);
  const session = new Session(store, server, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: process.stderr,
  });
  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
  let failed = false;
  return new Promise<number>((resolve) => {
    const finish = (): void => {
      store.close();
      resolve(failed && !interactive ? 1 : 0);
    };
    rl.on('line', (line) => {
      if (echo && !interactive) process.stdout.write(`${session.prompt}${line}\n`);
      if (!session.run(line)) failed = true;
      if (session.quit) rl.close();
      else if (interactive) {
        rl.setPrompt(session.prompt);
        rl.prompt();
      }
    });
    rl.on('close', finish);
    if (interactive) {
      process.stdout.write(`coda metadata shell on ${dir}; type help\n`);
      rl.setPrompt(session.prompt);
      rl.prompt();
    }
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
