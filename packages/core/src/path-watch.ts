import type { Stats } from 'node:fs';
import { stat as statPath } from 'node:fs/promises';
import { errnoCode } from './errors.js';

/** A path an open spool relies on, the file it named at open, and what to say when that changes. */
export interface WatchedPath {
  readonly path: string;
  /** `st_dev` and `st_ino` of the file at open. */
  readonly dev: number;
  readonly ino: number;
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
  readonly #stat: (path: string) => Promise<Pick<Stats, 'dev' | 'ino'>>;
  #reason: string | undefined;

  /** @param stat replaces `fs.promises.stat`, for a backend with its own fs layer. */
  constructor(
    paths: readonly WatchedPath[],
    stat: (path: string) => Promise<Pick<Stats, 'dev' | 'ino'>> = statPath,
  ) {
    this.#paths = paths;
    this.#stat = stat;
  }

  /** The reason of the first path that changed at the last check, or `undefined`. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** Stats every path and updates `reason`. Never rejects. */
  async check(): Promise<void> {
    for (const watched of this.#paths) {
      let now: Pick<Stats, 'dev' | 'ino'>;
      try {
        now = await this.#stat(watched.path);
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          this.#reason = watched.missingReason;
        }
        return;
      }
      if (now.dev !== watched.dev || now.ino !== watched.ino) {
        this.#reason = watched.replacedReason;
        return;
      }
    }
    this.#reason = undefined;
  }
}
