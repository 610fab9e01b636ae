import type { Stats } from 'node:fs';
import { stat as statPath } from 'node:fs/promises';
import { errnoCode, SpoolError, SpoolErrorCode } from './errors.js';

/** The parts of `fs.Stats` that `PathWatch` compares. */
export type FileIdentityStats = Pick<
  Stats,
  'dev' | 'ino' | 'birthtimeMs' | 'isDirectory'
>;

/**
 * The fields that distinguish a file from another that later takes its
 * path. The file system may give a new file the inode number of one just
 * deleted, so the birth time and the file type are compared too. Where
 * the file system records no birth time, Node reports 0 for every file,
 * and the inode number and type remain.
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly birthtimeMs: number;
  readonly directory: boolean;
}

/**
 * Returns whether a failed `stat` means the path no longer names a file:
 * ENOENT, or ENOTDIR for a file in place of a parent directory.
 */
export function isMissingPathError(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The spool, path, operation and id of a call that `PathWatch.errorFor` rejects. */
export interface SpoolCall {
  spool: string;
  path: string;
  operation: string;
  /** The spool id in its 32-hex-digit form. */
  id: string;
}

/** Returns the identity of the file that `stats` describes. */
export function fileIdentity(stats: FileIdentityStats): FileIdentity {
  return {
    dev: stats.dev,
    ino: stats.ino,
    birthtimeMs: stats.birthtimeMs,
    directory: stats.isDirectory(),
  };
}

/** A path an open spool relies on, the file it named at open, and what to say when that changes. */
export interface WatchedPath {
  readonly path: string;
  /** The file at `path` when the spool opened. */
  readonly identity: FileIdentity;
  /** The reason to report when `stat` fails with ENOENT or ENOTDIR. */
  readonly missingReason: string;
  /** The reason to report when the path names another file. */
  readonly replacedReason: string;
}

/**
 * Notices when a file or directory an open spool relies on is deleted,
 * moved or replaced. Backends call `check` on a timer (the free-space
 * monitor's) and report `reason` from `unhealthyReason()`, because a
 * spool whose directory was deleted under it otherwise looks healthy
 * while its entries can no longer be reached.
 *
 * `check` stats the paths in order and sets `reason` for the first one
 * that is missing or names another file, or clears it when all match
 * again (a directory moved back). A `stat` failing with another errno
 * (EACCES, EIO) leaves `reason` as it was, as a failed free-space
 * reading does.
 */
export class PathWatch {
  readonly #paths: readonly WatchedPath[];
  readonly #stat: (path: string) => Promise<FileIdentityStats>;
  #reason: string | undefined;

  /** @param stat replaces `fs.promises.stat`, for a backend with its own fs layer. */
  constructor(
    paths: readonly WatchedPath[],
    stat: (path: string) => Promise<FileIdentityStats> = statPath,
  ) {
    this.#paths = paths;
    this.#stat = stat;
  }

  /** The reason of the first path that changed at the last check, or `undefined`. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /**
   * Returns the `SPOOL_UNHEALTHY` error for a call while `reason` is set,
   * otherwise `undefined`. A backend rejects writes with it, because they
   * would land where the next open does not look.
   */
  errorFor(call: SpoolCall): SpoolError | undefined {
    const reason = this.#reason;
    if (reason === undefined) {
      return undefined;
    }
    const { spool, path, operation, id } = call;
    return new SpoolError(
      SpoolErrorCode.Unhealthy,
      `spool '${spool}' rejected the ${operation} of ${id}: ${reason}`,
      { spool, path, id },
    );
  }

  /** Stats every path and updates `reason`. Never rejects. */
  async check(): Promise<void> {
    for (const watched of this.#paths) {
      let now: FileIdentity;
      try {
        now = fileIdentity(await this.#stat(watched.path));
      } catch (error) {
        if (isMissingPathError(error)) {
          this.#reason = watched.missingReason;
        }
        return;
      }
      if (!sameFile(now, watched.identity)) {
        this.#reason = watched.replacedReason;
        return;
      }
    }
    this.#reason = undefined;
  }
}

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.birthtimeMs === b.birthtimeMs &&
    a.directory === b.directory
  );
}
