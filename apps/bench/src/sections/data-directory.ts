import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { openSpoolTarget } from '../targets/spool-target.js';

/** Depth of the leaf directories under `data/` (`data/aa/bb/cc/dd`). */
const LEAF_DEPTH = 4;

/** Removes in flight while a spool is emptied. */
const REMOVE_CONCURRENCY = 64;

/** Counts of what lies under a LocalDisk spool's `data/` directory. */
export interface DataDirectoryCounts {
  /** Directories below `data/`, not counting `data/` itself. */
  directories: number;
  /** Files in the leaf directories, which are the stored entries. */
  entries: number;
  /** Maximum number of entries in one leaf directory, or 0 when there are none. */
  maxLeafEntries: number;
}

/** The directory layout of a full LocalDisk spool and what emptying it leaves behind. */
export interface LocalDiskLayout {
  /** Counts with every entry stored. */
  full: DataDirectoryCounts;
  /** Time to remove every entry through the backend, listing them included, in seconds. */
  removeSeconds: number;
  /** Time of one `cleanup()` call after every entry was removed, in seconds. */
  cleanupSeconds: number;
  /** Counts after the removes and `cleanup()`. A fully pruned spool has no directories left. */
  afterCleanup: DataDirectoryCounts;
}

/**
 * Counts the directories and entries under `dataDir` without reading any
 * file. `onLeaf` runs with each leaf directory's file names once that
 * directory has been listed, and the walk waits for it.
 */
export async function countDataDirectory(
  dataDir: string,
  onLeaf?: (directory: string, names: string[]) => Promise<void>,
): Promise<DataDirectoryCounts> {
  const counts: DataDirectoryCounts = {
    directories: 0,
    entries: 0,
    maxLeafEntries: 0,
  };
  const visit = async (directory: string, depth: number): Promise<void> => {
    const names: string[] = [];
    for await (const dirent of await opendir(directory)) {
      if (dirent.isDirectory()) {
        counts.directories += 1;
        await visit(path.join(directory, dirent.name), depth + 1);
      } else if (depth === LEAF_DEPTH && dirent.isFile()) {
        names.push(dirent.name);
      }
    }

    if (depth === LEAF_DEPTH) {
      counts.entries += names.length;
      counts.maxLeafEntries = Math.max(counts.maxLeafEntries, names.length);
      await onLeaf?.(directory, names);
    }
  };
  await visit(dataDir, 0);
  return counts;
}

/**
 * Counts the layout of the full LocalDisk spool at `spoolDir`, removes
 * every entry through the backend, times one `cleanup()`, and counts
 * again. Rejects if an entry is still there after the removes.
 */
export async function measureLocalDiskLayout(
  spoolDir: string,
): Promise<LocalDiskLayout> {
  const dataDir = path.join(spoolDir, 'data');
  const full = await countDataDirectory(dataDir);
  const target = await openSpoolTarget('LocalDisk', spoolDir);
  let removeSeconds: number;
  let cleanupSeconds: number;
  try {
    const removeStarted = performance.now();
    let pending: Promise<void>[] = [];
    await countDataDirectory(dataDir, async (directory, names) => {
      for (const name of names) {
        const relative = path.relative(dataDir, path.join(directory, name));
        pending.push(target.remove(SpoolId.fromRelativePath(relative)));
        if (pending.length >= REMOVE_CONCURRENCY) {
          await Promise.all(pending);
          pending = [];
        }
      }
    });
    await Promise.all(pending);
    removeSeconds = (performance.now() - removeStarted) / 1000;

    const cleanupStarted = performance.now();
    await target.spool.cleanup();
    cleanupSeconds = (performance.now() - cleanupStarted) / 1000;
  } finally {
    await target.close();
  }

  const afterCleanup = await countDataDirectory(dataDir);
  if (afterCleanup.entries !== 0) {
    throw new Error(
      `${afterCleanup.entries} entries were still under ${dataDir} after removing every entry; the cleanup measurement would be meaningless`,
    );
  }
  return { full, removeSeconds, cleanupSeconds, afterCleanup };
}
