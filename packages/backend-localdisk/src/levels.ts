import path from 'node:path';
import { isMissingPathError } from '@spoolkit/core';
import type { LocalDiskFs } from './fs-layer.js';

/** Lists the directories below `top` down to `bottom`, top first, without `top` itself. */
export function directoryChain(top: string, bottom: string): string[] {
  const chain: string[] = [];
  for (
    let current = bottom;
    current !== top && current.startsWith(top);
    current = path.dirname(current)
  ) {
    chain.unshift(current);
  }
  return chain;
}

/**
 * Returns the first path below `top` down to `bottom` that exists and is
 * not a directory, the cause of an ENOTDIR there, or `undefined`.
 */
export async function firstNonDirectory(
  fs: LocalDiskFs,
  top: string,
  bottom: string,
): Promise<string | undefined> {
  for (const level of directoryChain(top, bottom)) {
    try {
      if (!(await fs.lstat(level)).isDirectory()) {
        return level;
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Returns whether `directory` no longer exists. A `stat` that fails for
 * another reason (EACCES, EIO) counts as present, so the caller reports
 * the failure it already has.
 */
export async function isDirectoryMissing(
  fs: LocalDiskFs,
  directory: string,
): Promise<boolean> {
  try {
    await fs.stat(directory);
    return false;
  } catch (error) {
    return isMissingPathError(error);
  }
}
