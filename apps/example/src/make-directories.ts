import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '@spoolkit/core';

/**
 * Creates `directory` and its missing parents. Node's recursive `mkdir`
 * reports ENOENT when a level fails for another reason, such as EROFS, so
 * after an ENOENT this creates the levels one at a time, top first, with a
 * plain `mkdir`, which reports the real errno.
 *
 * @throws the first failure other than EEXIST, with its own errno
 */
export async function makeDirectories(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') {
      throw error;
    }
    for (const level of ancestorsOf(directory)) {
      try {
        await mkdir(level);
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
