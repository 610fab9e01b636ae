import path from 'node:path';
import {
  errnoCode,
  freeBytesWithoutInodes,
  outOfSpaceError,
  SpoolError,
  SpoolErrorCode,
} from '@spoolkit/core';
import type { LocalDiskFs } from './fs-layer.js';
import { firstNonDirectory } from './levels.js';

/** The context of a failed call, which the message of its error names. */
export interface FailureContext {
  /** The spool's name. */
  spool: string;
  /** The call, such as `store` or `load`. */
  action: string;
  /** The spool id in its 32-hex-digit form. */
  id: string;
  /** The entry's final path. */
  path: string;
  /** The step that failed, such as `writing the temp file /x/new/.tmp-1`. */
  step: string;
  /** Whether the step created a file or directory, where ENOSPC usually means no free inodes. */
  creating: boolean;
}

/**
 * Converts a failed file system call into a `SpoolError`: ENOSPC and
 * EDQUOT become `SPOOL_NO_SPACE`, or `SPOOL_NO_INODES` when `statfs` shows
 * no free inodes or the failed step created a file while bytes were still
 * free. Every other errno becomes `SPOOL_IO`. The message names the spool,
 * the id, the path, the step and what to do next.
 */
export async function toStorageError(
  error: unknown,
  context: FailureContext,
  fs: LocalDiskFs,
  statfsPath: string,
): Promise<SpoolError> {
  if (error instanceof SpoolError) {
    return error;
  }
  const code = errnoCode(error);
  const prefix = `failed to ${context.action} ${context.id} in spool '${context.spool}' at ${context.path}`;
  const errorContext = {
    spool: context.spool,
    id: context.id,
    path: context.path,
    cause: error,
  };

  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return outOfSpaceError({
      code,
      prefix,
      step: `while ${context.step}`,
      path: context.path,
      nextStep: 'retry',
      freeBytesWithoutInodes: await readFreeBytesIfOutOfInodes(
        fs,
        statfsPath,
        context.creating,
      ),
      context: errorContext,
    });
  }

  const blocker =
    code === 'ENOTDIR'
      ? await findNonDirectory(fs, statfsPath, [
          ...errorPaths(error),
          context.path,
        ])
      : undefined;
  // Advise on the path the failed call named, so that a temp file's
  // failure points at new/ rather than at the entry under data/.
  const failedPaths = errorPaths(error);
  const fixPath =
    (failedPaths.length === 1 ? failedPaths[0] : undefined) ?? context.path;
  const fix =
    blocker === undefined
      ? fixFor(code, fixPath, context.action === 'load' ? 'read' : 'write')
      : `${blocker} is a file where a directory should be; move it out of the spool directory, which holds only directories above its entry files, then retry`;
  return new SpoolError(
    SpoolErrorCode.Io,
    `${prefix}: ${describeError(error)} while ${context.step}; ${fix}`,
    errorContext,
  );
}

/** Returns the `path` and `dest` a Node system error names. */
function errorPaths(error: unknown): string[] {
  const { path: source, dest } = (error ?? {}) as {
    path?: unknown;
    dest?: unknown;
  };
  return [source, dest].filter(
    (value): value is string => typeof value === 'string',
  );
}

/**
 * Returns the first path below `root` on the way to one of `targets` that
 * exists but is not a directory: the cause of an ENOTDIR. Returns
 * `undefined` when none is found, as when the file was removed since.
 */
async function findNonDirectory(
  fs: LocalDiskFs,
  root: string,
  targets: string[],
): Promise<string | undefined> {
  for (const target of targets) {
    const found = await firstNonDirectory(fs, root, path.dirname(target));
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

/**
 * Returns the free bytes when the ENOSPC is about inodes: `statfs` shows
 * no free inodes, or the step created a file or directory while bytes were
 * free. Returns `undefined` when it is about bytes or `statfs` fails.
 */
async function readFreeBytesIfOutOfInodes(
  fs: LocalDiskFs,
  statfsPath: string,
  creating: boolean,
): Promise<number | undefined> {
  try {
    const stats = await fs.statfs(statfsPath);
    const freeBytes = stats.bavail * stats.bsize;
    const withoutInodes = freeBytesWithoutInodes(stats);
    if (withoutInodes !== undefined) {
      return withoutInodes;
    }
    return creating && freeBytes > 0 ? freeBytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns the advice for a failure to list `data/` itself. ENOENT means
 * it was deleted, moved or unmounted under the open spool. Other errnos
 * get the advice of `fixFor`.
 */
export function dataDirectoryFix(
  code: string | undefined,
  dataDir: string,
): string {
  if (code === 'ENOENT') {
    return `${dataDir} was deleted, moved or unmounted while the spool was open, so its entries cannot be reached; move it back or remount its file system, otherwise close and reopen the spool, which creates it again empty`;
  }
  return fixFor(code, dataDir, 'read');
}

/**
 * Returns the advice an error message ends with, chosen by errno and by
 * whether the failed call reads or writes `path`.
 */
export function fixFor(
  code: string | undefined,
  path: string,
  access: 'read' | 'write' = 'write',
): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM': {
      const check =
        access === 'read'
          ? `check that this process (uid ${process.getuid?.() ?? 'unknown'}) may read ${path} and search its parent directories`
          : `check that this process (uid ${process.getuid?.() ?? 'unknown'}) may write ${path} and its parent directories`;
      // Permission bits do not stop root, but an immutable or append-only attribute does.
      return code === 'EPERM'
        ? `${check}, and that none of them has the immutable or append-only attribute (lsattr -d)`
        : check;
    }
    case 'EROFS':
      return 'the file system is mounted read-only; remount it read-write';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open; raise the open-file limit (ulimit -n) or make fewer concurrent calls';
    case 'EIO':
      return 'the device reported an I/O error; check the disk and the kernel log (dmesg)';
    case 'ENOENT':
      return 'a directory under the spool disappeared; make sure nothing else deletes files in the spool directory';
    case 'ENOTDIR':
      return `a file is where a directory on the way to ${path} should be; move that file out of the spool directory, which holds only directories above its entry files, then retry`;
    default:
      return 'check the spool directory and retry';
  }
}

/** Renders a Node system error as `EIO: i/o error, fdatasync`, or any error's message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
