import { constants } from 'node:fs';
import {
  mkdir,
  open,
  opendir,
  readFile,
  rename,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import type { SpoolId } from '@spoolkit/core';
import type { BenchTarget, WalkResult } from './types.js';

/**
 * Opens the LocalDisk baseline: the same directory layout written with plain
 * `fs` calls and nothing else. A store writes a temporary file in `new/`
 * and renames it into `data/aa/bb/cc/dd/<24 hex digits>`; the parent
 * directories are created only when the rename reports them missing. With
 * sync it also gives the durability the LocalDisk backend promises: it
 * fdatasyncs the file, fsyncs the entry's directory and, for each
 * directory it created, that directory's parent.
 */
export async function openRawFsTarget(directory: string): Promise<BenchTarget> {
  const tempDir = path.join(directory, 'new');
  const dataDir = path.join(directory, 'data');
  await mkdir(tempDir, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  let tempCounter = 0;

  const entryPath = (id: SpoolId): string =>
    path.join(dataDir, id.relativePath());

  return {
    label: 'raw fs',
    async store(id, value, sync) {
      const temp = path.join(tempDir, `.tmp${process.pid}-${tempCounter++}`);
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(value);
        if (sync) {
          await handle.datasync();
        }
      } finally {
        await handle.close();
      }
      const target = entryPath(id);
      const created = await renameCreatingParents(temp, target);
      if (sync) {
        await syncDirectory(path.dirname(target));
        for (const directory of created) {
          await syncDirectory(path.dirname(directory));
        }
      }
    },
    load: (id) => readFile(entryPath(id)),
    remove: (id) => unlink(entryPath(id)),
    walk: (onEntry) => walkDataDirectory(dataDir, onEntry),
    async close() {},
  };
}

/** Renames `from` to `to` and returns the directories it had to create, deepest first. */
async function renameCreatingParents(
  from: string,
  to: string,
): Promise<string[]> {
  try {
    await rename(from, to);
    return [];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }
  const parent = path.dirname(to);
  const first = await mkdir(parent, { recursive: true });
  await rename(from, to);
  const created: string[] = [];
  if (first !== undefined) {
    for (
      let directory = parent;
      directory.length >= first.length;
      directory = path.dirname(directory)
    ) {
      created.push(directory);
    }
  }
  return created;
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Walks the four directory levels under `data/` and reads every file. */
export async function walkDataDirectory(
  dataDir: string,
  onEntry?: (count: number) => void,
): Promise<WalkResult> {
  const result: WalkResult = { entries: 0, bytes: 0, corrupt: 0 };
  const visit = async (directory: string, depth: number): Promise<void> => {
    for await (const dirent of await opendir(directory)) {
      const child = path.join(directory, dirent.name);
      if (depth < 4 && dirent.isDirectory()) {
        await visit(child, depth + 1);
      } else if (depth === 4 && dirent.isFile()) {
        const bytes = await readFile(child);
        result.entries += 1;
        result.bytes += bytes.length;
        onEntry?.(result.entries);
      }
    }
  };
  await visit(dataDir, 0);
  return result;
}
