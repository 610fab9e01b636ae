import { constants, fstatSync } from 'node:fs';
import path from 'node:path';
import {
  errnoCode,
  isProcessRunning,
  lockHolderPid,
  makeDirectories,
  SpoolError,
  SpoolErrorCode,
  type SpoolLogger,
} from '@spoolkit/core';
import { describeError } from './errors.js';
import { loadFlockSync } from './flock.js';
import type { LocalDiskFileHandle, LocalDiskFs } from './fs-layer.js';
import { runStep, unusableDirectory } from './unusable.js';

/** The sticky bit, which keeps tmpwatch-style cleaners away from the lock file. */
const STICKY_BIT = 0o1000;

/** The lock file's name in the spool directory, as kumod names it. */
export const LOCK_FILE = 'lock';

/**
 * Takes the spool's pid lock: opens `<root>/lock` without truncating it,
 * sets its sticky bit, takes `flock(LOCK_EX | LOCK_NB)` and then replaces
 * its content with `"<pid>\n"`. The returned handle holds the lock until it
 * is closed.
 *
 * `flock(2)` belongs to the open file description, so a second open of the
 * same spool fails in this process as well as in another one, and the lock
 * goes away when its holder dies, whatever pid the file still names. This
 * is the same lock kumod takes, so the two exclude each other.
 *
 * Throws `SPOOL_LOCKED` naming the owner's pid (or saying that the pid in
 * the file is no longer running, since the file keeps the last writer's
 * pid and a holder such as flock(1) writes none), or
 * `SPOOL_DIRECTORY_UNUSABLE` when the file cannot be created or locked.
 */
