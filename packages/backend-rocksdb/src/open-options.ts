import type { RocksParamKey, RocksParams } from './params.js';

/** RocksDB's own default memtable size, which KumoMTA gets when `write_buffer_size` is unset. */
const ROCKSDB_DEFAULT_WRITE_BUFFER_SIZE = 64 * 1024 * 1024;

/** The open options the storage adapter passes to RocksDB. */
export interface RocksOpenOptions {
  /** Block compression: Snappy when true, none when false. */
  compression: boolean;
  /** Bytes per memtable. */
  writeBufferSize: number;
  /** Table files kept open; -1 means no limit. */
  maxOpenFiles: number;
  /** Level of RocksDB's `LOG` file, in the binding's lowercase names. */
  infoLogLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'header';
}

/**
 * Keys that the binding can only apply at one value, because it hard-codes
 * the option: the value it opens with.
 */
const FIXED_BY_BINDING: Partial<Record<RocksParamKey, boolean>> = {
  paranoid_checks: false,
  level_compaction_dynamic_level_bytes: false,
};

/** Keys the rocksdb 5.2.1 binding has no option for. */
const NOT_EXPOSED: readonly RocksParamKey[] = [
  'increase_parallelism',
  'optimize_level_style_compaction',
  'optimize_universal_style_compaction',
  'compaction_readahead_size',
  'level0_stop_writes_trigger',
  'memtable_huge_page_size',
  'log_file_time_to_roll',
  'obsolete_files_period',
];

/** Maps validated `rocks_params` to the binding's open options. */
export function toOpenOptions(params: RocksParams): RocksOpenOptions {
  return {
    compression: params.compressionType === 'Snappy',
    writeBufferSize:
      params.writeBufferSize ?? ROCKSDB_DEFAULT_WRITE_BUFFER_SIZE,
    maxOpenFiles: params.maxOpenFiles ?? -1,
    infoLogLevel:
      params.logLevel.toLowerCase() as RocksOpenOptions['infoLogLevel'],
  };
}

/**
 * Lists the keys the table set that RocksDB will not see: those the
 * binding does not expose, and those it fixes at another value.
 */
export function unappliedKeys(params: RocksParams): RocksParamKey[] {
  const values: Partial<Record<RocksParamKey, unknown>> = {
    paranoid_checks: params.paranoidChecks,
    level_compaction_dynamic_level_bytes:
      params.levelCompactionDynamicLevelBytes,
  };
  return params.givenKeys.filter((key) => {
    if (NOT_EXPOSED.includes(key)) {
      return true;
    }
    const fixed = FIXED_BY_BINDING[key];
    return fixed !== undefined && values[key] !== fixed;
  });
}
