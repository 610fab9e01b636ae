import path from 'node:path';
import {
  errnoCode,
  SpoolError,
  SpoolErrorCode,
  type SpoolLogger,
} from '@spoolkit/core';
import { dataDirectoryFix, describeError } from './errors.js';
import type { LocalDiskFs } from './fs-layer.js';

/** The depth of the deepest hash directory (`data/aa/bb/cc/dd`). */
const DEEPEST_LEVEL = 4;

/** The file system, spool name and logger that pruning uses. */
export interface PruneContext {
  fs: LocalDiskFs;
  spool: string;
  logger: SpoolLogger;
}

/**
 * Removes the empty directories under `dataDir` in one depth-first pass:
 * each directory's children are pruned before the directory itself is
 * tried, so a whole empty branch goes at once. `dataDir` itself stays.
 * Only `rmdir(2)` is used, so a directory that a store fills meanwhile is
 * never lost: the rmdir fails with ENOTEMPTY and is skipped. A store that
 * finds its directory pruned creates it again.
 *
 * Returns the number of directories removed. A directory that cannot be
 * listed or removed for another reason is logged and skipped; only a
 * failure to list `dataDir` itself rejects, with `SPOOL_IO`, missing
 * included: it means `data/` was deleted, moved or unmounted under the open spool.
 */
export async function pruneEmptyDirectories(
  context: PruneContext,
  dataDir: string,
): Promise<number> {
  try {
    return await pruneChildren(context, dataDir, 0);
  } catch (error) {
    throw new SpoolError(
      SpoolErrorCode.Io,
      `failed to clean up spool '${context.spool}': cannot list ${dataDir}: ${describeError(error)}; ${dataDirectoryFix(errnoCode(error), dataDir)}`,
      { spool: context.spool, path: dataDir, cause: error },
    );
  }
}

/** Prunes the subdirectories of `directory` and returns how many directories went. */
async function pruneChildren(
  context: PruneContext,
  directory: string,
  depth: number,
): Promise<number> {
  let removed = 0;
  const dir = await context.fs.opendir(directory);
  try {
    for (
      let entry = await dir.read();
      entry !== null;
      entry = await dir.read()
    ) {
      if (entry.isDirectory() && depth < DEEPEST_LEVEL) {
        removed += await pruneBranch(
          context,
          path.join(directory, entry.name),
          depth + 1,
        );
      }
    }
  } finally {
    await dir.close().catch(() => undefined);
  }
  return removed;
}

/** Prunes the branch at `directory`, then tries to remove `directory` itself. */
async function pruneBranch(
  context: PruneContext,
  directory: string,
  depth: number,
): Promise<number> {
  let removed = 0;
  try {
    removed += await pruneChildren(context, directory, depth);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') {
      logSkipped(context, directory, 'list', error);
    }
    return removed;
  }
  try {
    await context.fs.rmdir(directory);
    removed += 1;
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') {
      logSkipped(context, directory, 'remove', error);
    }
  }
  return removed;
}

function logSkipped(
  context: PruneContext,
  directory: string,
  operation: string,
  error: unknown,
): void {
  context.logger.warn(
    { spool: context.spool, path: directory, err: error },
    `spool '${context.spool}': cleanup cannot ${operation} ${directory}, skipping it: ${describeError(error)}`,
  );
}
