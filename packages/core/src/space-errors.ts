import { statfs as nodeStatfs } from 'node:fs/promises';
import path from 'node:path';
import {
  SpoolError,
  SpoolErrorCode,
  type SpoolErrorContext,
} from './errors.js';

/** The counts `statfs` reports, as numbers or as bigints. */
export interface FileSystemCounts {
  /** Inodes in total; 0 on file systems without a fixed limit, such as btrfs. */
  files: number | bigint;
  /** Free inodes. */
  ffree: number | bigint;
  /** Blocks free to unprivileged users. */
  bavail: number | bigint;
  /** Bytes per block. */
  bsize: number | bigint;
}

/**
 * Returns the free bytes when `stats` shows a fixed inode table with no
 * free inode left, else `undefined`.
 */
export function freeBytesWithoutInodes(
  stats: FileSystemCounts | undefined,
): number | undefined {
  if (stats === undefined || Number(stats.files) === 0) {
    return undefined;
  }
  return Number(stats.ffree) === 0
    ? Number(stats.bavail) * Number(stats.bsize)
    : undefined;
}

/**
 * Returns `statfs` of `target`, or of its nearest parent that exists, or
 * `undefined` when every level fails. `statfs` may be a caller's own file
 * layer.
 */
export async function statfsNearest(
  target: string,
  statfs: (target: string) => Promise<FileSystemCounts> = nodeStatfs,
): Promise<FileSystemCounts | undefined> {
  for (let current = target; ; current = path.dirname(current)) {
    try {
      return await statfs(current);
    } catch {
      if (path.dirname(current) === current) {
        return undefined;
      }
    }
  }
}

/** The facts about an ENOSPC or EDQUOT that `outOfSpaceError` reports. */
export interface OutOfSpaceFailure {
  /** ENOSPC or EDQUOT. */
  code: 'ENOSPC' | 'EDQUOT';
  /** The start of the message: what failed, on which spool and path. */
  prefix: string;
  /** The step that failed, such as `while writing the temp file`; may be empty. */
  step: string;
  /** The path whose file system is full. */
  path: string;
  /** The advice once space is free, such as `retry` or `open it again`. */
  nextStep: string;
  /**
   * Free bytes when the file system ran out of inodes rather than bytes,
   * from `freeBytesWithoutInodes` or the caller's own evidence.
   */
  freeBytesWithoutInodes: number | undefined;
  context: SpoolErrorContext;
}

/**
 * Builds `SPOOL_NO_INODES` for ENOSPC on a file system without free
 * inodes, otherwise `SPOOL_NO_SPACE`, with what to free and where.
 */
export function outOfSpaceError(failure: OutOfSpaceFailure): SpoolError {
  const { code, prefix, path, nextStep, context } = failure;
  const step = failure.step === '' ? '' : ` ${failure.step}`;
  const freeBytes = failure.freeBytesWithoutInodes;
  if (code === 'ENOSPC' && freeBytes !== undefined) {
    return new SpoolError(
      SpoolErrorCode.NoInodes,
      `${prefix}: the file system has no free inodes left (ENOSPC${step}, with ${freeBytes} bytes still free); delete unused files on the file system that holds ${path}, or move the spool to one with more inodes, then ${nextStep}`,
      context,
    );
  }
  if (code === 'EDQUOT') {
    return new SpoolError(
      SpoolErrorCode.NoSpace,
      `${prefix}: the disk quota is exceeded (EDQUOT${step}); delete files that count against the quota of the user this process runs as on the file system that holds ${path}, or raise that quota (see \`quota -s\`), then ${nextStep}`,
      context,
    );
  }
  return new SpoolError(
    SpoolErrorCode.NoSpace,
    `${prefix}: the file system is out of space (ENOSPC${step}); free disk space on the file system that holds ${path}, or move the spool to a larger one, then ${nextStep}`,
    context,
  );
}
