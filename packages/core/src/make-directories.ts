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
 * Creates `directory` and its missing parents, with plain `mkdir` calls.
 *
 * It walks up from `directory` until a `mkdir` succeeds or finds the
 * level already there, then creates the levels below it, each once. Node's
 * recursive `mkdir` is not used to create levels, for two reasons. It
 * reports ENOENT when a level fails with another errno, such as ENOSPC or
 * EROFS, where a plain `mkdir` reports the real one. And it never returns
 * when a parent exists yet a new directory in it fails with ENOENT, as
 * under `/proc` on Linux: it retries the parent and the child forever,
 * holding a thread of libuv's pool (seen with Node 20.20).
 *
 * @throws the first failure other than EEXIST, with its own errno. ENOENT
 * means a parent exists but takes no new directory, or was deleted
 * meanwhile. EEXIST means a file is at `directory`.
 */
export async function makeDirectories(
  directory: string,
  options: MakeDirectoriesOptions = {},
): Promise<void> {
  const mkdir = options.mkdir ?? nodeMkdir;
  const missing: string[] = [];
  let current = path.resolve(directory);
  for (;;) {
    try {
      await mkdir(current, { mode: options.mode });
      break;
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') {
        if (missing.length === 0) {
          // Something is at `directory`. A recursive mkdir of an existing
          // path only checks that it is a directory, and rejects with
          // EEXIST if it is not.
          await mkdir(current, { recursive: true, mode: options.mode });
          return;
        }
        break;
      }
      const parent = path.dirname(current);
      if (code !== 'ENOENT' || parent === current) {
        throw error;
      }
      missing.push(current);
      current = parent;
    }
  }
  // The parent of each level now exists, so ENOENT here is final.
  await makeLevelByLevel(missing.reverse(), options);
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
