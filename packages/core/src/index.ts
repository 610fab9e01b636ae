export {
  describeArgument,
  validateEnumerateOptions,
  validateId,
  validateStoreArguments,
} from './arguments.js';
export type { BackendContext, SpoolBackend } from './backend.js';
export {
  DEFINITION_KEYS,
  type NormalizedSpoolDefinition,
  normalizeDefinition,
  type SpoolDefinition,
} from './definition.js';
export { directoryFix } from './directory-fix.js';
export {
  checkFreeSpace,
  DiskSpaceMonitor,
  type DiskSpaceMonitorOptions,
  type DiskUsage,
  readDiskUsage,
} from './disk-space.js';
export { formatDuration, parseDuration } from './duration.js';
export {
  errnoCode,
  findSpoolError,
  isSpoolError,
  SpoolError,
  SpoolErrorCode,
  type SpoolErrorContext,
} from './errors.js';
export { type ErrorMapper, KeyedQueue, SpoolLifecycle } from './lifecycle.js';
export {
  isProcessRunning,
  type LockedFile,
  type LockKind,
  lockHolderPid,
} from './lock-holder.js';
export { type SpoolLogger, silentLogger } from './logger.js';
export {
  type MakeDirectoriesOptions,
  type MkdirFunction,
  makeDirectories,
  makeLevelByLevel,
} from './make-directories.js';
export {
  DEFAULT_MIN_FREE,
  formatMinFree,
  type MinFree,
  parseMinFree,
  parseMinFreeOption,
} from './min-free.js';
export { firstLineOf, isModuleNotFound } from './module-errors.js';
export {
  describeType,
  describeValue,
  didYouMean,
  didYouMeanOption,
  type IntegerRange,
  invalidDefinition,
  readBoolean,
  readEnum,
  readInteger,
  rejectUnknownKeys,
} from './params.js';
export {
  type FileIdentity,
  type FileIdentityStats,
  fileIdentity,
  isMissingPathError,
  PathWatch,
  type SpoolCall,
  type WatchedPath,
} from './path-watch.js';
export { describePathOverlap, findPathOverlap } from './paths.js';
export {
  BUILT_IN_BACKENDS,
  SpoolRegistry,
  type SpoolRegistryOptions,
} from './registry.js';
export {
  type FileSystemCounts,
  freeBytesWithoutInodes,
  type OutOfSpaceFailure,
  outOfSpaceError,
  statfsNearest,
} from './space-errors.js';
export type {
  EnumerateOptions,
  Spool,
  SpoolCorruptEntry,
  SpoolEntry,
  SpoolItem,
  StoreOptions,
} from './spool.js';
export { SpoolId } from './spool-id.js';
