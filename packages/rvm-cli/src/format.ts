/** Text formatting shared by the commands: sizes, tables, JSON. */

/** `328 B`, `4.0 KiB`, `1.5 MiB`: binary units, one decimal above bytes. */
export function formatSize(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = size / 1024;
  let index = 0;
  while (value >= 1024 && index < units.length - 1) {
    value /= 1024;
    index++;
  }
  return `${value.toFixed(1)} ${units[index]}`;
}

/** `1 record`, `3 records`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = ''): string[] {
  const widths = header.map((h, column) => Math.max(h.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent + cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Label/value lines: `Label     value`, continuation lines indented under the value. */
export function formatFields(fields: ReadonlyArray<readonly [string, string | readonly string[]]>): string[] {
  const width = Math.max(...fields.map(([label]) => label.length));
  const lines: string[] = [];
  for (const [label, value] of fields) {
    const values = typeof value === 'string' ? [value] : value;
    values.forEach((text, index) => lines.push(`${(index === 0 ? label : '').padEnd(width)}  ${text}`.trimEnd()));
  }
  return lines;
}

/** Pretty JSON for whole documents (`--json` of status, verify, heap). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** An ISO time for a millisecond timestamp; "unknown" when it is not a valid date. */
export function formatTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? 'unknown' : date.toISOString();
}
