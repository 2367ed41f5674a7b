/** `rvm verify <dir>`: check the store's files; exit code 1 when something is wrong. */
import { verifyStore } from '@rvm/core/inspect';
import type { CommandSpec } from '../command.js';
import { EXIT_OK, EXIT_PROBLEM } from '../command.js';
import { formatSize, plural, toJson } from '../format.js';
import { print } from '../output.js';
import { ProgressBar } from '../progress-bar.js';

export const verifyCommand: CommandSpec = {
  name: 'verify',
  summary: 'Check every log record and the segment files; report what is wrong and where.',
  positionals: ['dir'],
  options: {
    json: { type: 'boolean', description: 'Print the problems and notes as JSON.' },
  },
  details: `
Checks, without opening the store (no lock, no recovery, no writes):
  - the store file (size, magic number, checksum, format version);
  - the log header, and every record of the current generation: magic, salt,
    size, checksum, sequence number and body, with the scanner recovery uses;
    a damaged record that a later record shows had been synced is LOG_CORRUPT
    (recovery refuses the log); a damaged last record is a torn tail, which a
    crash leaves and recovery discards (a note, not a problem);
  - that every segment the log writes to has a file, large enough for every
    range written to it (SEGMENT_MISSING, SEGMENT_SHORT).
Each problem names its code, the file, and the log offset and record.

Exit code: 0 when no problem was found, 1 when one was, 2 for a usage mistake.`,
  run(args) {
    const dir = args.positionals.dir!;
    const bar = new ProgressBar('verifying');
    let result;
    try {
      result = verifyStore(dir, { onProgress: (done, total) => bar.update(done, total) });
    } finally {
      bar.finish();
    }
    if (args.flags.json === true) {
      print(toJson(result));
    } else {
      const { log } = result;
      const lines = [
        log === null ? `${dir}: no log read` : `${dir}: ${plural(log.recordCount, 'record')} (${formatSize(log.recordsSize)}) in log generation ${log.generation}, ${plural(result.segmentCount, 'segment file')}`,
      ];
      for (const p of result.problems) {
        const where = p.position === undefined ? p.path : `${p.path} at offset ${p.position}${p.sequence === undefined ? '' : ` (record ${p.sequence})`}`;
        lines.push(`PROBLEM ${p.code} in ${where}: ${p.message}`);
      }
      for (const note of result.notes) lines.push(`note: ${note}`);
      lines.push(result.problems.length === 0 ? 'OK: no problems found.' : `${plural(result.problems.length, 'problem')} found.`);
      print(lines.join('\n'));
    }
    return result.problems.length === 0 ? EXIT_OK : EXIT_PROBLEM;
  },
};
