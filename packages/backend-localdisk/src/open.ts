import type { LocalDiskSpoolOptions } from './options.js';
import { LocalDiskSpool } from './spool.js';

/**
 * Opens the LocalDisk spool at `options.path`, creating its directories
 * when missing.
 *
 * Rejects with `SPOOL_INVALID_ARGUMENT` for bad options, `SPOOL_LOCKED`
 * when another process or another open spool in this process holds the
 * lock (the message names its pid), and `SPOOL_DIRECTORY_UNUSABLE` when
 * the directory cannot be created, written, synced or listed (the message
 * names the path, the operation, and the owners and modes involved).
 */
export function openLocalDiskSpool(
  options: LocalDiskSpoolOptions,
): Promise<LocalDiskSpool> {
  return LocalDiskSpool.open(options);
}
