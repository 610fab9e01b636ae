import {
  DiskSpaceMonitor,
  type DiskUsage,
  type EnumerateOptions,
  errnoCode,
  KeyedQueue,
  type PathWatch,
  type Spool,
  type SpoolEntry,
  type SpoolError,
  SpoolErrorCode,
  SpoolId,
  SpoolLifecycle,
  type StoreOptions,
  validateEnumerateOptions,
  validateId,
  validateStoreArguments,
} from '@spoolkit/core';
import { CopyPool } from './copy-pool.js';
import { EntryFiles } from './entry-files.js';
import type { LocalDiskFileHandle, LocalDiskFs } from './fs-layer.js';
import { watchLayout } from './layout-watch.js';
import { acquirePidLock } from './lock.js';
import {
  type LocalDiskSpoolOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { assertNoRocksDb } from './other-kind.js';
import {
  prepareDirectories,
  type SpoolLayout,
  spoolLayout,
} from './prepare.js';
import { pruneEmptyDirectories } from './prune.js';
import { TreeWalk } from './walk.js';

/**
 * A spool that keeps each entry in its own file, on the directory layout
 * of KumoMTA's LocalDisk spool, so kumod and spoolkit can read each
 * other's spools (never at the same time: both take the same lock).
 *
 * - `<path>/lock` contains the owner's pid, and the owner keeps an
 *   exclusive `flock(2)` on it.
 * - `<path>/new/` holds temp files while they are written.
 * - `<path>/data/aa/bb/cc/dd/<24 hex digits>` holds exactly the stored
 *   bytes of one entry (mode 0600), named by `SpoolId.relativePath()`.
 *
 * Open it with `openLocalDiskSpool`. Calls for the same id take effect in
 * the order they were made (loads included, so a load sees every store
 * made before it); calls for different ids run concurrently.
 */
export class LocalDiskSpool implements Spool {
  /** The spool's name. */
  readonly name: string;
  /** Always `LocalDisk`. */
  readonly kind = 'LocalDisk';
  /** The absolute spool directory. */
  readonly path: string;

  readonly #options: ResolvedOptions;
  readonly #layout: SpoolLayout;
  readonly #lockHandle: LocalDiskFileHandle;
  readonly #monitor: DiskSpaceMonitor;
  readonly #watch: PathWatch;
  readonly #files: EntryFiles;
  readonly #lifecycle: SpoolLifecycle;
  readonly #copies = new CopyPool();
  readonly #queue = new KeyedQueue();
  readonly #openedAtTicks: bigint;

  private constructor(
    options: ResolvedOptions,
    layout: SpoolLayout,
    lockHandle: LocalDiskFileHandle,
    monitor: DiskSpaceMonitor,
    watch: PathWatch,
    openedAtTicks: bigint,
  ) {
    this.name = options.name;
    this.path = options.path;
    this.#options = options;
    this.#layout = layout;
    this.#lockHandle = lockHandle;
    this.#monitor = monitor;
    this.#watch = watch;
    this.#openedAtTicks = openedAtTicks;
    this.#files = new EntryFiles(
      options.fs,
      options.name,
      layout,
      options.logger,
    );
    this.#lifecycle = new SpoolLifecycle(options.name, options.path);
  }

  /**
   * Opens the spool: takes the lock, creates `new/` and `data/`, probes
   * that they can be written and listed, deletes leftover temp files and
   * starts the free-space monitor. See `openLocalDiskSpool`.
   */
  static async open(options: LocalDiskSpoolOptions): Promise<LocalDiskSpool> {
    const resolved = resolveOptions(options);
    const { fs, name, logger } = resolved;
    const layout = spoolLayout(resolved.path);
    await assertNoRocksDb(fs, name, layout.root);
    const lockHandle = await acquirePidLock(fs, name, layout.root, logger);
    const openedAtTicks = SpoolId.nowTicks();
    let watch: PathWatch | undefined;
    const monitor = new DiskSpaceMonitor({
      path: layout.root,
      minFreeSpace: resolved.minFreeSpace,
      minFreeInodes: resolved.minFreeInodes,
      intervalMs: resolved.diskCheckIntervalMs,
      // The layout is checked on the free-space timer and at each recheck.
      readUsage: async (target) => {
        await watch?.check();
        return readUsage(fs, target);
      },
    });
    try {
      await prepareDirectories(fs, name, layout, logger);
      watch = await watchLayout({ fs, spool: name, layout, lockHandle });
      await monitor.start();
    } catch (error) {
      monitor.stop();
      await lockHandle.close().catch(() => undefined);
      throw error;
    }
    logger.debug(
      { spool: name, path: layout.root },
      `spool '${name}' opened at ${layout.root}`,
    );
    return new LocalDiskSpool(
      resolved,
      layout,
      lockHandle,
      monitor,
      watch,
      openedAtTicks,
    );
  }

  /**
   * Stores a copy of `data` under `id`, replacing an old entry atomically.
   * A resolved store survives a crash of this process. With `options.sync`
   * or the spool's `flush`, the file is `fdatasync`ed before its rename and
   * the directories on its path are `fsync`ed before the store resolves,
   * so it also survives a power loss. `options.deadline` is accepted and
   * ignored, because LocalDisk never waits for backpressure (KumoMTA
   * ignores it too).
   *
   * Rejects with `SPOOL_INVALID_ARGUMENT`, `SPOOL_INVALID_ID` (an id
   * without a creation time), `SPOOL_CLOSED`, `SPOOL_UNHEALTHY` (the
   * spool's directories moved, see `unhealthyReason()`), `SPOOL_NO_SPACE`,
   * `SPOOL_NO_INODES` or `SPOOL_IO`; a rejected store leaves no temp file
   * and no partial entry.
   */
  store(
    id: SpoolId,
    data: Uint8Array,
    options: StoreOptions = {},
  ): Promise<void> {
    let bytes: Buffer;
    try {
      validateStoreArguments(id, data, options, this.name);
      // Copied before the first await, so the caller may change its buffer
      // at once. The raw-fs baseline writes the caller's buffer without a
      // copy; see `CopyPool` for what the copy costs.
      bytes = this.#copies.copy(data);
    } catch (error) {
      return Promise.reject(error);
    }
    const sync = this.#options.flush || options.sync === true;
    const store = () =>
      this.#unlessMoved('store', id, () => this.#files.store(id, bytes, sync));
    const work = this.#copies.lent(bytes)
      ? () =>
          store().finally(() => {
            // Nothing reads the copy once the store settled.
            this.#copies.release(bytes);
          })
      : store;
    return this.#lifecycle.runKeyed(
      'store',
      this.#queue,
      id.toString(),
      work,
      this.#onStoreFailed,
    );
  }

  /**
   * Rechecks free space when a store found the disk or its inodes full,
   * and rejects only once that check is done. So `unhealthyReason()`
   * already reports the shortfall when the caller sees the error, not
   * only after the monitor's next tick (every 5 s by default). Returns
   * the error unchanged.
   */
  readonly #onStoreFailed = (error: unknown): unknown => {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === SpoolErrorCode.NoSpace || code === SpoolErrorCode.NoInodes) {
      return this.#monitor.recheck().then(() => error);
    }
    return error;
  };

  /**
   * Reads the entry for `id`. Rejects with `SPOOL_NOT_FOUND` naming the id
   * and path, `SPOOL_CORRUPT` or `SPOOL_IO`. A missing entry while
   * `unhealthyReason()` reports the spool's directories moved rejects with
   * `SPOOL_UNHEALTHY` instead, since the entry may sit in the moved
   * directory.
   */
  load(id: SpoolId): Promise<Buffer> {
    try {
      validateId(id, 'load', this.name);
    } catch (error) {
      return Promise.reject(error);
    }
    const files = this.#files;
    return this.#lifecycle.runKeyed(
      'load',
      this.#queue,
      id.toString(),
      () => files.read(id),
      (error) => this.#loadFailed(id, error),
    );
  }

  /** Converts a failed read; a missing entry of a moved spool gets the layout's error. */
  #loadFailed(id: SpoolId, error: unknown): SpoolError | Promise<SpoolError> {
    if (errnoCode(error) === 'ENOENT') {
      const moved = this.#layoutError('load', id);
      if (moved !== undefined) {
        return moved;
      }
    }
    return this.#files.loadError(id, error);
  }

  /**
   * Deletes the entry for `id`; resolves when there is none. With `flush`
   * on, the directory is fsynced so the removal survives a power loss.
   * Rejects with `SPOOL_UNHEALTHY` while `unhealthyReason()` reports the
   * spool's directories moved.
   */
  remove(id: SpoolId): Promise<void> {
    try {
      validateId(id, 'remove', this.name);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#lifecycle.runKeyed('remove', this.#queue, id.toString(), () =>
      this.#unlessMoved('remove', id, () =>
        this.#files.remove(id, this.#options.flush),
      ),
    );
  }

  /**
   * Runs `work` unless the last check found the spool directory, `new/`,
   * `data/` or the lock file deleted, moved or replaced. Then it rejects
   * with `SPOOL_UNHEALTHY`, because a store would land where the next open
   * does not look, and a remove would report an entry gone that still
   * sits in the moved directory.
   */
  #unlessMoved<T>(
    operation: string,
    id: SpoolId,
    work: () => Promise<T>,
  ): Promise<T> {
    const rejection = this.#layoutError(operation, id);
    return rejection === undefined ? work() : Promise.reject(rejection);
  }

  /** Returns the `SPOOL_UNHEALTHY` error for `operation` while the layout check reports a change, otherwise `undefined`. */
  #layoutError(operation: string, id: SpoolId): SpoolError | undefined {
    return this.#watch.errorFor({
      spool: this.name,
      path: this.path,
      operation,
      id: id.toString(),
    });
  }

  /**
   * Walks `data/` lazily and yields the entries created before
   * `createdBefore` (by default, the moment the spool was opened), in no
   * defined order, plus a `corrupt` entry for every file or directory that
   * is not a readable entry. A zero-length file is an empty entry.
   *
   * Breaking out of the loop, throwing in it, aborting `signal` (which ends
   * the loop quietly) or closing the spool (which makes the next step throw
   * `SPOOL_CLOSED`) closes the walk's directories at once.
   */
  enumerate(options: EnumerateOptions = {}): AsyncIterable<SpoolEntry> {
    return this.#enumerate(options);
  }

  async *#enumerate(options: EnumerateOptions): AsyncGenerator<SpoolEntry> {
    validateEnumerateOptions(options, this.name);
    this.#lifecycle.assertOpen('enumerate');
    if (options.signal?.aborted) {
      return;
    }
    const walk = new TreeWalk({
      fs: this.#options.fs,
      spool: this.name,
      dataDir: this.#layout.dataDir,
      createdBeforeTicks:
        options.createdBefore === undefined
          ? this.#openedAtTicks
          : SpoolId.ticksAt(options.createdBefore.getTime()),
      signal: options.signal,
      closingSignal: this.#lifecycle.closingSignal,
      closedError: () => this.#lifecycle.closedError('enumerate'),
      release: this.#lifecycle.openLease(),
    });
    yield* walk.entries();
  }

  /**
   * Removes empty directories under `data/` in one pass, bottom-up. Safe
   * while stores run: they create a pruned directory again.
   */
  cleanup(): Promise<void> {
    return this.#lifecycle.run('clean up', async () => {
      this.#files.forgetDirectories();
      const { fs, name, logger } = this.#options;
      const removed = await pruneEmptyDirectories(
        { fs, spool: name, logger },
        this.#layout.dataDir,
      );
      logger.debug(
        { spool: name, removed },
        `spool '${name}' cleanup removed ${removed} empty directories`,
      );
    });
  }

  /** Does nothing: files need no compaction. */
  compact(): Promise<void> {
    return this.#lifecycle.run('compact', async () => undefined);
  }

  /** Frees nothing and resolves to 0: the spool keeps no cache worth freeing. */
  adviseLowMemory(): Promise<number> {
    return this.#lifecycle.run('adviseLowMemory', async () => 0);
  }

  /** Whether `close()` has begun. */
  get closed(): boolean {
    return this.#lifecycle.isClosing;
  }

  /**
   * Returns why the spool cannot work as opened, or `undefined`. Does no
   * I/O: it reports what the last check found, which runs every
   * `diskCheckIntervalMs` (5 s by default) and after a store that found
   * the disk full. A spool directory, `new/`, `data/` or lock file that
   * was deleted, moved or replaced since `open` comes first, then a
   * free-space shortfall.
   */
  unhealthyReason(): string | undefined {
    return this.#watch.reason ?? this.#monitor.reason;
  }

  /**
   * Waits for calls in flight, then stops the monitor, empties the lock
   * file and releases the lock.
   */
  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#monitor.stop();
      this.#copies.clear();
      // Emptied while still locked, so that a later holder that writes no
      // pid (such as flock(1)) is not reported as this process.
      await this.#lockHandle.truncate(0).catch(() => undefined);
      await this.#lockHandle.close();
      this.#options.logger.debug(
        { spool: this.name },
        `spool '${this.name}' closed`,
      );
    });
  }
}

/** Reads free space through the spool's fs layer, as the disk monitor expects it. */
async function readUsage(fs: LocalDiskFs, target: string): Promise<DiskUsage> {
  const stats = await fs.statfs(target);
  return {
    freeBytes: stats.bavail * stats.bsize,
    totalBytes: stats.blocks * stats.bsize,
    freeInodes: stats.ffree,
    totalInodes: stats.files,
  };
}
