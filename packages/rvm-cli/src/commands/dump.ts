/** `rvm dump <dir> <segment>`: bytes of a segment in hex and ASCII. */
import { readSegmentBytes } from '@rvm/core/inspect';
import { parseByteCount } from '../args.js';
import type { CommandSpec } from '../command.js';
import { EXIT_OK, EXIT_PROBLEM } from '../command.js';
import { plural } from '../format.js';
import { hexdump } from '../hexdump.js';
import { print, warn } from '../output.js';

const LENGTH_DEFAULT = 256;

export const dumpCommand: CommandSpec = {
  name: 'dump',
  summary: 'Print bytes of a segment in hex and ASCII (hexdump -C layout).',
  positionals: ['dir', 'segment'],
  options: {
    offset: { type: 'string', valueName: 'N', description: 'First byte to show (default 0). Takes 4096, 0x1000 or 4k.' },
    length: { type: 'string', valueName: 'N', description: `Bytes to show (default ${LENGTH_DEFAULT}; fewer at the end of the segment).` },
    file: { type: 'boolean', description: "Show the segment file's bytes alone, without the log's records." },
  },
  details: `
Shows the committed bytes: the segment file with the valid records of the log
written over it, in memory, which is what the store holds after recovery. With
--file, the bytes of the segment file as of the last truncation. Offsets in
the left column are offsets in the segment. Identical lines are shown once,
then "*", as hexdump does. Reads without opening the store.`,
  run(args) {
    const offset = parseByteCount(args.strings.offset, 'offset') ?? 0;
    const length = parseByteCount(args.strings.length, 'length') ?? LENGTH_DEFAULT;
    const fromLog = args.flags.file !== true;
    const result = readSegmentBytes(args.positionals.dir!, args.positionals.segment!, { offset, length, fromLog });
    print(hexdump(result.bytes, result.offset).join('\n'));
    if (fromLog && result.recordCount > 0) warn(`(${plural(result.recordCount, 'log record')} not yet in the segment file applied to these bytes; --file shows the file alone)`);
    const corruption = result.log?.corruption;
    if (corruption != null) {
      warn(`rvm dump: LOG_CORRUPT: the log is damaged at offset ${corruption.position} (record ${corruption.sequence}); only the records before it were applied.`);
      return EXIT_PROBLEM;
    }
    return EXIT_OK;
  },
};
