import {
  describeArgument,
  didYouMeanOption,
  type MinFree,
  parseMinFreeOption,
  SpoolError,
  SpoolErrorCode,
} from '@spoolkit/core';
import type { RocksDbSpoolOptions } from './open.js';

/** The keys `openRocksDbSpool` accepts; any other key is a mistake. */
const OPTION_KEYS: readonly (keyof RocksDbSpoolOptions)[] = [
  'name',
  'path',
  'flush',
  'rocksParams',
  'minFreeSpace',
  'minFreeInodes',
  'logger',
  'healthCheckIntervalMs',
  'diskCheckIntervalMs',
  'createStorage',
];

/** `RocksDbSpoolOptions` after validation, with the free-space minimums parsed. */
export interface CheckedOptions extends RocksDbSpoolOptions {
  minFreeSpace: MinFree | undefined;
  minFreeInodes: MinFree | undefined;
}

/**
 * Checks the options of `openRocksDbSpool` before anything touches the
 * disk, and throws `SPOOL_INVALID_ARGUMENT` naming the option. It rejects
 * options that are not an object and unknown keys (such as `rocks_params`
 * for `rocksParams`). It also rejects a missing or empty name or path, a
 * non-boolean `flush`, a `rocksParams` that is not an object, an invalid
 * free-space minimum and an interval that is not a positive integer.
 */
export function checkOptions(options: unknown): CheckedOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidOption(
      `RocksDB spool options must be an object, got ${describeArgument(options)}`,
    );
  }
  const fields = options as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw invalidOption(
        `unknown RocksDB spool option "${key}"${didYouMeanOption(key, OPTION_KEYS)}; valid options are ${OPTION_KEYS.join(', ')}`,
      );
    }
  }

  const name = readText(fields.name, 'name of a RocksDB spool', undefined);
  const where = `spool '${name}'`;
  readText(fields.path, `path of ${where}`, name);
  if (fields.flush !== undefined && typeof fields.flush !== 'boolean') {
    throw invalidOption(
      `flush of ${where} must be true or false, got ${describeArgument(fields.flush)}`,
      name,
    );
  }
  const params = fields.rocksParams;
  if (params !== undefined && (params === null || typeof params !== 'object')) {
    throw invalidOption(
      `rocksParams of ${where} must be an object of rocks_params keys, got ${describeArgument(params)}`,
      name,
    );
  }
  for (const key of ['healthCheckIntervalMs', 'diskCheckIntervalMs']) {
    const interval = fields[key];
    if (
      interval !== undefined &&
      (!Number.isInteger(interval) || (interval as number) <= 0)
    ) {
      throw invalidOption(
        `${key} of ${where} must be a positive integer of milliseconds, got ${String(interval)}`,
        name,
      );
    }
  }
  return {
    ...(fields as unknown as RocksDbSpoolOptions),
    minFreeSpace: readMinFree(fields.minFreeSpace, 'minFreeSpace', name),
    minFreeInodes: readMinFree(fields.minFreeInodes, 'minFreeInodes', name),
  };
}

function readText(
  value: unknown,
  where: string,
  spool: string | undefined,
): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidOption(
      `${where} must be a non-empty string, got ${typeof value === 'string' ? 'an empty string' : describeArgument(value)}`,
      spool,
    );
  }
  return value;
}

/** Parses a free-space option, leaving it `undefined` so that the open applies the default. */
function readMinFree(
  value: unknown,
  key: string,
  spool: string,
): MinFree | undefined {
  return value === undefined
    ? undefined
    : parseMinFreeOption(value, `${key} of spool '${spool}'`, spool);
}

function invalidOption(
  message: string,
  spool?: string,
  cause?: unknown,
): SpoolError {
  return new SpoolError(SpoolErrorCode.InvalidArgument, message, {
    spool,
    cause,
  });
}
