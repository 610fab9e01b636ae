import { errnoCode } from './errors.js';

/**
 * Returns what to do about `error`, a failure to create or use a spool's
 * directory, as a clause that starts in lower case. Backends put it at
 * the end of their `SPOOL_DIRECTORY_UNUSABLE` messages. ENOSPC and EDQUOT
 * are not covered, since they become `SPOOL_NO_SPACE` or `SPOOL_NO_INODES`.
 */
export function directoryFix(error: unknown): string {
  switch (errnoCode(error)) {
    case 'EROFS':
      return 'the file system is mounted read-only; remount it read-write or choose another path';
    case 'EEXIST':
    case 'ENOTDIR':
      return 'a file is in the way where a directory is needed; move that file or choose another path';
    case 'ENXIO':
      return 'a FIFO, socket or device is where a file is needed; move it away or choose another path';
    case 'EISDIR':
      return 'a directory is in the way where a file is needed; move that directory or choose another path';
    case 'ENOENT':
      return 'a directory on the path exists but takes no new directories (a virtual file system such as /proc, or a symbolic link to a missing target), or it was deleted meanwhile; choose a path on a disk file system';
    case 'ENAMETOOLONG':
      return 'a name in the path is longer than the file system allows (255 bytes on most Linux file systems), or the whole path is; choose a shorter path';
    case 'ELOOP':
      return 'the path runs through a loop of symbolic links; fix the links or choose another path';
    default:
      return 'fix the ownership or permissions, or choose another path';
  }
}
