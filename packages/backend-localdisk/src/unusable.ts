import path from 'node:path';
import {
  directoryFix,
  errnoCode,
  freeBytesWithoutInodes,
  outOfSpaceError,
  SpoolError,
  SpoolErrorCode,
  statfsNearest,
} from '@spoolkit/core';
import { describeError } from './errors.js';
import type { LocalDiskFs } from './fs-layer.js';

/**
 * Runs one step of opening a spool and turns its failure into
 * `SPOOL_DIRECTORY_UNUSABLE` naming `operation` and `target`.
 */
export async function runStep<T>(
  fs: LocalDiskFs,
  spool: string,
  target: string,
  operation: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof SpoolError) {
      throw error;
    }
    throw await unusableDirectory(fs, spool, target, operation, error);
  }
}

/**
 * Builds the error for a failed `operation` on `target` while opening.
 * ENOSPC and EDQUOT become `SPOOL_NO_SPACE`, or `SPOOL_NO_INODES` when
 * `statfs` shows no free inodes. Every other failure becomes
 * `SPOOL_DIRECTORY_UNUSABLE`, whose message gives the owner and mode of
 * the nearest existing directory at or above `target` and the ids of this
 * process, which is what a reader needs to fix a permission problem.
 */
export async function unusableDirectory(
  fs: LocalDiskFs,
  spool: string,
  target: string,
  operation: string,
  error: unknown,
): Promise<SpoolError> {
  const code = errnoCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return noSpaceAtOpen(fs, spool, target, operation, error, code);
  }
  const facts = [
    await describeNearestDirectory(fs, target),
    describeProcessIds(),
  ];
  return new SpoolError(
    SpoolErrorCode.DirectoryUnusable,
    `spool '${spool}' directory is not usable: unable to ${operation} at ${target}: ${describeError(error)} (${facts.join('; ')}); ${directoryFix(error)}`,
    { spool, path: target, cause: error },
  );
}

async function noSpaceAtOpen(
  fs: LocalDiskFs,
  spool: string,
  target: string,
  operation: string,
  error: unknown,
  code: 'ENOSPC' | 'EDQUOT',
): Promise<SpoolError> {
  const prefix = `cannot open spool '${spool}': unable to ${operation} at ${target}`;
  const fields = { spool, path: target, cause: error };
  return outOfSpaceError({
    code,
    prefix,
    step: '',
    path: target,
    nextStep: 'open it again',
    freeBytesWithoutInodes: freeBytesWithoutInodes(
      await statfsNearest(target, (level) => fs.statfs(level)),
    ),
    context: fields,
  });
}

async function describeNearestDirectory(
  fs: LocalDiskFs,
  target: string,
): Promise<string> {
  let current = target;
  for (;;) {
    try {
      const stats = await fs.stat(current);
      if (stats.isDirectory()) {
        const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
        return `directory ${current} has owner uid ${stats.uid} gid ${stats.gid} and mode ${mode}`;
      }
    } catch {
      // Missing or unreadable: look one level up.
    }
    const parent = path.dirname(current);
    if (parent === current) {
      return 'no directory above it could be read';
    }
    current = parent;
  }
}

function describeProcessIds(): string {
  if (process.getuid === undefined) {
    return 'this platform has no process uid';
  }
  return `this process has uid ${process.getuid()} euid ${process.geteuid?.()} gid ${process.getgid?.()} egid ${process.getegid?.()}`;
}
