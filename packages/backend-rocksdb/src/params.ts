import {
  describeType,
  describeValue,
  didYouMean,
  invalidDefinition,
  isSpoolError,
  parseDuration,
  readBoolean,
  readEnum,
  readInteger,
  rejectUnknownKeys,
  SpoolError,
} from '@spoolkit/core';

/** The block compressions KumoMTA's `compression_type` names, case-sensitive. */
export const COMPRESSION_TYPES = [
  'None',
  'Snappy',
  'Zlib',
  'Bz2',
  'Lz4',
  'Lz4hc',
  'Zstd',
] as const;
export type CompressionType = (typeof COMPRESSION_TYPES)[number];

/** The compressions the `rocksdb` 5.2.1 binding is built with. */
const SUPPORTED_COMPRESSIONS: readonly CompressionType[] = ['None', 'Snappy'];

/** The RocksDB info-log levels KumoMTA's `log_level` names, case-sensitive. */
export const LOG_LEVELS = [
  'Debug',
  'Info',
  'Warn',
  'Error',
  'Fatal',
  'Header',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every key `rocks_params` accepts, in KumoMTA's order. */
export const ROCKS_PARAM_KEYS = [
  'increase_parallelism',
  'optimize_level_style_compaction',
  'optimize_universal_style_compaction',
  'paranoid_checks',
  'compression_type',
  'compaction_readahead_size',
  'level_compaction_dynamic_level_bytes',
  'max_open_files',
  'write_buffer_size',
  'level0_stop_writes_trigger',
  'log_level',
  'memtable_huge_page_size',
  'log_file_time_to_roll',
  'obsolete_files_period',
  'limit_concurrent_stores',
  'limit_concurrent_loads',
  'limit_concurrent_removes',
  'store_deadline',
  'error_latch_duration',
  'error_unlatch_duration',
  'allow_error_unlatch',
] as const;
export type RocksParamKey = (typeof ROCKS_PARAM_KEYS)[number];

const I32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const USIZE = { min: 0 };
/** The binding reads sizes as unsigned 32-bit integers. */
const U32 = { min: 0, max: 2 ** 32 - 1 };
const SEMAPHORE = { min: 1 };

/**
 * `rocks_params` after validation, with KumoMTA's defaults filled in.
 * Durations are in milliseconds; optional fields are `undefined` when unset.
 */
export interface RocksParams {
  /** Background threads for flushes and compactions. Not applied: the binding fixes them at 2. */
  increaseParallelism: number | undefined;
  /** Memtable budget in bytes for level-style compaction. Not applied. */
  optimizeLevelStyleCompaction: number | undefined;
  /** Memtable budget in bytes for universal-style compaction. Not applied. */
  optimizeUniversalStyleCompaction: number | undefined;
  /** @default false (the binding always opens with paranoid checks off) */
  paranoidChecks: boolean;
  /** Block compression; only `None` and `Snappy` pass validation. @default 'Snappy' */
  compressionType: CompressionType;
  /** Bytes of read-ahead for compactions. Not applied. */
  compactionReadaheadSize: number | undefined;
  /** @default false (the binding leaves RocksDB's default, false) */
  levelCompactionDynamicLevelBytes: boolean;
  /** Table files kept open; `undefined` opens with RocksDB's default, no limit. */
  maxOpenFiles: number | undefined;
  /** Bytes per memtable; `undefined` opens with RocksDB's default, 64 MiB. */
  writeBufferSize: number | undefined;
  /** Level-0 file count at which RocksDB stops writes. Not applied. */
  level0StopWritesTrigger: number | undefined;
  /** Level of RocksDB's own `LOG` file in the spool directory. @default 'Info' */
  logLevel: LogLevel;
  /** Huge-page size in bytes for memtables. Not applied. */
  memtableHugePageSize: number | undefined;
  /** Milliseconds after which `LOG` rolls over. Not applied. @default 86_400_000 (24 h) */
  logFileTimeToRollMs: number;
  /** Milliseconds between deletions of obsolete files. Not applied. @default 21_600_000 (6 h) */
  obsoleteFilesPeriodMs: number;
  /** Stores running at once; `undefined` is no limit. */
  limitConcurrentStores: number | undefined;
  /** Loads running at once; `undefined` is no limit. */
  limitConcurrentLoads: number | undefined;
  /** Removes running at once; `undefined` is no limit. */
  limitConcurrentRemoves: number | undefined;
  /** Milliseconds a store or remove waits out a write stall. @default 30_000 */
  storeDeadlineMs: number;
  /** Milliseconds of continued errors before the health latch closes. @default 15_000 */
  errorLatchDurationMs: number;
  /** Milliseconds without new errors before a closed latch opens again. @default 300_000 */
  errorUnlatchDurationMs: number;
  /** Whether a closed latch may open again by itself. @default true */
  allowErrorUnlatch: boolean;
  /** The keys the table set, in the order it listed them. */
  givenKeys: RocksParamKey[];
}

/**
 * Validates `rocks_params` for spool `spoolName` and fills in defaults.
 * Pure: it reads no file and does not load the native binding.
 *
 * @throws `SPOOL_INVALID_DEFINITION` naming the spool and the key. It is
 * thrown for an unknown key (with a "did you mean" hint), a value of the
 * wrong type, a fraction where an integer belongs, a wrong-case enum name
 * or an invalid duration. It is also thrown for a compression the binding
 * lacks, and when both `optimize_*` keys are set.
 */
export function parseRocksParams(
  table: Record<string, unknown> | undefined,
  spoolName: string,
): RocksParams {
  try {
    return parseTable(table ?? {}, spoolName);
  } catch (error) {
    if (isSpoolError(error)) {
      throw new SpoolError(error.code, error.message, {
        spool: spoolName,
        cause: error.cause,
      });
    }
    throw error;
  }
}

function parseTable(
  table: Record<string, unknown>,
  spoolName: string,
): RocksParams {
  if (table === null || typeof table !== 'object' || Array.isArray(table)) {
    throw invalidDefinition(
      `rocks_params of spool '${spoolName}' must be a table, got ${describeType(table)}`,
    );
  }
  rejectUnknownKeys(
    table,
    ROCKS_PARAM_KEYS,
    `rocks_params of spool '${spoolName}'`,
  );
  const read = new ParamReader(table, spoolName);

  const params: RocksParams = {
    increaseParallelism: read.integer('increase_parallelism', I32),
    optimizeLevelStyleCompaction: read.integer(
      'optimize_level_style_compaction',
      USIZE,
    ),
    optimizeUniversalStyleCompaction: read.integer(
      'optimize_universal_style_compaction',
      USIZE,
    ),
    paranoidChecks: read.boolean('paranoid_checks') ?? false,
    compressionType: read.compression(),
    compactionReadaheadSize: read.integer('compaction_readahead_size', USIZE),
    levelCompactionDynamicLevelBytes:
      read.boolean('level_compaction_dynamic_level_bytes') ?? false,
    maxOpenFiles: read.integer('max_open_files', {
      min: 0,
      max: 2 ** 31 - 1,
    }),
    writeBufferSize: read.integer('write_buffer_size', U32),
    level0StopWritesTrigger: read.integer('level0_stop_writes_trigger', I32),
    logLevel:
      read.enumeration('log_level', LOG_LEVELS) ?? ('Info' satisfies LogLevel),
    memtableHugePageSize: read.integer('memtable_huge_page_size', USIZE),
    logFileTimeToRollMs: read.duration('log_file_time_to_roll', 86_400_000),
    obsoleteFilesPeriodMs: read.duration('obsolete_files_period', 21_600_000),
    limitConcurrentStores: read.integer('limit_concurrent_stores', SEMAPHORE),
    limitConcurrentLoads: read.integer('limit_concurrent_loads', SEMAPHORE),
    limitConcurrentRemoves: read.integer('limit_concurrent_removes', SEMAPHORE),
    storeDeadlineMs: read.duration('store_deadline', 30_000),
    errorLatchDurationMs: read.duration('error_latch_duration', 15_000),
    errorUnlatchDurationMs: read.duration('error_unlatch_duration', 300_000),
    allowErrorUnlatch: read.boolean('allow_error_unlatch') ?? true,
    givenKeys: ROCKS_PARAM_KEYS.filter((key) => table[key] !== undefined),
  };

  if (
    params.optimizeLevelStyleCompaction !== undefined &&
    params.optimizeUniversalStyleCompaction !== undefined
  ) {
    throw invalidDefinition(
      `rocks_params of spool '${spoolName}' sets both optimize_level_style_compaction and optimize_universal_style_compaction; they select different compaction styles, so set at most one of them`,
    );
  }
  return params;
}

/** Reads one key at a time, naming the key and spool in every error. */
class ParamReader {
  readonly #table: Record<string, unknown>;
  readonly #spoolName: string;

  constructor(table: Record<string, unknown>, spoolName: string) {
    this.#table = table;
    this.#spoolName = spoolName;
  }

  integer(
    key: RocksParamKey,
    range: { min?: number; max?: number },
  ): number | undefined {
    const value = this.#table[key];
    return value === undefined
      ? undefined
      : readInteger(value, this.#where(key), range);
  }

  boolean(key: RocksParamKey): boolean | undefined {
    const value = this.#table[key];
    return value === undefined
      ? undefined
      : readBoolean(value, this.#where(key));
  }

  enumeration<T extends string>(
    key: RocksParamKey,
    choices: readonly T[],
  ): T | undefined {
    const value = this.#table[key];
    return value === undefined
      ? undefined
      : readEnum(value, choices, this.#where(key));
  }

  duration(key: RocksParamKey, defaultMs: number): number {
    const value = this.#table[key];
    return value === undefined
      ? defaultMs
      : parseDuration(value, this.#where(key));
  }

  /**
   * Accepts `None` and `Snappy`, the two the binding supports. A typo is
   * matched against those two only, so the hint never names a KumoMTA
   * compression that would fail next.
   */
  compression(): CompressionType {
    const value = this.#table.compression_type;
    if (value === undefined) {
      return 'Snappy';
    }
    if (value === 'None' || value === 'Snappy') {
      return value;
    }
    const kumoName = (COMPRESSION_TYPES as readonly unknown[]).includes(value);
    const hint =
      typeof value === 'string' && !kumoName
        ? didYouMean(value, SUPPORTED_COMPRESSIONS)
        : '';
    const problem = kumoName
      ? 'a compression kumod knows, but the rocksdb binding is built with Snappy only'
      : whyNotACompression(value);
    throw invalidDefinition(
      `${this.#where('compression_type')} is ${describeValue(value)}${hint}, ${problem}; use "Snappy" (the default) or "None"`,
    );
  }

  #where(key: RocksParamKey): string {
    return `rocks_params.${key} of spool '${this.#spoolName}'`;
  }
}

/**
 * Returns why a `compression_type` names no compression: a wrong case
 * of one of kumod's names (which the binding still lacks unless it is
 * `Snappy` or `None`), or not a name at all.
 */
function whyNotACompression(value: unknown): string {
  const sameLetters =
    typeof value === 'string'
      ? COMPRESSION_TYPES.find(
          (name) => name.toLowerCase() === value.toLowerCase(),
        )
      : undefined;
  if (sameLetters === undefined) {
    return 'not a compression name';
  }
  const lacking = (SUPPORTED_COMPRESSIONS as readonly string[]).includes(
    sameLetters,
  )
    ? ''
    : ', which the rocksdb binding lacks anyway';
  return `not a compression name: names are case-sensitive, and kumod spells it "${sameLetters}"${lacking}`;
}
