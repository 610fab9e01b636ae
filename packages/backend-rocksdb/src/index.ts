export { backend } from './backend.js';
export type { RocksMetrics } from './metrics.js';
export { openRocksDbSpool, type RocksDbSpoolOptions } from './open.js';
export type { RocksOpenOptions } from './open-options.js';
export {
  COMPRESSION_TYPES,
  type CompressionType,
  LOG_LEVELS,
  type LogLevel,
  parseRocksParams,
  ROCKS_PARAM_KEYS,
  type RocksParamKey,
  type RocksParams,
} from './params.js';
export { RocksDbSpool } from './spool.js';
export type {
  BatchOperation,
  RocksStorage,
  RocksStorageFactory,
  StorageIterator,
  WriteOptions,
} from './storage.js';
