/** `rvm status <dir>`: the store at a glance, read without opening it. */
import type { LogSummary, StoreInspection } from '@rvm/core/inspect';
import { inspectStore } from '@rvm/core/inspect';
import type { CommandSpec } from '../command.js';
import { EXIT_OK } from '../command.js';
import { formatFields, formatSize, formatTable, formatTime, plural, toJson } from '../format.js';
import { print } from '../output.js';

export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'Show the segments, the log, the lock holder and the format of a store.',
  positionals: ['dir'],
  options: {
    json: { type: 'boolean', description: 'Print the inspection as JSON.' },
  },
  details: `
Reads the store's files without opening it: takes no lock, recovers nothing,
writes nothing, so it works while another process has the store open. The log
figures are what a recovery would find if that process crashed now.`,
  run(args) {
    const inspection = inspectStore(args.positionals.dir!);
    print(args.flags.json === true ? toJson(inspection) : formatStatus(inspection).join('\n'));
    return EXIT_OK;
  },
};

export function formatStatus(s: StoreInspection): string[] {
  const lock = !s.lock.checked ? `unknown${s.lock.holder === null ? '' : `: ${s.lock.holder}`}`
    : s.lock.held ? `held by ${s.lock.holder}`
    : s.lock.holder !== null ? `free (a lock file of ${s.lock.holder}, which is gone, remains; the next open removes it)`
    : 'free';
  const total = s.segments.reduce((sum, segment) => sum + segment.size, 0);
  const lines = formatFields([
    ['Store', s.dir],
    ['Format', `version ${s.formatVersion}, store id ${s.storeId}, created ${formatTime(s.createdAt)}`],
    ['Lock', lock],
    ['Log', describeLog(s.log)],
    ['Segments', `${plural(s.segments.length, 'segment')}, ${formatSize(total)}`],
  ]);
  if (s.segments.length > 0) {
    lines.push('', ...formatTable(['SEGMENT', 'SIZE', 'BYTES'], s.segments.map((g) => [g.name, formatSize(g.size), String(g.size)]), '  '));
  }
  if (s.tempFiles.length > 0) lines.push('', `Leftover temporary files (the next open removes them): ${s.tempFiles.join(', ')}`);
  if (!s.stable) lines.push('', 'The log was truncated during every reading: the store is busy; figures may mix two generations.');
  return lines;
}

/** The log's lines for status. */
export function describeLog(log: LogSummary | null): string[] {
  if (log === null) return ['none yet (the next open creates it)'];
  const last = log.nextSequence - 1;
  const sequences = log.recordCount === 0 ? `next sequence ${log.nextSequence}` : `sequences ${log.startSequence}..${last}`;
  return [
    `${plural(log.recordCount, 'record')}, ${formatSize(log.recordsSize)} since the last truncation`,
    `generation ${log.generation} (log format ${log.version}), ${sequences}, file ${formatSize(log.fileSize)}`,
    `ends: ${describeTail(log)}`,
  ];
}

export function describeTail(log: LogSummary): string {
  const end = log.endOffset;
  switch (log.tail) {
    case 'end': return `at the end of the file (offset ${end})`;
    case 'zeros': return `cleanly at offset ${end} (preallocated zeros follow)`;
    case 'stale': return `at offset ${end}; older bytes follow (an earlier generation's records, or a write a crash cut short)`;
    case 'torn': return `at offset ${end} in a torn record: a write a crash interrupted, which recovery discards`;
    case 'corrupt': return `CORRUPT at offset ${log.corruption?.position} (record ${log.corruption?.sequence}): ${log.corruption?.reason}`;
  }
}
