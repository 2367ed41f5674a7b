/** In-process tests of the pieces that need no binary: help texts, the progress bar, byte counts. */
import { describe, expect, it } from 'vitest';
import { commandHelp, parseByteCount } from '../src/args.js';
import { COMMANDS } from '../src/main.js';
import { ProgressBar, renderBar } from '../src/progress-bar.js';

describe('help', () => {
  it('every command has a usage line, its options and --help', () => {
    for (const command of COMMANDS) {
      const help = commandHelp(command);
      expect(help.startsWith(`Usage: rvm ${command.name} <dir>`)).toBe(true);
      for (const option of Object.keys(command.options)) expect(help).toContain(`--${option}`);
      expect(help).toContain('-h, --help');
    }
  });
});

describe('parseByteCount', () => {
  it('reads decimal, hex and binary suffixes, and refuses the rest', () => {
    expect(parseByteCount('4096', 'x')).toBe(4096);
    expect(parseByteCount('0x1f0', 'x')).toBe(0x1f0);
    expect(parseByteCount('4k', 'x')).toBe(4096);
    expect(parseByteCount('2M', 'x')).toBe(2 * 1024 * 1024);
    expect(parseByteCount(undefined, 'x')).toBeUndefined();
    for (const bad of ['-1', '1.5', 'k', '0x', '12q']) expect(() => parseByteCount(bad, 'x')).toThrow(/--x wants a number of bytes/);
  });
});

describe('ProgressBar', () => {
  it('draws on a terminal only after 250 ms, at most every 100 ms, and erases itself', () => {
    let now = 0;
    const written: string[] = [];
    const bar = new ProgressBar('verifying', { isTTY: true, write: (text: string) => written.push(text) }, () => now);
    bar.update(10, 100);
    now = 249;
    bar.update(20, 100);
    expect(written).toEqual([]);
    now = 250;
    bar.update(45, 100);
    now = 300;
    bar.update(50, 100);
    now = 350;
    bar.update(100, 100);
    expect(written).toEqual([`\r${renderBar('verifying', 45, 100)}`, `\r${renderBar('verifying', 100, 100)}`]);
    bar.finish();
    expect(written.at(-1)).toBe('\r\x1b[2K');
    expect(renderBar('verifying', 45, 100)).toBe('verifying [##############................]  45%');
  });

  it('draws nothing when the output is not a terminal', () => {
    let now = 0;
    const written: string[] = [];
    const bar = new ProgressBar('x', { isTTY: false, write: (text: string) => written.push(text) }, () => now);
    now = 1000;
    bar.update(1, 2);
    bar.finish();
    expect(written).toEqual([]);
  });
});
