import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errnoCode } from '@spoolkit/core';

/**
 * Creates `directory` and its missing parents with one recursive `mkdir`.
 *
 * Node's recursive `mkdir` reports ENOENT when a level cannot be created
 * for another reason, such as EROFS or ENOSPC. On ENOENT this creates the
 * levels one at a time, top first, with a plain `mkdir`, which reports
 * the real errno.
 *
 * @param mode the mode of new directories before the umask
 * @throws the first failure other than EEXIST, with its own errno
 */
export async function makeDirectories(
  directory: string,
  mode: number,
): Promise<void> {
  try {
    await mkdir(directory, { recursive: true, mode });
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') {
      throw error;
    }
    for (const level of ancestorsOf(directory)) {
      try {
        await mkdir(level, { mode });
      } catch (levelError) {
        if (errnoCode(levelError) !== 'EEXIST') {
          throw levelError;
        }
      }
    }
  }
}

/** Returns `directory` and every directory above it, the top one first. */
function ancestorsOf(directory: string): string[] {
  const chain: string[] = [];
  let current = resolve(directory);
  for (;;) {
    chain.unshift(current);
    const parent = dirname(current);
    if (parent === current) {
      return chain;
    }
    current = parent;
  }
}
