/** Where commands write: results to stdout, messages and progress to stderr. */

/** Writes `text` and a newline to stdout. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Writes one message line to stderr. */
export function warn(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** A reader that closed the pipe (`rvm log | head`) wants no more output: stop quietly. */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
