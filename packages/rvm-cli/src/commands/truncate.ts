/** `rvm truncate <dir>`: apply the log to the segment files and empty it. */
import type { CommandSpec } from '../command.js';
import { EXIT_OK } from '../command.js';
import { toJson } from '../format.js';
import { openStore } from '../open-store.js';
import { print } from '../output.js';
import { describeRecovery } from './recover.js';

export const truncateCommand: CommandSpec = {
  name: 'truncate',
  summary: 'Apply the log to the segment files and reclaim it.',
  positionals: ['dir'],
  options: {
    json: { type: 'boolean', description: 'Print what was done as JSON.' },
  },
  details: `
Opens the store, truncates its log and closes it. On a store no process has
open, opening already applies the log (recovery does a truncation's work), so
truncate() finds it empty; the result is the same as \`rvm recover\`: segment
files that hold every committed change, and an empty log.

Fails with LOCKED while another process has the store open: truncate it there
(rvm.truncate()), since only the holder may write the store.`,
  run(args) {
    const { rvm, recovered, events } = openStore(args.positionals.dir!, 'truncating');
    try {
      rvm.truncate();
      const { logSize, generation } = rvm.query();
      const truncated = events.find((e) => e.event === 'truncated')?.fields ?? null;
      if (args.flags.json === true) {
        print(toJson({ recovered, truncated, logSize, generation }));
      } else {
        print(describeRecovery(recovered, 'truncate'));
      }
    } finally {
      rvm.close();
    }
    return EXIT_OK;
  },
};
