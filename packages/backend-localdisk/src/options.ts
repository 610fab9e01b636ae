import path from 'node:path';
import {
  describeArgument,
  didYouMeanOption,
  type MinFree,
  parseMinFreeOption,
  SpoolError,
  SpoolErrorCode,
  type SpoolLogger,
  silentLogger,
} from '@spoolkit/core';
import { defaultLocalDiskFs, type LocalDiskFs } from './fs-layer.js';

/** Options for `openLocalDiskSpool`. Unknown keys are rejected. */
export interface LocalDiskSpoolOptions {
  /** The spool's name, used in messages and log records (such as `data` or `meta`). */
  name: string;
  /** The spool directory; created when missing. A relative path is resolved against the working directory. */
  path: string;
  /**
   * Sync every store and remove before it resolves. A store `fdatasync`s
   * the file, then `fsync`s its directory and the parent of every directory
   * on its path whose name is not yet durable. A remove `fsync`s the
   * directory. A store call's own `sync` option does the same for one store.
   * @default false
   */
  flush?: boolean;
  /**
   * Free space below which `unhealthyReason()` reports the disk as too
   * full: `"N%"` of the file system or a byte count.
   * @default '10%'
   */
  minFreeSpace?: MinFree | string | number;
  /**
   * Free inodes below which `unhealthyReason()` reports the disk as too
   * full: `"N%"` of the file system or an inode count.
   * @default '10%'
   */
  minFreeInodes?: MinFree | string | number;
  /**
   * How often the free space is checked, and whether the spool directory,
   * `new/`, `data/` and the lock file are still the ones opened, in
   * milliseconds.
   * @default 5000
   */
  diskCheckIntervalMs?: number;
  /** Receives warnings and debug records. @default a logger that discards everything */
  logger?: SpoolLogger;
  /** The file system calls to use; tests replace one to force an errno. @default the functions of `node:fs/promises` */
  fs?: LocalDiskFs;
}

/** `LocalDiskSpoolOptions` after validation, with defaults filled in. */
export interface ResolvedOptions {
  name: string;
  path: string;
  flush: boolean;
  minFreeSpace: MinFree;
  minFreeInodes: MinFree;
  diskCheckIntervalMs: number;
  logger: SpoolLogger;
  fs: LocalDiskFs;
}

const OPTION_KEYS = [
  'name',
  'path',
  'flush',
  'minFreeSpace',
  'minFreeInodes',
  'diskCheckIntervalMs',
  'logger',
  'fs',
];

/** Validates the options and fills in defaults. Throws `SPOOL_INVALID_ARGUMENT`. */
export function resolveOptions(
  options: LocalDiskSpoolOptions,
): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidOption(
      `LocalDisk spool options must be an object, got ${describeArgument(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw invalidOption(
        `unknown LocalDisk spool option "${key}"${didYouMeanOption(key, OPTION_KEYS)}; valid options are ${OPTION_KEYS.join(', ')}`,
      );
    }
  }
  const name = readString(options.name, 'name');
  const where = `spool '${name}'`;
  const spoolPath = readString(options.path, `path of ${where}`, name);
  const flush = options.flush ?? false;
  if (typeof flush !== 'boolean') {
    throw invalidOption(
      `flush of ${where} must be true or false, got ${describeArgument(flush)}`,
      name,
    );
  }
  const interval = options.diskCheckIntervalMs ?? 5000;
  if (!Number.isInteger(interval) || interval <= 0) {
    throw invalidOption(
      `diskCheckIntervalMs of ${where} must be a positive integer of milliseconds, got ${String(interval)}`,
      name,
    );
  }
  return {
    name,
    path: path.resolve(spoolPath),
    flush,
    minFreeSpace: parseMinFreeOption(
      options.minFreeSpace,
      `minFreeSpace of ${where}`,
      name,
    ),
    minFreeInodes: parseMinFreeOption(
      options.minFreeInodes,
      `minFreeInodes of ${where}`,
      name,
    ),
    diskCheckIntervalMs: interval,
    logger: options.logger ?? silentLogger,
    fs: options.fs ?? defaultLocalDiskFs,
  };
}

function readString(value: unknown, where: string, spool?: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidOption(
      `${where} must be a non-empty string, got ${value === '' ? 'an empty string' : describeArgument(value)}`,
      spool,
    );
  }
  return value;
}

/** Builds `SPOOL_INVALID_ARGUMENT`, naming the spool once its name is known. */
function invalidOption(message: string, spool?: string): SpoolError {
  return new SpoolError(
    SpoolErrorCode.InvalidArgument,
    message,
    spool === undefined ? {} : { spool },
  );
}
