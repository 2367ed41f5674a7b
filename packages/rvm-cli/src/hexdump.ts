/**
 * `hexdump -C` layout: offset, 16 bytes in two groups of eight, the printable
 * ASCII between bars; a run of identical lines is shown once, then `*`; the
 * last line is the offset just past the end.
 */
const LINE_SIZE = 16;

/** Lines for `bytes`, whose first byte is at `offset` (of the segment). */
export function hexdump(bytes: Uint8Array, offset: number): string[] {
  const end = offset + bytes.length;
  const offsetWidth = Math.max(8, end.toString(16).length);
  const lines: string[] = [];
  let previous: string | null = null;
  let starred = false;
  for (let start = 0; start < bytes.length; start += LINE_SIZE) {
    const chunk = bytes.subarray(start, Math.min(start + LINE_SIZE, bytes.length));
    const body = lineBody(chunk);
    // A full line equal to the one before is elided, as hexdump does.
    if (chunk.length === LINE_SIZE && body === previous) {
      if (!starred) lines.push('*');
      starred = true;
      continue;
    }
    previous = body;
    starred = false;
    lines.push(`${(offset + start).toString(16).padStart(offsetWidth, '0')}  ${body}`);
  }
  lines.push(end.toString(16).padStart(offsetWidth, '0'));
  return lines;
}

function lineBody(chunk: Uint8Array): string {
  let hex = '';
  let ascii = '';
  for (let i = 0; i < LINE_SIZE; i++) {
    const byte = chunk[i];
    hex += byte === undefined ? '   ' : `${byte.toString(16).padStart(2, '0')} `;
    if (i === 7) hex += ' ';
    if (byte !== undefined) ascii += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
  }
  return `${hex} |${ascii}|`;
}
