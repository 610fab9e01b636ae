import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileIdentity, PathWatch } from '@spoolkit/core';

/** The file RocksDB locks to keep a second process out of a database. */
export const ROCKSDB_LOCK_FILE = 'LOCK';

/**
 * Records the database directory and its `LOCK` file, so the returned
 * watch notices when either is deleted, moved or replaced while the spool
 * is open. Call it once the database is open.
 *
 * RocksDB keeps writing to the files it has open, so a deleted or moved
 * directory goes unnoticed until a flush or compaction fails. The stores
 * accepted until then are in files that the next open of this path will
 * not find. A deleted `LOCK` lets a second process open the same
 * database. KumoMTA checks for neither.
 */
export async function watchDatabaseDirectory(
  spool: string,
  location: string,
): Promise<PathWatch> {
  const lockFile = path.join(location, ROCKSDB_LOCK_FILE);
  const [directory, lock] = await Promise.all([stat(location), stat(lockFile)]);
  const reopen =
    'move it back or remount its file system, otherwise close and reopen the spool, which creates an empty database';
  const lockAdvice =
    'so another process can open the same database at the same time and damage it; stop anything else that uses the directory, then close and reopen the spool to lock it again';
  return new PathWatch([
    {
      path: location,
      identity: fileIdentity(directory),
      missingReason: `${location} of spool '${spool}' is missing: it was deleted, moved or unmounted while the spool was open, so stores from now on go to files that the next open of this path will not find; ${reopen}`,
      replacedReason: `${location} of spool '${spool}' was replaced by another file or directory while the spool was open, so stores from now on go to files that the next open of this path will not find; ${reopen}`,
    },
    {
      path: lockFile,
      identity: fileIdentity(lock),
      missingReason: `RocksDB lock file ${lockFile} of spool '${spool}' was deleted while the spool held it, ${lockAdvice}`,
      replacedReason: `RocksDB lock file ${lockFile} of spool '${spool}' was replaced while the spool held it, ${lockAdvice}`,
    },
  ]);
}
