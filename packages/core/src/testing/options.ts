import type { Spool } from '../spool.js';

/** Options for `describeSpoolConformance` and `runConformanceCase`. */
export interface ConformanceOptions {
  /** The backend's name, shown in the suite title, such as `LocalDisk`. */
  name: string;
  /**
   * Opens a spool stored under the folder `dir`. The folder may not exist
   * yet, and the backend creates it. Calling `create` again with the same
   * `dir` after `close()` must reopen the same data.
   */
  create: (dir: string) => Spool | Promise<Spool>;
  /**
   * Whether the backend locks its folder, so that a second open of a held
   * folder rejects with `SPOOL_LOCKED`. Set it to `false` for a backend
   * that does not lock; the lock case is then skipped.
   * @default true
   */
  locks?: boolean;
  /**
   * The size of the large value the values case stores, in bytes.
   * @default 4194304 (4 MiB)
   */
  largeValueBytes?: number;
  /**
   * How many ids the concurrency cases store at once.
   * @default 200
   */
  concurrentIds?: number;
  /**
   * The vitest timeout of each case, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * How long a case waits for `close()` or an enumeration that must end
   * before it fails the case instead of hanging, in milliseconds.
   * @default 10000
   */
  settleTimeoutMs?: number;
  /**
   * Full names of cases to skip, as `family > case`, such as
   * `values > multi-MB value`. Meant for a known gap, stated beside it.
   * @default []
   */
  skip?: readonly string[];
}

/** `ConformanceOptions` with every default filled in. */
export type ResolvedConformanceOptions = Required<ConformanceOptions>;

/** Fills in the defaults of `options`. */
export function resolveOptions(
  options: ConformanceOptions,
): ResolvedConformanceOptions {
  return {
    locks: true,
    largeValueBytes: 4 * 1024 * 1024,
    concurrentIds: 200,
    timeoutMs: 30_000,
    settleTimeoutMs: 10_000,
    skip: [],
    ...options,
  };
}
