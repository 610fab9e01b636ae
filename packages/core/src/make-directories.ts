import { mkdir as nodeMkdir } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from './errors.js';

/** A `mkdir` like `fs/promises`'s, so that a caller can pass its own file layer. */
export type MkdirFunction = (
  target: string,
  options: { recursive?: boolean; mode?: number },
) => Promise<unknown>;

/** Options for `makeDirectories` and `makeLevelByLevel`. */
export interface MakeDirectoriesOptions {
  /** The mode of new directories before the umask. @default 0o777 */
  mode?: number;
  /** The `mkdir` to call. @default `mkdir` from `node:fs/promises` */
  mkdir?: MkdirFunction;
}

/**
 * Creates `directory` and its missing parents with one recursive `mkdir`.
 *
 * Node's recursive `mkdir` reports ENOENT when a level cannot be created
 * for another reason, such as ENOSPC or EROFS. On ENOENT this creates the
 * levels one at a time, top first, with a plain `mkdir`, which reports the
 * real errno, so the extra calls are made only after a failure.
 *
 * @throws the first failure other than EEXIST, with its own errno
 */
export async function makeDirectories(
  directory: string,
  options: MakeDirectoriesOptions = {},
): Promise<void> {
  const mkdir = options.mkdir ?? nodeMkdir;
  try {
    await mkdir(directory, { recursive: true, mode: options.mode });
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') {
      throw error;
    }
    await makeLevelByLevel(ancestorsOf(directory), options);
  }
}

/**
 * Creates each of `levels` in order with a plain `mkdir`, skipping those
 * that exist (EEXIST). Throws the first other failure. ENOENT from it means
 * that a parent above `levels` is missing or was deleted meanwhile.
 */
export async function makeLevelByLevel(
  levels: readonly string[],
  options: MakeDirectoriesOptions = {},
): Promise<void> {
  const mkdir = options.mkdir ?? nodeMkdir;
  for (const level of levels) {
    try {
      await mkdir(level, { mode: options.mode });
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
