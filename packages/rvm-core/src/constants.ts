/** Format versions and limits shared by the core. Format layouts live in src/format/. */

/** Version of the log and store files. Bump on any incompatible layout change. */
export const FORMAT_VERSION = 1;

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

export const STORE_FILE_NAME = 'store';
export const LOG_FILE_NAME = 'log';
export const LOCK_FILE_NAME = 'lock';