export async function acquirePidLock(
  fs: LocalDiskFs,
  spool: string,
  root: string,
  logger: SpoolLogger,
): Promise<LocalDiskFileHandle> {
  const lockPath = path.join(root, LOCK_FILE);
  const flockSync = loadFlockSync(spool, root);
  await runStep(fs, spool, root, 'create the spool directory', () =>
    makeDirectories(root, {
      mkdir: (target, options) => fs.mkdir(target, options),
    }),
  );
  const handle = await openLockFile(fs, spool, lockPath);
  try {
    await assertRegularFile(handle, spool, lockPath);
    await setStickyBit(handle, lockPath, spool, logger);
    await lockOrExplain(handle, flockSync, fs, spool, root, lockPath);
    const pidLine = Buffer.from(`${process.pid}\n`);
    await runStep(
      fs,
      spool,
      lockPath,
      'write the pid to the lock file',
      async () => {
        await handle.truncate(0);
        await handle.write(pidLine, 0, pidLine.length, 0);
      },
    );
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Opens the lock file for writing, creating it when missing. A FIFO in its
 * place fails with ENXIO instead of hanging open(2) (O_NONBLOCK). A
 * symbolic link in its place is rejected (O_NOFOLLOW), because the open
 * truncates the file and changes its mode, which would reach any file the
 * link names.
 */
async function openLockFile(
  fs: LocalDiskFs,
  spool: string,
  lockPath: string,
): Promise<LocalDiskFileHandle> {
  try {
    return await fs.open(
      lockPath,
      constants.O_WRONLY |
        constants.O_CREAT |
        constants.O_NONBLOCK |
        constants.O_NOFOLLOW,
      0o644,
    );
  } catch (error) {
    if (errnoCode(error) === 'ELOOP') {
      throw new SpoolError(
        SpoolErrorCode.DirectoryUnusable,
        `cannot open spool '${spool}': its lock file ${lockPath} is a symbolic link, and the spool writes its pid into that file; remove the link, and the next open creates the file`,
        { spool, path: lockPath, cause: error },
      );
    }
    throw await unusableDirectory(
      fs,
      spool,
      lockPath,
      'open the lock file',
      error,
    );
  }
}

/**
 * Throws `SPOOL_DIRECTORY_UNUSABLE` when the open lock file is not a
 * regular file (a device node, say) or has another hard link.
 */
async function assertRegularFile(
  handle: LocalDiskFileHandle,
  spool: string,
  lockPath: string,
): Promise<void> {
  const stats = await handle.stat();
  if (!stats.isFile()) {
    throw new SpoolError(
      SpoolErrorCode.DirectoryUnusable,
      `cannot open spool '${spool}': its lock file ${lockPath} is not a regular file; move it away, and the next open creates the file`,
      { spool, path: lockPath },
    );
  }
  // The open truncates the file and changes its mode, which a hard link
  // would carry to a file outside the spool.
  if (stats.nlink > 1) {
    throw new SpoolError(
      SpoolErrorCode.DirectoryUnusable,
      `cannot open spool '${spool}': its lock file ${lockPath} has ${stats.nlink} hard links, so another name shares it, and the spool empties the file and writes its pid there; remove ${lockPath}, and the next open creates the file`,
      { spool, path: lockPath },
    );
  }
}

async function setStickyBit(
  handle: LocalDiskFileHandle,
  lockPath: string,
  spool: string,
  logger: SpoolLogger,
): Promise<void> {
  try {
    const stats = await handle.stat();
    if ((stats.mode & STICKY_BIT) === 0) {
      await handle.chmod((stats.mode & 0o7777) | STICKY_BIT);
    }
  } catch (error) {
    // The sticky bit only protects the file from temp cleaners; the lock works without it.
    logger.warn(
      { spool, path: lockPath, err: error },
      `cannot set the sticky bit on ${lockPath}: ${describeError(error)}`,
    );
  }
}

async function lockOrExplain(
  handle: LocalDiskFileHandle,
  flockSync: ReturnType<typeof loadFlockSync>,
  fs: LocalDiskFs,
  spool: string,
  root: string,
  lockPath: string,
): Promise<void> {
  try {
    flockSync(handle.fd, 'exnb');
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'EWOULDBLOCK' && code !== 'EAGAIN') {
      throw await unusableDirectory(
        fs,
        spool,
        lockPath,
        'lock the lock file',
        error,
      );
    }
    const owner = await readOwnerPid(fs, lockPath);
    const holder = await lockHolderPid(
      fstatSync(handle.fd, { bigint: true }),
      'FLOCK',
    );
    throw new SpoolError(
      SpoolErrorCode.Locked,
      lockedMessage(spool, root, lockPath, owner, holder),
      {
        spool,
        path: root,
        cause: error,
      },
    );
  }
}

/**
 * Builds the `SPOOL_LOCKED` message. `holder` is the pid /proc/locks
 * gives for the lock, when it could be found. `owner` is the pid the lock
 * file names, which may be stale: a holder such as flock(1) writes none,
 * and a pid can be reused. So without a running `holder`, a running
 * `owner` is named with a hint to check it.
 */
export function lockedMessage(
  spool: string,
  root: string,
  lockPath: string,
  owner: number | undefined,
  holder: number | undefined,
): string {
  const locked = `spool '${spool}' at ${root} is locked`;
  const thisProcess = `which is this process; close the spool that is already open there or choose another path`;
  const findIt = `find the holder with 'fuser -v ${lockPath}'`;
  if (holder === process.pid) {
    return `${locked} by pid ${holder}, ${thisProcess}`;
  }
  if (holder !== undefined) {
    if (!isProcessRunning(holder)) {
      // The taker exited, and a process that inherited its open file holds the lock.
      return `${locked} by another process: pid ${holder} took the lock and has exited, and a process it started still holds it; ${findIt}, then stop it or choose another path`;
    }
    const stale =
      owner === undefined || owner === holder
        ? ''
        : ` (${lockPath} names pid ${owner}, which does not hold the lock)`;
    // A process started with the open file shares the lock, as flock(1)'s command does.
    return `${locked} by pid ${holder}${stale}; stop that process or choose another path (a process it started may share the lock: 'fuser -v ${lockPath}' lists every holder)`;
  }
  if (owner === undefined) {
    return `${locked} by another process (${lockPath} names no pid); ${findIt}, then stop it or choose another path`;
  }
  if (owner === process.pid) {
    return `${locked} by pid ${owner}, ${thisProcess}`;
  }
  if (!isProcessRunning(owner)) {
    return `${locked} by another process; ${lockPath} names pid ${owner}, and no process with that pid is visible from here (it exited, or it runs in another pid namespace); ${findIt}, then stop it or choose another path`;
  }
  return `${locked} by pid ${owner}, as ${lockPath} says; a holder that writes no pid could hold it instead, so check with 'fuser -v ${lockPath}' before you stop pid ${owner}, or choose another path`;
}

// NOTE: an owner that has just taken the lock may not have written its pid
// yet, so the pid read here can be the previous owner's.
async function readOwnerPid(
  fs: LocalDiskFs,
  lockPath: string,
): Promise<number | undefined> {
  try {
    const text = (await fs.readFile(lockPath)).toString('utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
