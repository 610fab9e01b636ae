import path from 'node:path';
import { errnoCode } from '@spoolkit/core';
import type { LocalDiskFs } from './fs-layer.js';

/**
 * Creates `directory` and its missing parents with one recursive `mkdir`.
 *
 * Node's recursive `mkdir` reports ENOENT when a level cannot be created
 * for another reason, such as ENOSPC or EROFS. On ENOENT this creates the
 * levels one at a time with a plain `mkdir`, which reports the real errno,
 * so the extra calls are made only after a failure.
 *
 * `mode` is the mode of the new directories before the umask, 0o777 when
 * left out. Throws the first failure other than EEXIST, with its own errno.
 */
export async function makeDirectories(
  fs: LocalDiskFs,
  directory: string,
  mode?: number,
): Promise<void> {
  try {
    await fs.mkdir(directory, { recursive: true, mode });
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') {
      throw error;
    }
    await makeLevelByLevel(fs, ancestorsOf(directory), mode);
  }
}

/**
 * Creates each of `levels` in order with a plain `mkdir`, skipping those
 * that exist (EEXIST). Throws the first other failure. ENOENT from it means
 * that a parent outside `levels` is missing or was deleted meanwhile.
 */
export async function makeLevelByLevel(
  fs: LocalDiskFs,
  levels: readonly string[],
  mode?: number,
): Promise<void> {
  for (const level of levels) {
    try {
      await fs.mkdir(level, { mode });
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') {
        throw error;
      }
    }
  }
}

/** Returns `directory` and every directory above it, the top one first. */
function ancestorsOf(directory: string): string[] {
  const chain: string[] = [];
  let current = path.resolve(directory);
  for (;;) {
    chain.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) {
      return chain;
    }
    current = parent;
  }
}
