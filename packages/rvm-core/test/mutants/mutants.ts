/**
 * Deliberately broken variants of the core that the crash suite must catch
 * (run-mutants.ts applies each to a copy of the package and runs the suite).
 *
 * Each edit replaces text that must occur exactly once in its file: when the
 * core changes under an anchor, the script fails loudly instead of testing a
 * mutant that no longer breaks anything. Anchors are short, stable lines.
 */

export interface Edit {
  /** Path inside packages/rvm-core. */
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface Mutant {
  readonly name: string;
  /** What is broken, in the words of the issue where it lists it. */
  readonly title: string;
  readonly edits: readonly Edit[];
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'commit-without-fdatasync',
    title: 'commit without fdatasync (the log is never synced)',
    edits: [{ file: 'src/log/redo-log.ts', find: 'const written = this.writtenSequence;\n    this.storage.sync(this.syncFd);', replace: 'const written = this.writtenSequence;' }],
  },
  {
    name: 'commit-returns-before-sync',
    title: 'commit resolving before the sync (a flush commit returns, the log is synced on a later turn)',
    edits: [{ file: 'src/rvm.ts', find: 'this.counters.flushCommits++;\n      this.flushLog();', replace: 'this.counters.flushCommits++;\n      this.writeBatch();\n      setImmediate(() => {\n        try {\n          this.flushLog();\n        } catch {}\n      });' }],
  },
  {
    name: 'commit-async-resolves-at-write',
    title: 'commitAsync resolving when its record is written, before the group sync',
    edits: [{ file: 'src/rvm.ts', find: 'this.waiters.batchWritten(this.log.writtenSequence);', replace: 'this.waiters.batchWritten(this.log.writtenSequence);\n    this.waiters.durable(this.log.writtenSequence);' }],
  },
  {
    name: 'reset-before-segment-sync',
    title: 'log reset before the segment files are synced in truncation',
    edits: [{ file: 'src/rvm.ts', find: '          this.storage.sync(segment.syncFd);\n        }\n        this.log.reset();', replace: '        }\n        this.log.reset();\n        for (const segment of this.segmentsByName.values()) this.storage.sync(segment.syncFd);' }],
  },
  {
    name: 'replay-past-bad-checksum',
    title: 'recovery replaying past a bad checksum (checksums are not checked)',
    edits: [{ file: 'src/format/log-record.ts', find: '  if (recordChecksum(buf, pos + 8, pos + size, version) !== buf.readUInt32LE(pos + R_CHECKSUM)) return RecordCheck.Invalid;\n', replace: '' }],
  },
  {
    name: 'stop-silently-at-bad-record',
    title: 'recovery stopping silently at a bad record that valid records follow',
    edits: [{ file: 'src/log/log-scanner.ts', find: 'proveTornTail(window, pos, header.salt, header.version, sequence)', replace: '(false)' }],
  },
  {
    name: 'abort-restores-newest',
    title: 'abort restoring the newest instead of the oldest bytes of overlapping ranges',
    edits: [
      { file: 'src/transaction/transaction.ts', find: 'for (let k = 0; k < ranges.gapCount; k++) r.save(segment, ranges.gapStarts[k]!, ranges.gapEnds[k]! - ranges.gapStarts[k]!);', replace: 'r.save(segment, offset, length);' },
      { file: 'src/transaction/transaction.ts', find: 'for (let k = r.undoCount - 1; k >= 0; k--) {', replace: 'for (let k = 0; k < r.undoCount; k++) {' },
    ],
  },
  {
    name: 'no-dir-sync-after-create',
    title: 'no directory sync after creating a segment',
    edits: [{ file: 'src/rvm.ts', find: 'this.storage.rename(temp, path);\n      this.storage.syncDir(this.dir);', replace: 'this.storage.rename(temp, path);' }],
  },
  {
    name: 'salt-ignored',
    title: 'salt ignored (records of any generation validate)',
    edits: [
      { file: 'src/format/log-record.ts', find: '  if (buf.readUInt32LE(pos + R_SALT) !== salt >>> 0) return RecordCheck.Invalid;\n', replace: '' },
      { file: 'src/log/log-scanner.ts', find: ' || buf.readUInt32LE(i + R_SALT) !== salt >>> 0) return -1;', replace: ') return -1;' },
    ],
  },
  {
    name: 'truncation-ignores-open-transactions',
    title: 'truncation from memory writes the uncommitted bytes of open transactions',
    edits: [{ file: 'src/segment/page-writer.ts', find: '      patching = true;', replace: '      patching = false;' }],
  },
];
