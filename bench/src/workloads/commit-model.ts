/**
 * Commit rows: what one durable commit costs on its own, next to the physical rows it is
 * bounded by. `commit.flush128` is one transaction that changes one 128-byte record and
 * commits durably (a log append and an fdatasync), against `physical.append128-fdatasync`.
 * `commit.group64` is group commit: per step, 64 committers each commit one 128-byte record
 * asynchronously and the step ends when all 64 are durable, against
 * `physical.group64-fdatasync` (64 records, one write, one fdatasync).
 *
 * Record layout (both rows):
 * ```
 *  offset size field
 *       0    4 opIndex    uint32, the step that wrote the record last
 *       4    4 slot       uint32, the record's own index
 *       8  120 filler     0x42
 * ```
 */
export const COMMIT_RECORD_SIZE = 128;
export const COMMIT_COMMITTER_COUNT = 64;

export interface CommitParams {
  /** Bytes each commit changes (128). */
  readonly recordSize: number;
  /** Commits per step: 1 for flush128, 64 for group64. */
  readonly committerCount: number;
}

/** Writes a commit record's fields into `target` at `offset` (no allocation). */
export function encodeCommitRecord(target: Buffer, offset: number, opIndex: number, slot: number): void {
  target.writeUInt32LE(opIndex, offset);
  target.writeUInt32LE(slot, offset + 4);
}
