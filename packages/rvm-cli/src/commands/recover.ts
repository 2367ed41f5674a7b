/** `rvm recover <dir>`: open the store (which recovers it) and close it. */
import type { CommandSpec } from '../command.js';
import { EXIT_OK } from '../command.js';
import { formatSize, plural, toJson } from '../format.js';
import type { Recovered } from '../open-store.js';
import { openStore } from '../open-store.js';
import { print } from '../output.js';

export const recoverCommand: CommandSpec = {
  name: 'recover',
  summary: 'Recover a store after a crash: apply its log to the segment files.',
  positionals: ['dir'],
  options: {
    json: { type: 'boolean', description: 'Print what recovery did as JSON.' },
  },
  details: `
Opens the store and closes it. Opening replays every valid record of the log
into the segment files, syncs them, and starts a new, empty log generation; a
torn tail (a write a crash interrupted) is discarded. The next Rvm.open would
do the same; running it now makes that open fast and the segment files whole.

Fails with LOCKED while another process has the store open, and with
LOG_CORRUPT (and the offset) when a record that had been synced is damaged.`,
  run(args) {
    const { rvm, recovered } = openStore(args.positionals.dir!, 'recovering');
    rvm.close();
    print(args.flags.json === true ? toJson(recovered) : describeRecovery(recovered, 'recover'));
    return EXIT_OK;
  },
};

/** One sentence on what opening the store applied; `command` names it. */
export function describeRecovery(r: Recovered, command: 'recover' | 'truncate'): string {
  if (r.recordCount === 0) return `Nothing to ${command}: the log held no records (now generation ${r.generation}).`;
  const verb = command === 'recover' ? 'Recovered' : 'Applied';
  return `${verb} ${plural(r.recordCount, 'record')} (${formatSize(r.logBytes)} of log): wrote ${formatSize(r.bytesApplied)} to ${plural(r.segmentsWritten, 'segment file')} in ${r.durationMs.toFixed(0)} ms; the log is empty (generation ${r.generation}).`;
}
