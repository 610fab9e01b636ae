import path from 'node:path';
import { fileIdentity, PathWatch, type WatchedPath } from '@spoolkit/core';
import type { LocalDiskFileHandle, LocalDiskFs } from './fs-layer.js';
import { LOCK_FILE } from './lock.js';
import type { SpoolLayout } from './prepare.js';

/** Options for `watchLayout`. */
export interface LayoutWatchOptions {
  fs: LocalDiskFs;
  spool: string;
  layout: SpoolLayout;
  /** The open, locked lock file. */
  lockHandle: LocalDiskFileHandle;
}

/**
 * Records the spool directory, `new/`, `data/` and the lock file, so the
 * returned watch notices when one is deleted, moved or replaced while the
 * spool is open. Call it once the directories exist and the lock is held.
 *
 * A walk of a deleted `data/` would otherwise find nothing, and a deleted
 * lock file lets a second process (kumod included) lock the same
 * directory; KumoMTA does not check for either.
 */
export async function watchLayout(
  options: LayoutWatchOptions,
): Promise<PathWatch> {
  const { fs, spool, layout, lockHandle } = options;
  const directories: WatchedPath[] = [];
  for (const directory of [layout.root, layout.newDir, layout.dataDir]) {
    // new/ holds only the temp files of stores in progress, never entries.
    const isNew = directory === layout.newDir;
    const missingLoss = isNew
      ? 'so stores fail until it is back'
      : 'and the entries in it cannot be reached';
    const replacedLoss = isNew
      ? 'so the spool no longer knows which temp files are its own'
      : 'and the entries in the old one cannot be reached';
    directories.push({
      path: directory,
      identity: fileIdentity(await fs.stat(directory)),
      missingReason: `${directory} of spool '${spool}' is missing: it was deleted, moved or unmounted while the spool was open, ${missingLoss}; move it back or remount its file system, otherwise close and reopen the spool, which creates it again empty`,
      replacedReason: `${directory} of spool '${spool}' was replaced by another file or directory while the spool was open, ${replacedLoss}; move the old one back, or close and reopen the spool to use the new one`,
    });
  }
  const lockPath = path.join(layout.root, LOCK_FILE);
  const lockAdvice =
    'so another process (kumod too) can lock the spool at the same time; stop anything else that uses the spool directory, then close and reopen the spool to lock it again';
  const lock: WatchedPath = {
    path: lockPath,
    identity: fileIdentity(await lockHandle.stat()),
    missingReason: `lock file ${lockPath} of spool '${spool}' was deleted while the spool held it, ${lockAdvice}`,
    replacedReason: `lock file ${lockPath} of spool '${spool}' was replaced while the spool held it, ${lockAdvice}`,
  };
  return new PathWatch([...directories, lock], (target) => fs.stat(target));
}
