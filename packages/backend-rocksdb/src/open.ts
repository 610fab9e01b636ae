import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  DiskSpaceMonitor,
  isProcessRunning,
  lockHolderPid,
  type MinFree,
  type PathWatch,
  parseMinFree,
  readDiskUsage,
  SpoolError,
  SpoolErrorCode,
  type SpoolLogger,
  silentLogger,
} from '@spoolkit/core';
import { prepareDirectory } from './directory.js';
import {
  ROCKSDB_LOCK_FILE,
  watchDatabaseDirectory,
} from './directory-watch.js';
import { toOpenOptions, unappliedKeys } from './open-options.js';
import { checkOptions } from './options.js';
import { parseRocksParams, type RocksParams } from './params.js';
import { RocksDbSpool } from './spool.js';
import { classifyStatus } from './status.js';
import {
  BindingLoadError,
  BindingStorage,
  type RocksStorage,
  type RocksStorageFactory,
} from './storage.js';

/** Options for `openRocksDbSpool`. */
export interface RocksDbSpoolOptions {
  /** The spool's name, such as `data` or `meta`; errors and logs name it. */
  name: string;
  /** The database directory; created with mode 0755 when missing. */
  path: string;
  /**
   * Sync the write-ahead log on every store, as if each passed `sync`.
   * @default false
   */
  flush?: boolean;
  /** KumoMTA's `rocks_params` table, validated by `parseRocksParams`. */
  rocksParams?: Record<string, unknown>;
  /** Free-space minimum that `unhealthyReason()` reports. @default 10% */
  minFreeSpace?: MinFree;
  /** Free-inode minimum that `unhealthyReason()` reports. @default 10% */
  minFreeInodes?: MinFree;
  /** Receives warnings and health changes. @default a logger that discards everything */
  logger?: SpoolLogger;
  /**
   * Milliseconds between health-latch checks. KumoMTA checks every 5 s.
   * @default 5000
   */
  healthCheckIntervalMs?: number;
  /**
   * Milliseconds between checks of the free space and of whether the
   * database directory and its `LOCK` file are still the ones opened.
   * @default 5000
   */
  diskCheckIntervalMs?: number;
  /**
   * Creates the storage adapter for the directory. Replace it to use
   * another binding, or in tests to inject a storage status.
   * @default the `rocksdb` 5.2.1 binding
   */
  createStorage?: RocksStorageFactory;
}

/**
 * Opens a RocksDB spool: creates and probes the directory, opens the
 * database (replaying its write-ahead log), and starts the health and
 * free-space monitors. Keys of `rocksParams` the binding cannot apply are
 * logged once as a warning.
 *
 * @throws `SPOOL_INVALID_ARGUMENT` for invalid options (see
 * `checkOptions`), `SPOOL_INVALID_DEFINITION` for invalid `rocksParams`,
 * `SPOOL_NO_SPACE` or `SPOOL_NO_INODES` when the directory's file system
 * is full, `SPOOL_DIRECTORY_UNUSABLE` when the directory cannot be used,
 * `SPOOL_LOCKED` when another process or another open spool has locked
 * the database's LOCK file, `SPOOL_CORRUPT` for a corrupt database, or `SPOOL_IO`.
 */
export async function openRocksDbSpool(
  options: RocksDbSpoolOptions,
): Promise<RocksDbSpool> {
  const checked = checkOptions(options);
  const params = parseRocksParams(checked.rocksParams, checked.name);
  return openWithParams(checked, params);
}

