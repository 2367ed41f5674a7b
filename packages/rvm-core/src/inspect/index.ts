/**
 * @rvm/core/inspect: read-only inspection of a store directory, for tools
 * such as the `rvm` command. Nothing here opens the store, takes its lock,
 * recovers or writes; all of it works while another process has the store open.
 */
export { inspectStore } from './inspect-store.js';
export type { InspectOptions, StoreInspection } from './inspect-store.js';
export { readLogRecords } from './log-records.js';
export type { LogFilter, LogListing, LogRangeInfo, LogRecordInfo } from './log-records.js';
export type { LogCorruption, LogSummary, LogTail } from './log-snapshot.js';
export { readSegmentBytes } from './segment-bytes.js';
export type { SegmentBytes, SegmentBytesOptions } from './segment-bytes.js';
export { inspectStoreFile } from './store-files.js';
export type { LockInfo, SegmentFileInfo, StoreFileInfo } from './store-files.js';
export { verifyStore } from './verify-store.js';
export type { StoreVerification, VerifyProblem, VerifyProblemCode } from './verify-store.js';
