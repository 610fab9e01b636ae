import fs, { constants } from 'node:fs';
import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SpoolId } from '@spoolkit/core';
import type { BenchTarget, WalkResult } from './types.js';

// Node's callback API, as the LocalDisk backend uses it for every entry:
// on Node 20, `fs/promises` readFile and FileHandle writes cost two to three
// times the CPU, so a baseline on them would flatter the backend.
const open = promisify(fs.open);
const write = promisify(fs.write);
const close = promisify(fs.close);
const fdatasync = promisify(fs.fdatasync);
const fsync = promisify(fs.fsync);
const readFile = promisify(fs.readFile);
const rename = promisify(fs.rename);
const unlink = promisify(fs.unlink);
const mkdir = promisify(fs.mkdir);

/** The name reports give the plain-`fs` baseline. */
export const RAW_FS_LABEL = 'raw fs';

/**
 * Opens the LocalDisk baseline: the same directory layout written with plain
 * `fs` calls (the callback API) and nothing else. A store writes a temporary file in `new/`
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
    label: RAW_FS_LABEL,
    async store(id, value, sync) {
      const temp = path.join(tempDir, `.tmp${process.pid}-${tempCounter++}`);
      const fd = await open(temp, 'wx', 0o600);
      try {
        await writeAll(fd, value);
        if (sync) {
          await fdatasync(fd);
        }
      } finally {
        await close(fd);
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

/** Writes all of `bytes` at the descriptor's position, repeating short writes. */
async function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) {
    const { bytesWritten } = await write(
      fd,
      bytes,
      offset,
      bytes.length - offset,
      null,
    );
    offset += bytesWritten;
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const fd = await open(directory, constants.O_RDONLY);
  try {
    await fsync(fd);
  } finally {
    await close(fd);
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
