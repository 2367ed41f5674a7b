/** `rvm log <dir>`: the records of the log, optionally filtered. */
import type { LogRecordInfo } from '@rvm/core/inspect';
import { readLogRecords } from '@rvm/core/inspect';
import { parseByteCount } from '../args.js';
import type { CommandSpec } from '../command.js';
import { EXIT_OK, EXIT_PROBLEM } from '../command.js';
import { formatSize, formatTable, plural } from '../format.js';
import { print, warn } from '../output.js';
import { describeTail } from './status.js';

/** Ranges shown per record in the table; --json always has them all. */
const RANGES_SHOWN_MAX = 4;

export const logCommand: CommandSpec = {
  name: 'log',
  summary: 'List the records of the log since the last truncation.',
  positionals: ['dir'],
  options: {
    segment: { type: 'string', valueName: 'NAME', description: 'Only records that write to this segment (and only its ranges).' },
    from: { type: 'string', valueName: 'OFFSET', description: 'Only ranges that end after this segment offset.' },
    to: { type: 'string', valueName: 'OFFSET', description: 'Only ranges that start before this segment offset.' },
    json: { type: 'boolean', description: 'One JSON object per record and line (JSON Lines).' },
  },
  details: `
Each record is one write to the log: the new values of one or more committed
transactions. Shown per record: its sequence number, its offset in the log file
(POSITION), its size, the transactions merged into it (COMMITS), the highest
sequence already synced when it was written (DURABLE), and its ranges as
segment@offset+length. The filters keep a record when one of its ranges matches
and show only the matching ranges. Offsets take 4096, 0x1000 or 4k.

Reads the log without opening the store (no lock, no recovery). The listing
stops where recovery would: at a torn tail, or at a damaged record, which is
reported on stderr with its position (exit code 1).`,
  run(args) {
    const listing = readLogRecords(args.positionals.dir!, {
      segment: args.strings.segment,
      offsetFrom: parseByteCount(args.strings.from, 'from'),
      offsetTo: parseByteCount(args.strings.to, 'to'),
    });
    const { log, records } = listing;
    if (args.flags.json === true) {
      // Lines built and written in chunks: a log can hold a million records.
      for (let i = 0; i < records.length; i += 1000) print(records.slice(i, i + 1000).map((r) => JSON.stringify(r)).join('\n'));
    } else if (log === null) {
      print('The store has no log yet.');
    } else {
      const rows = records.map((r) => [String(r.sequence), String(r.position), String(r.size), String(r.commitCount), String(r.durableSequence), formatRanges(r)]);
      if (rows.length > 0) print(formatTable(['SEQ', 'POSITION', 'SIZE', 'COMMITS', 'DURABLE', 'RANGES'], rows).join('\n'));
      const filtered = args.strings.segment !== undefined || args.strings.from !== undefined || args.strings.to !== undefined;
      const count = filtered ? `${records.length} of ${plural(log.recordCount, 'record')} match` : plural(log.recordCount, 'record');
      print(`${count} (${formatSize(log.recordsSize)} of log, generation ${log.generation}); the log ends ${describeTail(log)}`);
    }
    if (log?.corruption != null) {
      const c = log.corruption;
      warn(`rvm log: LOG_CORRUPT: the log is damaged at offset ${c.position} (record ${c.sequence}): ${c.reason}. Records after it are not listed; recovery refuses this log.`);
      return EXIT_PROBLEM;
    }
    return EXIT_OK;
  },
};

function formatRanges(record: LogRecordInfo): string {
  const shown = record.ranges.slice(0, RANGES_SHOWN_MAX).map((r) => `${r.segment}@${r.offset}+${r.length}`);
  // Ranges the filter left out are not counted: the table shows matches only.
  const hidden = record.ranges.length - shown.length;
  if (hidden > 0) shown.push(`(+${hidden} more)`);
  return shown.join(' ');
}
