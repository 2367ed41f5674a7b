import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Heap } from '@rvm/alloc';
import { Rvm } from '@rvm/core';
import { flipByte, holdStore, makeStore, rvm, rvmAll, tempDir } from './helpers.js';

/** Output lines of a run, without the trailing empty one. */
function lines(text: string): string[] {
  return text.split('\n').filter((line, index, all) => index < all.length - 1 || line !== '');
}

/** Every JSON line of `rvm log --json`. */
function jsonLines(text: string): Array<Record<string, unknown>> {
  return lines(text).map((line) => JSON.parse(line) as Record<string, unknown>);
}

const WRITES = [['a', 0, 16, 'A'], ['b', 100, 8, 'B'], ['a', 4000, 200, 'C']] as const;

describe('rvm status', () => {
  it('shows the format, lock, log and segments, and the same as JSON', async () => {
    const dir = tempDir();
    makeStore(dir, WRITES);
    const [human, asJson] = await rvmAll(['status', dir], ['status', dir, '--json']);
    expect(human!.status).toBe(0);
    expect(human!.stderr).toBe('');
    expect(human!.stdout).toContain(`Store     ${dir}\n`);
    expect(human!.stdout).toMatch(/^Format {4}version 1, store id [0-9a-f]{32}, created /m);
    expect(human!.stdout).toContain('Lock      free\n');
    expect(human!.stdout).toMatch(/^Log {7}3 records, \d+ B since the last truncation$/m);
    expect(human!.stdout).toMatch(/^ {10}generation 1 \(log format 2\), sequences 1\.\.3, file /m);
    expect(human!.stdout).toContain('  a        8.0 KiB  8192\n  b        4.0 KiB  4096\n');
    const json = JSON.parse(asJson!.stdout) as Record<string, any>;
    expect(json.formatVersion).toBe(1);
    expect(json.log).toMatchObject({ generation: 1, recordCount: 3, nextSequence: 4, tornTail: false, corruption: null });
    expect(json.segments).toEqual([{ name: 'a', size: 8192 }, { name: 'b', size: 4096 }]);
    expect(json.lock).toEqual({ checked: true, held: false, holder: null });
  });
});

describe('rvm log', () => {
  it('lists every record, filters by segment and offsets, and prints JSON lines', async () => {
    const dir = tempDir();
    makeStore(dir, WRITES);
    const [all, asJson, a, filtered] = await rvmAll(
      ['log', dir], ['log', dir, '--json'], ['log', dir, '--json', '--segment', 'a'], ['log', dir, '--from', '16', '--to', '0x1000'],
    );
    expect(all!.status).toBe(0);
    const table = lines(all!.stdout);
    expect(table[0]).toMatch(/^SEQ +POSITION +SIZE +COMMITS +DURABLE +RANGES$/);
    expect(table[1]).toMatch(/^1 +4096 +\d+ +1 +0 +a@0\+16$/);
    expect(table[2]).toMatch(/^2 +\d+ +\d+ +1 +1 +b@100\+8$/);
    expect(table[3]).toMatch(/^3 +\d+ +\d+ +1 +2 +a@4000\+200$/);
    expect(table[4]).toMatch(/^3 records \(.*generation 1\); the log ends cleanly at offset \d+/);

    const records = jsonLines(asJson!.stdout);
    expect(records.map((r) => r.sequence)).toEqual([1, 2, 3]);
    expect(records[1]).toMatchObject({ position: 4096 + (records[0]!.size as number), commitCount: 1, durableSequence: 1, ranges: [{ segment: 'b', offset: 100, length: 8 }] });
    expect(jsonLines(a!.stdout).map((r) => r.sequence)).toEqual([1, 3]);
    // Ranges [100, 108) and [4000, 4200) overlap [16, 4096); [0, 16) does not.
    expect(lines(filtered!.stdout).map((line) => line.split(' ')[0])).toEqual(['SEQ', '2', '3', '2']);
    expect(lines(filtered!.stdout).at(-1)).toMatch(/^2 of 3 records match/);
  });

  it('shows 0 records after rvm truncate', () => {
    const dir = tempDir();
    makeStore(dir, WRITES);
    const truncated = rvm('truncate', dir);
    expect(truncated.status).toBe(0);
    expect(truncated.stdout).toMatch(/^Applied 3 records \(\d+ B of log\): wrote 224 B to 2 segment files in \d+ ms; the log is empty \(generation 2\)\.\n$/);
    const after = rvm('log', dir);
    expect(after.status).toBe(0);
    expect(lines(after.stdout)).toEqual([expect.stringMatching(/^0 records \(0 B of log, generation 2\); the log ends /)]);
    const again = rvm('recover', dir);
    // A clean log needs no new generation at open.
    expect(again.stdout).toBe('Nothing to recover: the log held no records (now generation 2).\n');
  });
});

