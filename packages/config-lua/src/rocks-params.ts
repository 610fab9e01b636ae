import {
  invalidDefinition,
  parseDuration,
  readBoolean,
  readEnum,
  rejectUnknownKeys,
} from '@spoolkit/core';
import { formatLuaFloat } from './lua-reader.js';

type KeyType =
  | { type: 'usize' }
  | { type: 'i32' }
  | { type: 'boolean' }
  | { type: 'duration' }
  | { type: 'enum'; choices: readonly string[] };

const USIZE: KeyType = { type: 'usize' };
const I32: KeyType = { type: 'i32' };
const BOOLEAN: KeyType = { type: 'boolean' };
const DURATION: KeyType = { type: 'duration' };

/**
 * The `rocks_params` keys of KumoMTA's `RocksSpoolParams` and the Lua
 * types kumod's deserializer accepts for each.
 */
const ROCKS_PARAM_TYPES: Readonly<Record<string, KeyType>> = {
  increase_parallelism: I32,
  optimize_level_style_compaction: USIZE,
  optimize_universal_style_compaction: USIZE,
  paranoid_checks: BOOLEAN,
  compression_type: {
    type: 'enum',
    choices: ['None', 'Snappy', 'Zlib', 'Bz2', 'Lz4', 'Lz4hc', 'Zstd'],
  },
  compaction_readahead_size: USIZE,
  level_compaction_dynamic_level_bytes: BOOLEAN,
  max_open_files: USIZE,
  write_buffer_size: USIZE,
  level0_stop_writes_trigger: I32,
  log_level: {
    type: 'enum',
    choices: ['Debug', 'Info', 'Warn', 'Error', 'Fatal', 'Header'],
  },
  memtable_huge_page_size: USIZE,
  log_file_time_to_roll: DURATION,
  obsolete_files_period: DURATION,
  limit_concurrent_stores: USIZE,
  limit_concurrent_removes: USIZE,
  limit_concurrent_loads: USIZE,
  store_deadline: DURATION,
  error_latch_duration: DURATION,
  error_unlatch_duration: DURATION,
  allow_error_unlatch: BOOLEAN,
};

const KNOWN_KEYS = Object.keys(ROCKS_PARAM_TYPES);
const USIZE_MAX = 2n ** 64n - 1n;
const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;

/**
 * Rejects Lua floats in the integer keys of `rocks_params`. A backend receives
 * `2.0` and `2` as the same JS number, so only this side can tell them
 * apart. `floats` contains the paths of values that were Lua floats.
 */
export function rejectRocksFloats(
  params: Record<string, unknown>,
  floats: ReadonlySet<string>,
  where: string,
): void {
  for (const [key, value] of Object.entries(params)) {
    const type = ROCKS_PARAM_TYPES[key]?.type;
    if (
      (type === 'usize' || type === 'i32') &&
      typeof value === 'number' &&
      floats.has(`rocks_params.${key}`)
    ) {
      throw invalidDefinition(
        `rocks_params.${key} of ${where} must be an integer, got the Lua float ${formatLuaFloat(value)}; use // or math.floor() instead of /, and write sizes as 64 * 1024 * 1024 rather than 2^26`,
      );
    }
  }
}

/**
 * Checks `rocks_params` as kumod's deserializer would, plus two checks
 * kumod lacks: unknown keys and both `optimize_*_compaction` keys at once.
 * Used when no RocksDB backend validates the table. Call
 * `rejectRocksFloats` first. Throws `SPOOL_INVALID_DEFINITION` naming the
 * key.
 */
export function checkRocksParams(
  params: Record<string, unknown>,
  where: string,
): void {
  rejectUnknownKeys(params, KNOWN_KEYS, `rocks_params of ${where}`);

  for (const [key, value] of Object.entries(params)) {
    const type = ROCKS_PARAM_TYPES[key] as KeyType;
    const label = `rocks_params.${key} of ${where}`;
    switch (type.type) {
      case 'usize':
      case 'i32':
        checkInteger(value, type, label);
        break;
      case 'boolean':
        readBoolean(value, label);
        break;
      case 'duration':
        parseDuration(value, label);
        break;
      case 'enum':
        readEnum(value, type.choices, label);
        break;
    }
  }

  if (
    params.optimize_level_style_compaction !== undefined &&
    params.optimize_universal_style_compaction !== undefined
  ) {
    throw invalidDefinition(
      `rocks_params of ${where} sets both optimize_level_style_compaction and optimize_universal_style_compaction; they select different compaction styles, so keep one`,
    );
  }
}

function checkInteger(value: unknown, type: KeyType, label: string): void {
  if (typeof value !== 'number' && typeof value !== 'bigint') {
    throw invalidDefinition(
      `${label} must be an integer, got ${typeof value === 'object' ? 'a table' : JSON.stringify(value)}`,
    );
  }
  const integer = BigInt(value);
  const [min, max] = type.type === 'i32' ? [I32_MIN, I32_MAX] : [0n, USIZE_MAX];
  if (integer < min || integer > max) {
    throw invalidDefinition(
      `${label} is ${integer}, outside ${type.type === 'i32' ? 'the 32-bit signed range' : 'the range 0 to 2^64 - 1'}`,
    );
  }
}
