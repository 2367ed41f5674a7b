/**
 * @rvm/core: Lightweight Recoverable Virtual Memory for Node.js.
 * This file is the package's only public surface.
 */
export { Rvm } from './rvm.js';
export type { RvmOptions, BeginOptions, RvmQuery, RvmCounters, RecoveryReport, RvmLogger } from './rvm.js';
export { Segment } from './segment/segment.js';
export { Transaction } from './transaction/transaction.js';
export type { CommitOptions } from './transaction/transaction.js';
export type { CommitEvent, CommitListener, CommittedRange } from './log/commit-feed.js';
export type { UndeclaredWrite } from './segment/write-checker.js';
export { RvmError, AssertionError, isRvmError } from './errors.js';
export type { RvmErrorCode } from './errors.js';
export type { Storage, FileHandle } from './storage/storage.js';
export { NodeStorage } from './storage/node-storage.js';
export { FORMAT_VERSION, SEGMENT_SIZE_MAX, SEGMENT_NAME_PATTERN } from './constants.js';