describe('rvm verify and a damaged log', () => {
  it('passes a clean store, and reports a damaged synced record with its offset (exit 1)', async () => {
    const dir = tempDir();
    makeStore(dir, WRITES);
    const [clean, asJson] = await rvmAll(['verify', dir], ['log', dir, '--json']);
    expect(clean!.status).toBe(0);
    expect(clean!.stdout).toContain('3 records');
    expect(clean!.stdout).toContain('OK: no problems found.');

    // Record 3 was written after record 2 was synced (its durableSequence is 2),
    // so damage to record 2 is corruption, not a torn tail.
    const [, second] = jsonLines(asJson!.stdout);
    const position = second!.position as number;
    flipByte(`${dir}/log`, position + 50);

    const [damaged, log, status] = await rvmAll(['verify', dir], ['log', dir], ['status', dir]);
    expect(damaged!.status).toBe(1);
    expect(damaged!.stdout).toContain(`PROBLEM LOG_CORRUPT in ${dir}/log at offset ${position} (record 2)`);
    expect(damaged!.stdout).toContain('1 problem found.');
    expect(log!.status).toBe(1);
    expect(lines(log!.stdout)[1]).toMatch(/^1 +4096 /);
    expect(log!.stderr).toContain(`LOG_CORRUPT: the log is damaged at offset ${position} (record 2)`);
    expect(status!.stdout).toContain(`ends: CORRUPT at offset ${position} (record 2)`);

    // Opening the store fails: one line on stderr naming the offset, no stack trace.
    const recover = rvm('recover', dir);
    expect(recover.status).toBe(1);
    expect(lines(recover.stderr)).toEqual([expect.stringMatching(new RegExp(`^rvm recover: LOG_CORRUPT: The log is damaged at offset ${position} \\(record 2\\)`))]);
  });

  it('reports a shortened segment file with the record that writes past its end', () => {
    const dir = tempDir();
    makeStore(dir, WRITES);
    fs.truncateSync(`${dir}/a.seg`, 4096);
    const result = rvm('verify', dir, '--json');
    expect(result.status).toBe(1);
    const problems = (JSON.parse(result.stdout) as { problems: Array<Record<string, unknown>> }).problems;
    expect(problems).toEqual([expect.objectContaining({ code: 'SEGMENT_SHORT', segment: 'a', sequence: 3, path: `${dir}/a.seg` })]);
    expect(problems[0]!.message).toMatch(/^segment "a" has 4096 bytes, but log record 3 at offset \d+ writes up to byte 4200\./);
  });
});