/** Opens a spool from `rocks_params` that were already validated. */
export async function openWithParams(
  options: RocksDbSpoolOptions,
  params: RocksParams,
): Promise<RocksDbSpool> {
  const name = options.name;
  const location = path.resolve(options.path);
  const logger = options.logger ?? silentLogger;

  await prepareDirectory(name, location);
  const storage = (options.createStorage ?? defaultStorage)(location);
  try {
    await storage.open(toOpenOptions(params));
  } catch (error) {
    throw await openError(name, location, error);
  }

  const skipped = unappliedKeys(params);
  if (skipped.length > 0) {
    logger.warn(
      { spool: name, path: location, keys: skipped },
      `rocks_params keys not applied, because the rocksdb binding does not expose them or fixes their value; see the README of @spoolkit/backend-rocksdb: ${skipped.join(', ')}`,
    );
  }

  let directoryWatch: PathWatch | undefined;
  const diskMonitor = new DiskSpaceMonitor({
    path: location,
    minFreeSpace:
      options.minFreeSpace ?? parseMinFree(undefined, 'min_free_space'),
    minFreeInodes:
      options.minFreeInodes ?? parseMinFree(undefined, 'min_free_inodes'),
    intervalMs: options.diskCheckIntervalMs ?? 5000,
    // The directory is checked on the free-space timer and at each recheck.
    readUsage: async (target) => {
      await directoryWatch?.check();
      return readDiskUsage(target);
    },
  });
  try {
    directoryWatch = await watchDatabaseDirectory(name, location);
    await diskMonitor.start();
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw error;
  }

  return new RocksDbSpool({
    name,
    path: location,
    flush: options.flush ?? false,
    params,
    storage,
    diskMonitor,
    directoryWatch,
    logger,
    healthIntervalMs: options.healthCheckIntervalMs ?? 5000,
  });
}

function defaultStorage(location: string): RocksStorage {
  return new BindingStorage(location);
}

/**
 * Describes the process that holds RocksDB's fcntl(2) lock on `lockFile`,
 * as Linux's /proc/locks lists it, and what to do. When the holder cannot
 * be found, describes both cases: another process or this one.
 */
async function describeLockHolder(lockFile: string): Promise<string> {
  const holder = await stat(lockFile, { bigint: true }).then(
    (stats) => lockHolderPid(stats, 'POSIX'),
    () => undefined,
  );
  if (holder === process.pid) {
    return `another open spool in this process (pid ${holder}) has locked ${lockFile}; close that spool or choose another path`;
  }
  if (holder !== undefined && isProcessRunning(holder)) {
    return `pid ${holder} has locked ${lockFile}; stop that process or choose another path`;
  }
  return `another process, or another open spool in this process, has locked ${lockFile}; find the process with 'fuser -v ${lockFile}' and stop it, or close that spool, or choose another path`;
}

async function openError(
  name: string,
  location: string,
  error: unknown,
): Promise<SpoolError> {
  const detail = (error as Error)?.message ?? String(error);
  const fields = { spool: name, path: location, cause: error };
  if (error instanceof BindingLoadError) {
    return new SpoolError(
      SpoolErrorCode.BackendMissing,
      error.notInstalled
        ? `cannot open spool '${name}' at ${location}: ${detail}; run \`npm install\` in your project, or \`npm install rocksdb@5.2.1\` if it is missing from package.json`
        : `cannot open spool '${name}' at ${location}: ${detail}; run \`npm rebuild rocksdb\` in your project. Where no prebuilt binary fits this platform, the rebuild compiles RocksDB, which needs python3, make and a C++ compiler, and runs only if the install script is allowed: \`npm install-scripts approve rocksdb\` when package.json has "rocksdb": false under allowScripts`,
      fields,
    );
  }
  const lockFile = path.join(location, ROCKSDB_LOCK_FILE);
  if (/lock/i.test(detail) && detail.includes(lockFile)) {
    return new SpoolError(
      SpoolErrorCode.Locked,
      `spool '${name}' at ${location} is locked: ${await describeLockHolder(lockFile)} (${detail})`,
      fields,
    );
  }
  const kind = classifyStatus(error);
  if (kind === 'corruption') {
    return new SpoolError(
      SpoolErrorCode.Corrupt,
      `cannot open spool '${name}': the RocksDB database at ${location} is corrupt (${detail}); restore the directory from a backup or move it aside`,
      fields,
    );
  }
  if (kind === 'no-space') {
    return new SpoolError(
      SpoolErrorCode.NoSpace,
      `cannot open spool '${name}' at ${location}: the disk is full (${detail}); free space on that file system and open it again`,
      fields,
    );
  }
  if (/Permission denied|Read-only file system|Not a directory/i.test(detail)) {
    return new SpoolError(
      SpoolErrorCode.DirectoryUnusable,
      `cannot open spool '${name}': RocksDB cannot use ${location} (${detail}); fix its permissions or choose another path`,
      fields,
    );
  }
  return new SpoolError(
    SpoolErrorCode.Io,
    `cannot open spool '${name}' at ${location}: ${detail}`,
    fields,
  );
}
