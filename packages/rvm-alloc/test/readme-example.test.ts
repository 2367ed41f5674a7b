/**
 * Runs the example of README.md. The code between the markers below must
 * appear verbatim in the README's example (which adds only the imports).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rvm } from '@rvm/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Heap } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function example(dir: string): string {
  const log: string[] = [];
  const print = (line: string): void => void log.push(line);
  // README example start
  const rvm = Rvm.open(dir);
  const segment = rvm.map('heap', 64 * 1024);
  let tx = rvm.begin();
  const heap = Heap.isFormatted(segment)
    ? Heap.open(rvm, segment, { sizeMax: 1 << 30 })
    : Heap.format(rvm, tx, segment, { sizeMax: 1 << 30 });
  const hello = heap.alloc(tx, 5);
  tx.setRange(segment, hello, 5); // declare bytes before changing them
  segment.bytes.write('hello', hello); // read segment.bytes again after any growth
  heap.setRoot(tx, 'greeting', hello);
  tx.commit();

  tx = rvm.begin();
  heap.free(tx, heap.getRoot('greeting'));
  heap.setRoot(tx, 'greeting', 0);
  tx.abort(); // the free and the root change are undone
  const found = heap.getRoot('greeting');
  print(segment.bytes.toString('utf8', found, found + 5)); // hello
  rvm.close();
  // README example end
  return log.join('\n');
}

describe('README example', () => {
  it('runs, and again over the reopened store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvm-alloc-readme-'));
    dirs.push(dir);
    expect(example(dir)).toBe('hello');
    expect(example(dir)).toBe('hello');
  });

  it('is the code the README shows', () => {
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const body = source.slice(source.indexOf('// README example start\n') + 24, source.indexOf('  // README example end'));
    const dedented = body.split('\n').map((line) => line.replace(/^ {2}/, '')).join('\n').replace('print(', 'console.log(');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(dedented);
  });
});
