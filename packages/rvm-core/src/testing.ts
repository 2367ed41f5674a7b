/** Test support for packages built on @rvm/core: the simulated storage with crashes and faults. */
export { SimStorage, SimCrash, SimStorageError, isSimCrash, normalizePath } from './storage/sim-storage.js';
export type { CrashMode, SimErrorCode, SimFaultKind, SimFaultSpec, SimOp, SimSnapshot, SimStorageOptions } from './storage/sim-storage.js';
