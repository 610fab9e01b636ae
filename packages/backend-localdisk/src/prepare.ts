import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import path from 'node:path';
import {
  errnoCode,
  makeDirectories,
  SpoolError,
  SpoolErrorCode,
  type SpoolLogger,
} from '@spoolkit/core';
import type { LocalDiskFs } from './fs-layer.js';
import { runStep, unusableDirectory } from './unusable.js';

/** The name prefix of probe files; one left behind by a crash is removed at the next open. */
const PROBE_PREFIX = '.spoolkit-dir-probe-';

/** The directories of one spool. */
export interface SpoolLayout {
  root: string;
  /** Temp files, renamed into `data` once written. */
  newDir: string;
  /** The entries, at `data/aa/bb/cc/dd/<24 hex digits>`. */
  dataDir: string;
}

/** Returns the directories of the spool at `root`. */
export function spoolLayout(root: string): SpoolLayout {
  return {
    root,
    newDir: path.join(root, 'new'),
    dataDir: path.join(root, 'data'),
  };
}

/**
 * Creates `new/` and `data/`, proves that they can be written and listed,
 * and deletes the temp files a crashed writer left in `new/`. Runs at open,
 * while the lock is held and before any store can start, so no temp file
 * of a live store is ever deleted.
 *
 * Throws `SPOOL_DIRECTORY_UNUSABLE` naming the path and the operation that
 * failed: a spool that cannot be listed is never mistaken for an empty one.
 */
export async function prepareDirectories(
  fs: LocalDiskFs,
  spool: string,
  layout: SpoolLayout,
  logger: SpoolLogger,
): Promise<void> {
  await runStep(fs, spool, layout.newDir, 'create a directory', () =>
    makeDirectories(layout.newDir, {
      mkdir: (target, options) => fs.mkdir(target, options),
    }),
  );
  await runStep(fs, spool, layout.dataDir, 'create a directory', () =>
    makeDirectories(layout.dataDir, {
      mkdir: (target, options) => fs.mkdir(target, options),
    }),
  );
  await assertRealDirectory(fs, spool, layout.newDir);
  await assertRealDirectory(fs, spool, layout.dataDir);
  await probeDirectories(fs, spool, layout);
  await listOneEntry(fs, spool, layout.root);
  await removeLeftoverProbes(fs, spool, layout.dataDir);
  await purgeTempFiles(fs, spool, layout.newDir, logger);
}

/**
 * Throws `SPOOL_DIRECTORY_UNUSABLE` when `directory` (`new/` or `data/`)
 * is a symbolic link. The open deletes every file in `new/`, so a link
 * there would delete files elsewhere, and a store renames from `new/`
 * into `data/`, which works only inside one file system.
 */
async function assertRealDirectory(
  fs: LocalDiskFs,
  spool: string,
  directory: string,
): Promise<void> {
  const stats = await runStep(fs, spool, directory, 'check the directory', () =>
    fs.lstat(directory),
  );
  if (stats.isSymbolicLink()) {
    throw new SpoolError(
      SpoolErrorCode.DirectoryUnusable,
      `cannot open spool '${spool}': ${directory} is a symbolic link, and the spool deletes the files of new/ at open and renames entries from new/ into data/; make it a directory inside the spool, and to keep the spool on another disk, point the spool's path there instead`,
      { spool, path: directory },
    );
  }
}

/**
 * Creates a file in `new/`, writes and fsyncs it, renames it into `data/`,
 * checks that `access(2)` agrees (it uses the real uid, `open` the
 * effective one) and deletes it.
 */
async function probeDirectories(
  fs: LocalDiskFs,
  spool: string,
  layout: SpoolLayout,
): Promise<void> {
  const name = `${PROBE_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
  const created = path.join(layout.newDir, name);
  const renamed = path.join(layout.dataDir, `${name}.renamed`);
  try {
    const handle = await runStep(fs, spool, created, 'create a file', () =>
      fs.open(created, 'wx', 0o600),
    );
    try {
      await runStep(fs, spool, created, 'write a file', () =>
        handle.writeFile('spoolkit directory probe\n'),
      );
      await runStep(fs, spool, created, 'fsync a file', () => handle.sync());
    } finally {
      await handle.close().catch(() => undefined);
    }
    await runStep(
      fs,
      spool,
      renamed,
      'rename a file from new/ into data/',
      () => fs.rename(created, renamed),
    );
    await runStep(
      fs,
      spool,
      renamed,
      'access a file (the real and effective uid may differ)',
      () => fs.access(renamed, constants.R_OK | constants.W_OK),
    );
    await runStep(fs, spool, renamed, 'remove a file', () =>
      fs.unlink(renamed),
    );
  } finally {
    await fs.unlink(created).catch(() => undefined);
    await fs.unlink(renamed).catch(() => undefined);
  }
}

async function listOneEntry(
  fs: LocalDiskFs,
  spool: string,
  directory: string,
): Promise<void> {
  await runStep(fs, spool, directory, 'list the directory', async () => {
    const dir = await fs.opendir(directory);
    try {
      await dir.read();
    } finally {
      await dir.close();
    }
  });
}

/** Lists the top level of `data/`, which proves it is listable, and deletes old probe files there. */
async function removeLeftoverProbes(
  fs: LocalDiskFs,
  spool: string,
  dataDir: string,
): Promise<void> {
  const leftovers = await runStep(
    fs,
    spool,
    dataDir,
    'list the directory',
    async () => {
      const found: string[] = [];
      const dir = await fs.opendir(dataDir);
      try {
        for (
          let entry = await dir.read();
          entry !== null;
          entry = await dir.read()
        ) {
          if (entry.name.startsWith(PROBE_PREFIX)) {
            found.push(path.join(dataDir, entry.name));
          }
        }
      } finally {
        await dir.close();
      }
      return found;
    },
  );
  for (const leftover of leftovers) {
    await removeFile(fs, spool, leftover, 'remove a leftover probe file');
  }
}

/**
 * Deletes every file in `new/`. Each one is a temp file whose store never
 * resolved, so none of them contains an acknowledged entry. A directory in
 * `new/` is not ours to delete and is only logged.
 */
async function purgeTempFiles(
  fs: LocalDiskFs,
  spool: string,
  newDir: string,
  logger: SpoolLogger,
): Promise<void> {
  let purged = 0;
  await runStep(fs, spool, newDir, 'list the directory', async () => {
    const dir = await fs.opendir(newDir);
    try {
      for (
        let entry = await dir.read();
        entry !== null;
        entry = await dir.read()
      ) {
        const entryPath = path.join(newDir, entry.name);
        if (entry.isDirectory()) {
          logger.warn(
            { spool, path: entryPath },
            `spool '${spool}': leaving the unexpected directory ${entryPath} in place`,
          );
          continue;
        }
        await removeFile(fs, spool, entryPath, 'remove a leftover temp file');
        purged += 1;
      }
    } finally {
      await dir.close();
    }
  });
  if (purged > 0) {
    logger.info(
      { spool, path: newDir, purged },
      `spool '${spool}': removed ${purged} temp files left by an earlier run`,
    );
  }
}

async function removeFile(
  fs: LocalDiskFs,
  spool: string,
  file: string,
  operation: string,
): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') {
      throw await unusableDirectory(fs, spool, file, operation, error);
    }
  }
}
