/** `rvm heap <dir> <segment>`: statistics and check() of an @rvm/alloc heap. */
import type { HeapStats } from '@rvm/alloc';
import { RvmError } from '@rvm/core';
import type { CommandSpec } from '../command.js';
import { EXIT_OK, EXIT_PROBLEM } from '../command.js';
import { formatFields, formatSize, formatTable, plural, toJson } from '../format.js';
import { openStore } from '../open-store.js';
import { print } from '../output.js';

export const heapCommand: CommandSpec = {
  name: 'heap',
  summary: 'Show the statistics of the @rvm/alloc heap in a segment, and check it.',
  positionals: ['dir', 'segment'],
  options: {
    json: { type: 'boolean', description: 'Print stats, roots and the check as JSON.' },
  },
  details: `
Opens the store (which recovers it, and fails with LOCKED while another process
has it open), maps the segment, opens the heap, prints stats() and the roots,
and runs check(), which verifies every block, the free lists and the roots.

Exit code: 0 when the check passes, 1 when it finds a violation (printed with
its offset) or the segment holds no heap.`,
  async run(args) {
    // Loaded here, not at startup: the other commands do without the allocator.
    const { Heap } = await import('@rvm/alloc');
    const { rvm } = openStore(args.positionals.dir!, 'recovering');
    try {
      const name = args.positionals.segment!;
      const segments = rvm.listSegments();
      if (!segments.some((s) => s.name === name)) {
        const known = segments.length === 0 ? 'it has no segments' : `its segments: ${segments.map((s) => s.name).join(', ')}`;
        throw new RvmError('SEGMENT_NOT_FOUND', `Segment "${name}" does not exist in ${rvm.dir} (${known}).`, { segment: name });
      }
      const segment = rvm.map(name);
      const heap = Heap.open(rvm, segment);
      const stats = heap.stats();
      const roots = heap.roots();
      const check = heap.check();
      if (args.flags.json === true) {
        print(toJson({ segment: segment.name, segmentSize: segment.size, stats, roots, check: check ?? 'ok' }));
      } else {
        print(formatHeap(segment.name, segment.size, stats, roots, check).join('\n'));
      }
      return check === null ? EXIT_OK : EXIT_PROBLEM;
    } finally {
      rvm.close();
    }
  },
};

function formatHeap(name: string, segmentSize: number, s: HeapStats, roots: ReadonlyArray<{ name: string; offset: number }>, check: string | null): string[] {
  const lines = formatFields([
    ['Heap', `segment "${name}" (${formatSize(segmentSize)}), heap ${s.heapSize} bytes, capacity ${s.capacity} bytes`],
    ['Allocated', `${plural(s.allocatedCount, 'block')}, ${s.allocatedSize} bytes (${s.usableSize} usable)`],
    ['Free', `${plural(s.freeCount, 'block')}, ${s.freeSize} bytes, largest block ${s.freeBlockSizeMax} bytes`],
    ['Largest alloc', `${s.allocSizeMax} bytes without growing`],
    ['Fragmentation', s.fragmentation.toFixed(3)],
    ['Roots', roots.length === 0 ? 'none' : roots.map((r) => `${r.name} -> ${r.offset}`)],
    ['Check', check === null ? 'ok' : `FAILED at ${check}`],
  ]);
  if (s.classes.length > 0) {
    const rows = s.classes.map((c) => [`${c.blockSizeMin}..${c.blockSizeMax}`, String(c.allocatedCount), String(c.freeCount)]);
    lines.push('', ...formatTable(['BLOCK SIZE', 'ALLOCATED', 'FREE'], rows, '  '));
  }
  return lines;
}
