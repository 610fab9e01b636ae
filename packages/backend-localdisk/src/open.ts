import type { LocalDiskSpoolOptions } from './options.js';
import { LocalDiskSpool } from './spool.js';

/**
 * Opens the LocalDisk spool at `options.path`, creating its directories
 * when missing.
 *
 * Rejects with `SPOOL_INVALID_ARGUMENT` for bad options. Rejects with
 * `SPOOL_LOCKED`, naming the owner's pid, when another process or another
 * open spool in this process has the lock. Rejects with
 * `SPOOL_DIRECTORY_UNUSABLE` when the directory cannot be created,
 * written, synced or listed. That message names the path, the operation,
 * and the owner and mode of the directory.
 */
export function openLocalDiskSpool(
  options: LocalDiskSpoolOptions,
): Promise<LocalDiskSpool> {
  return LocalDiskSpool.open(options);
}