describe('rvm dump', () => {
  it('prints hexdump -C lines of the committed bytes, or of the file alone', async () => {
    const dir = tempDir();
    makeStore(dir, [['a', 16, 20, 'Q']]);
    const [dump, partial, file] = await rvmAll(['dump', dir, 'a', '--length', '64'], ['dump', dir, 'a', '--offset', '0x22', '--length', '5'], ['dump', dir, 'a', '--file', '--length', '48']);
    expect(dump!.status).toBe(0);
    expect(dump!.stdout).toBe([
      '00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
      '00000010  51 51 51 51 51 51 51 51  51 51 51 51 51 51 51 51  |QQQQQQQQQQQQQQQQ|',
      '00000020  51 51 51 51 00 00 00 00  00 00 00 00 00 00 00 00  |QQQQ............|',
      '00000030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
      '00000040',
      '',
    ].join('\n'));
    expect(dump!.stderr).toContain('1 log record not yet in the segment file');
    expect(partial!.stdout).toBe('00000022  51 51 00 00 00                                    |QQ...|\n00000027\n');
    expect(file!.stdout).toBe('00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000030\n');
  });
});

describe('rvm heap', () => {
  it('prints the statistics and check of a formatted heap', async () => {
    const dir = tempDir();
    const store = Rvm.open(dir);
    const segment = store.map('heap', 65536);
    let tx = store.begin();
    const heap = Heap.format(store, tx, segment);
    tx.commit();
    tx = store.begin();
    heap.setRoot(tx, 'users', heap.alloc(tx, 100));
    heap.alloc(tx, 40);
    tx.commit();
    const expected = heap.stats();
    store.close();

    const human = rvm('heap', dir, 'heap');
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(`Allocated      2 blocks, ${expected.allocatedSize} bytes (${expected.usableSize} usable)\n`);
    expect(human.stdout).toMatch(/^Roots {10}users -> \d+$/m);
    expect(human.stdout).toContain('Check          ok\n');
    // The first run recovered the store (and took the lock while it ran): these two can run at once.
    const [asJson, missing] = await rvmAll(['heap', dir, 'heap', '--json'], ['dump', dir, 'nope']);
    const json = JSON.parse(asJson!.stdout) as Record<string, unknown>;
    expect(json.stats).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(json.check).toBe('ok');
    expect(missing!.status).toBe(1);
    expect(missing!.stderr).toMatch(/^rvm dump: SEGMENT_NOT_FOUND: Segment "nope" does not exist in .*\n$/);
  });
});

describe('errors', () => {
  it('a store held by another process: LOCKED with the holder; status still reads it', async () => {
    const dir = tempDir();
    makeStore(dir, WRITES);
    const holder = await holdStore(dir);
    const [recover, status] = await rvmAll(['recover', dir], ['status', dir]);
    expect(recover!.status).toBe(1);
    expect(lines(recover!.stderr)).toEqual([expect.stringMatching(new RegExp(`^rvm recover: LOCKED: The store at ${dir} is open in pid ${holder.pid} on host `))]);
    expect(status!.status).toBe(0);
    expect(status!.stdout).toContain(`Lock      held by pid ${holder.pid} on host `);
    // The holder's open recovered the log; status reads the new generation.
    expect(status!.stdout).toMatch(/^Log {7}0 records/m);
    holder.stdin!.end();
  });

  it('a missing directory: one line, exit 1, nothing created; usage mistakes: exit 2', async () => {
    const dir = `${tempDir()}/missing`;
    const [status, truncate, help, option] = await rvmAll(['status', dir], ['truncate', dir], ['log', '--help'], ['status', dir, '--bogus']);
    for (const [command, result] of [['status', status!], ['truncate', truncate!]] as const) {
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`rvm ${command}: STORE_NOT_FOUND: ${dir} does not exist. Check the path; Rvm.open creates a store, inspection never does.\n`);
    }
    expect(fs.existsSync(dir)).toBe(false);
    expect(help!.status).toBe(0);
    expect(help!.stdout).toMatch(/^Usage: rvm log <dir> \[--segment NAME\] \[--from OFFSET\] \[--to OFFSET\] \[--json\]\n/);
    expect(option!.status).toBe(2);
    expect(option!.stderr).toBe("rvm status: Unknown option '--bogus'. See 'rvm status --help'.\n");
  });
});
