import path from 'node:path';
import { errnoCode, SpoolError, SpoolErrorCode } from '@spoolkit/core';
import type { LocalDiskFs } from './fs-layer.js';
import { unusableDirectory } from './unusable.js';

/**
 * Throws `SPOOL_DIRECTORY_UNUSABLE` when `root` contains a RocksDB
 * database (its `CURRENT` file). A policy that changes a spool's kind from
 * RocksDB to LocalDisk would otherwise open an empty spool over the
 * database, and the stored messages would silently go missing. RocksDB's
 * `LOCK` and LocalDisk's `lock` are different files, so the two kinds'
 * locks do not exclude each other either. A failure to look, such as
 * ENAMETOOLONG or EACCES, also throws `SPOOL_DIRECTORY_UNUSABLE`.
 */
export async function assertNoRocksDb(
  fs: LocalDiskFs,
  spool: string,
  root: string,
): Promise<void> {
  const marker = path.join(root, 'CURRENT');
  try {
    await fs.lstat(marker);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') {
      return;
    }
    throw await unusableDirectory(
      fs,
      spool,
      root,
      'read the spool directory',
      error,
    );
  }
  throw new SpoolError(
    SpoolErrorCode.DirectoryUnusable,
    `cannot open spool '${spool}' as LocalDisk: ${root} contains a RocksDB database (${marker}), and a spool's kind cannot change in place; set kind = 'RocksDB' for it again, or give the LocalDisk spool another path`,
    { spool, path: root },
  );
}
