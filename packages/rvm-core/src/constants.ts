/** Format versions and limits shared by the core. Format layouts live in src/format/. */

/** Version of the store file (format/store-meta.ts). Bump on any incompatible layout change. */
export const FORMAT_VERSION = 1;

/**
 * Version of the log (format/log-header.ts, format/log-record.ts), written in
 * each generation's header. 1: records checksummed with CRC-32C; 2: with XXH32
 * (format/xxh32.ts says why). A log of an older version in this list is
 * recovered and then reset to a generation of LOG_FORMAT_VERSION; an older
 * library meets the newer header and refuses it (VERSION_MISMATCH), so it
 * never reads XXH32 records as torn CRC-32C ones.
 */
export const LOG_FORMAT_VERSION = 2;
export const LOG_FORMAT_VERSION_MIN = 1;

/** Segment names: a leading letter, digit or underscore, then up to 99 of [A-Za-z0-9_.-]. */
export const SEGMENT_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
export const SEGMENT_FILE_SUFFIX = '.seg';
export const TEMP_FILE_SUFFIX = '.tmp';

/** The largest segment: a Node Buffer holds at most 4 GiB on 64-bit Node 20. */
export const SEGMENT_SIZE_MAX = 2 ** 32;

/** Default size of the log past which a commit triggers truncation. */
export const LOG_SIZE_MAX_DEFAULT = 64 * 1024 * 1024;

/** Bytes of snapshotted no-flush data held in memory before they are written (not synced) to the log. */
export const BATCH_SIZE_MAX_DEFAULT = 4 * 1024 * 1024;

/**
 * Ranges of no-flush commits held in memory before they are written, however
 * few bytes they hold. Writing a batch costs per byte and per range (its
 * encoding sorts and merges ranges that share pages): without this bound a
 * program committing a few bytes at a time gathered a million ranges and one
 * flush() held the event loop for 120-350 ms. 32,768 ranges take about 3 ms to
 * write, like a 4 MiB batch of large ranges (5 ms); a 4 MiB batch of 128-byte
 * ranges holds 29,000 of them, so usual batches are still bounded by size.
 */
export const BATCH_RANGE_COUNT_MAX = 32 * 1024;

export const STORE_FILE_NAME = 'store';
export const LOG_FILE_NAME = 'log';
export const LOCK_FILE_NAME = 'lock';
