/** Entry point of `kv <dir> <command> ...`: runs cli-main.ts on the process's streams. */
import { EXIT_ERROR, runCli } from './cli-main.js';

runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`kv: unexpected error (a bug): ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = EXIT_ERROR;
  },
);
