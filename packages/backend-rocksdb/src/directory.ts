import { randomBytes } from 'node:crypto';
import { access, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  directoryFix,
  errnoCode,
  freeBytesWithoutInodes,
  makeDirectories,
  outOfSpaceError,
  SpoolError,
  SpoolErrorCode,
  statfsNearest,
} from '@spoolkit/core';

/**
 * Creates the spool directory (mode 0755) and checks that this process can
 * use it: create a file, write and fsync it, rename it, see it under its
 * new name, delete it. The probe file is removed on every path.
 *
 * @throws `SPOOL_NO_SPACE` or `SPOOL_NO_INODES` when a step fails with
 * ENOSPC or EDQUOT, naming the spool and the path.
 * @throws `SPOOL_DIRECTORY_UNUSABLE` when another step fails, naming the
 * step, the directory's owner and mode and the process's user and group
 * ids, and when the directory contains a LocalDisk spool.
 */
export async function prepareDirectory(
  spool: string,
  path: string,
): Promise<void> {
  await assertNoLocalDisk(spool, path);
  try {
    await makeDirectories(path, { mode: 0o755 });
  } catch (error) {
    throw await unusable(spool, path, 'unable to create the directory', error);
  }

  const probe = join(
    path,
    `.spoolkit-dir-probe-${randomBytes(6).toString('hex')}`,
  );
  const renamed = `${probe}.renamed`;
  let step = 'unable to create a file';
  try {
    const handle = await open(probe, 'wx', 0o600);
    try {
      step = 'unable to write and sync a file';
      await handle.writeFile('spoolkit directory probe\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    step = 'unable to rename a file';
    await rename(probe, renamed);
    step = 'a renamed file is not visible under its new name';
    await access(renamed);
  } catch (error) {
    throw await unusable(spool, path, step, error);
  } finally {
    await unlink(probe).catch(() => undefined);
    await unlink(renamed).catch(() => undefined);
  }
}

async function unusable(
  spool: string,
  path: string,
  step: string,
  cause: unknown,
): Promise<SpoolError> {
  const code = errnoCode(cause);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return noSpace(spool, path, step, cause, code);
  }
  const owner = await describeNearestDirectory(path);
  const ids =
    typeof process.getuid === 'function'
      ? `; this process runs as uid ${process.getuid()} euid ${process.geteuid?.()} gid ${process.getgid?.()} egid ${process.getegid?.()}`
      : '';
  const reason = errnoCode(cause) ?? (cause as Error)?.message;
  return new SpoolError(
    SpoolErrorCode.DirectoryUnusable,
    `spool directory ${path} of spool '${spool}' is not usable: ${step} (${reason}); ${owner}${ids}; ${directoryFix(cause)}`,
    { spool, path, cause },
  );
}

/**
 * Builds `SPOOL_NO_INODES` when `statfs` shows no free inodes, else
 * `SPOOL_NO_SPACE`, for a probe step that failed with ENOSPC or EDQUOT.
 */
async function noSpace(
  spool: string,
  path: string,
  step: string,
  cause: unknown,
  code: 'ENOSPC' | 'EDQUOT',
): Promise<SpoolError> {
  const fields = { spool, path, cause };
  const prefix = `cannot open spool '${spool}' at ${path}: ${step}`;
  return outOfSpaceError({
    code,
    prefix,
    step: '',
    path,
    nextStep: 'open it again',
    freeBytesWithoutInodes: freeBytesWithoutInodes(await statfsNearest(path)),
    context: fields,
  });
}

/**
 * Describes the owner and mode of `path`, or of its nearest existing
 * parent when `path` does not exist yet, since that parent's permissions
 * are what stopped the directory from being created.
 */
async function describeNearestDirectory(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      const stats = await stat(current);
      const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
      const which =
        current !== path
          ? `its nearest existing parent ${current}`
          : stats.isDirectory()
            ? 'the directory'
            : 'the file at that path';
      return `${which} has owner uid ${stats.uid} gid ${stats.gid}, mode ${mode}`;
    } catch {
      const parent = dirname(current);
      if (parent === current) {
        return 'no part of the path could be read';
      }
      current = parent;
    }
  }
}

/**
 * Throws `SPOOL_DIRECTORY_UNUSABLE` when `path` contains a LocalDisk spool
 * (its `lock` file and `data/` directory). A policy that changes a spool's
 * kind from LocalDisk to RocksDB would otherwise open an empty database
 * beside the stored messages, and LocalDisk's `lock` does not exclude
 * RocksDB, which locks `LOCK`.
 */
async function assertNoLocalDisk(spool: string, path: string): Promise<void> {
  const found = await Promise.all([
    stat(join(path, 'lock')).then(
      (stats) => stats.isFile(),
      () => false,
    ),
    stat(join(path, 'data')).then(
      (stats) => stats.isDirectory(),
      () => false,
    ),
  ]);
  if (found.every(Boolean)) {
    throw new SpoolError(
      SpoolErrorCode.DirectoryUnusable,
      `cannot open spool '${spool}' as RocksDB: ${path} contains a LocalDisk spool (lock and data/), and a spool's kind cannot change in place; set kind = 'LocalDisk' for it again, or give the RocksDB spool another path`,
      { spool, path },
    );
  }
}
