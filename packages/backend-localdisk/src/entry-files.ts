import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import path from 'node:path';
import {
  errnoCode,
  makeLevelByLevel,
  SpoolError,
  SpoolErrorCode,
  type SpoolId,
  type SpoolLogger,
} from '@spoolkit/core';
import { NOT_REGULAR_FILE } from './callback-fs.js';
import { DirectoryCache } from './directory-cache.js';
import { describeError, toStorageError } from './errors.js';
import type { LocalDiskFileHandle, LocalDiskFs } from './fs-layer.js';
import {
  directoryChain,
  firstNonDirectory,
  isDirectoryMissing,
} from './levels.js';
import type { SpoolLayout } from './prepare.js';

/**
 * How many times a store recreates its directories and renames again when
 * a concurrent `cleanup()` pruned one of them. A retry fails again only if
 * another prune removes the directory between its mkdir and the rename,
 * so a handful of attempts is plenty.
 */
const MAX_ATTEMPTS = 8;

/** Names a failed step on the temp file at `file` in errors. */
const TEMP_FILE_STEPS = {
  write: (file: string) => `writing the temp file ${file}`,
  sync: (file: string) => `syncing the temp file ${file} (fdatasync)`,
  close: (file: string) => `closing the temp file ${file}`,
};

/** The file operations on single entries: store, load and remove. */
export class EntryFiles {
  readonly #fs: LocalDiskFs;
  readonly #spool: string;
  readonly #layout: SpoolLayout;
  readonly #logger: SpoolLogger;
  readonly #directories = new DirectoryCache();
  readonly #tempPrefix =
    `.tmp-${process.pid}-${randomBytes(4).toString('hex')}-`;
  #tempCounter = 0;

  constructor(
    fs: LocalDiskFs,
    spool: string,
    layout: SpoolLayout,
    logger: SpoolLogger,
  ) {
    this.#fs = fs;
    this.#spool = spool;
    this.#layout = layout;
    this.#logger = logger;
  }

  /** Returns the path of the file that stores `id`. */
  entryPath(id: SpoolId): string {
    // `dataDir` is already normalized and the relative path is hex digits
    // and separators, so plain concatenation gives what path.join would.
    return `${this.#layout.dataDir}${path.sep}${id.relativePath(path.sep)}`;
  }

  /**
   * Forgets which directories exist. `cleanup()` calls it before pruning,
   * so that later stores create their directories again instead of
   * trusting the cache.
   */
  forgetDirectories(): void {
    this.#directories.clear();
  }

  /**
   * Writes `bytes` to a temp file in `new/`, optionally `fdatasync`s it,
   * creates the entry's directories and renames the file onto the entry,
   * which replaces an old entry atomically. With `sync`, it then `fsync`s
   * the entry's directory and the parent of every directory on its path
   * whose name is not yet known to be durable, which includes every
   * directory this store or a concurrent one created. So the entry's name
   * survives a power loss too.
   *
   * On failure the temp file is deleted, so no temp file and no partial
   * entry remain. Rejects with `SPOOL_NO_SPACE`, `SPOOL_NO_INODES` or
   * `SPOOL_IO`. When only the final directory `fsync` fails, the entry is
   * already complete and visible, but the store still rejects because its
   * durability is unknown.
   */
  async store(id: SpoolId, bytes: Uint8Array, sync: boolean): Promise<void> {
    const finalPath = this.entryPath(id);
    this.#tempCounter += 1;
    const tempPath = path.join(
      this.#layout.newDir,
      `${this.#tempPrefix}${this.#tempCounter}`,
    );
    const step = this.#stepRunner('store', id, finalPath);
    try {
      await this.#writeTempFile(step, tempPath, bytes, sync);
      await this.#renameIntoPlace(step, tempPath, finalPath);
      if (sync) {
        await this.#syncDirectories(step, path.dirname(finalPath));
      }
    } catch (error) {
      await this.#removeTempFile(tempPath);
      throw error;
    }
  }

  /**
   * Reads the entry's file. A failure is Node's error, unconverted: pass
   * it to `loadError`. The two are separate so that the spool converts
   * errors in the reaction that already ends each call, instead of one
   * more reaction on every load (loads are the hottest path).
   */
  read(id: SpoolId): Promise<Buffer> {
    try {
      return this.#fs.readFile(this.entryPath(id));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Converts a failure of `read(id)`: `SPOOL_NOT_FOUND`, `SPOOL_CORRUPT` (a
   * directory or a symbolic link in the entry's place) or `SPOOL_IO`.
   */
  async loadError(id: SpoolId, error: unknown): Promise<SpoolError> {
    const finalPath = this.entryPath(id);
    const code = errnoCode(error);
    const blocker =
      code === 'ENOTDIR'
        ? await firstNonDirectory(
            this.#fs,
            this.#layout.root,
            path.dirname(finalPath),
          )
        : undefined;
    if (blocker !== undefined) {
      return new SpoolError(
        SpoolErrorCode.Corrupt,
        `failed to load ${id} from spool '${this.#spool}': ${blocker} is a file where a directory should be, so no entry below it can be loaded or stored; move it out of the spool directory ${this.#layout.root} (it may hold a message)`,
        {
          spool: this.#spool,
          id: id.toString(),
          path: blocker,
          cause: error,
        },
      );
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return new SpoolError(
        SpoolErrorCode.NotFound,
        `spool '${this.#spool}' has no entry ${id} (no file at ${finalPath}); it was never stored or has been removed`,
        {
          spool: this.#spool,
          id: id.toString(),
          path: finalPath,
          cause: error,
        },
      );
    }
    if (code === 'ELOOP') {
      return new SpoolError(
        SpoolErrorCode.Corrupt,
        `failed to load ${id} from spool '${this.#spool}': ${finalPath} is a symbolic link where a file should be, and the spool never follows one; remove(id) deletes the link`,
        {
          spool: this.#spool,
          id: id.toString(),
          path: finalPath,
          cause: error,
        },
      );
    }
    if (code === NOT_REGULAR_FILE || code === 'EAGAIN' || code === 'ENXIO') {
      // EAGAIN: a FIFO with a writer, opened without blocking. ENXIO: a socket.
      return new SpoolError(
        SpoolErrorCode.Corrupt,
        `failed to load ${id} from spool '${this.#spool}': ${finalPath} is not a regular file (a FIFO, socket or device) where an entry file should be; remove(id) deletes it`,
        {
          spool: this.#spool,
          id: id.toString(),
          path: finalPath,
          cause: error,
        },
      );
    }
    if (code === 'EISDIR') {
      return new SpoolError(
        SpoolErrorCode.Corrupt,
        `failed to load ${id} from spool '${this.#spool}': ${finalPath} is a directory where a file should be; remove(id) deletes it`,
        {
          spool: this.#spool,
          id: id.toString(),
          path: finalPath,
          cause: error,
        },
      );
    }
    return this.#stepRunner('load', id, finalPath).convert(
      error,
      `reading ${finalPath}`,
      false,
    );
  }

  /**
   * Deletes the entry; a missing entry is not an error. A directory in the
   * entry's place (see `enumerate`'s corrupt entries) is deleted with its
   * content. With `sync`, the directory is fsynced so the removal survives
   * a power loss.
   */
  remove(id: SpoolId, sync: boolean): Promise<void> {
    if (sync) {
      return this.#removeAndSync(id);
    }
    const finalPath = this.entryPath(id);
    let removing: Promise<void>;
    try {
      removing = this.#fs.unlink(finalPath);
    } catch (error) {
      removing = Promise.reject(error);
    }
    // A single reaction, not an async function, as in `load`.
    return removing.then(undefined, async (error: unknown) => {
      await this.#unlinkFailed(id, finalPath, error);
    });
  }

  async #removeAndSync(id: SpoolId): Promise<void> {
    const finalPath = this.entryPath(id);
    try {
      await this.#fs.unlink(finalPath);
    } catch (error) {
      if (!(await this.#unlinkFailed(id, finalPath, error))) {
        return;
      }
    }
    // A concurrent cleanup() may prune the now empty directory, which is as durable as it gets.
    const step = this.#stepRunner('remove', id, finalPath);
    await this.#syncDirectory(step, path.dirname(finalPath), true);
  }

  /**
   * Handles a failed `unlink` of the entry. Resolves to false when there
   * was no entry, but rejects with `SPOOL_IO` when `data/` itself is
   * missing. Deletes a directory in the entry's place and resolves to
   * true. Rejects with the converted error otherwise.
   */
  async #unlinkFailed(
    id: SpoolId,
    finalPath: string,
    error: unknown,
  ): Promise<boolean> {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (await isDirectoryMissing(this.#fs, this.#layout.dataDir)) {
        // The entry may sit in the moved directory, so "removed" would be untrue.
        const { dataDir } = this.#layout;
        throw new SpoolError(
          SpoolErrorCode.Io,
          `failed to remove ${id} from spool '${this.#spool}': ${dataDir} is missing, so it was deleted, moved or unmounted while the spool was open, and the entry may still be in it; move it back or remount its file system, then remove again`,
          {
            spool: this.#spool,
            id: id.toString(),
            path: dataDir,
            cause: error,
          },
        );
      }
      return false;
    }
    const step = this.#stepRunner('remove', id, finalPath);
    if (code !== 'EISDIR') {
      throw await step.convert(error, `removing ${finalPath}`, false);
    }
    await step.run(`removing the directory ${finalPath}`, false, () =>
      this.#fs.rm(finalPath, { recursive: true, force: true }),
    );
    return true;
  }

  async #writeTempFile(
    step: StepRunner,
    tempPath: string,
    bytes: Uint8Array,
    sync: boolean,
  ): Promise<void> {
    let handle: LocalDiskFileHandle | undefined;
    try {
      handle = await this.#fs.open(tempPath, 'wx', 0o600);
    } catch (error) {
      throw await step.convert(
        error,
        `creating the temp file ${tempPath}`,
        true,
      );
    }
    // Plain awaits in one try, not a wrapper per step: the step's name is
    // built only when it fails.
    let stage: keyof typeof TEMP_FILE_STEPS = 'write';
    try {
      await handle.writeFile(bytes);
      if (sync) {
        stage = 'sync';
        await handle.datasync();
      }
      stage = 'close';
      const closing = handle;
      handle = undefined;
      await closing.close();
    } catch (error) {
      await handle?.close().catch(() => undefined);
      throw await step.convert(error, TEMP_FILE_STEPS[stage](tempPath), false);
    }
  }

  /** Creates the entry's directories and renames the temp file onto the entry. */
  async #renameIntoPlace(
    step: StepRunner,
    tempPath: string,
    finalPath: string,
  ): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      await this.#createDirectories(step, path.dirname(finalPath));
      try {
        await this.#fs.rename(tempPath, finalPath);
        return;
      } catch (error) {
        // ENOENT here means cleanup() pruned a directory after it was created or found in the cache.
        if (errnoCode(error) !== 'ENOENT' || attempt >= MAX_ATTEMPTS) {
          throw await step.convert(
            error,
            `renaming ${tempPath} to ${finalPath}`,
            false,
          );
        }
        this.#logRetry(finalPath, `renaming ${tempPath}`, attempt, error);
        this.forgetDirectories();
      }
    }
  }

  /**
   * Creates the missing directories from `data/` down to `directory`, top
   * first. Starts over from the top when a concurrent cleanup() pruned a
   * parent (ENOENT).
   */
  async #createDirectories(step: StepRunner, directory: string): Promise<void> {
    const levels = directoryChain(this.#layout.root, directory);
    for (let attempt = 1; ; attempt += 1) {
      const failure = await this.#createMissing(levels, step.id);
      if (failure === undefined) {
        return;
      }
      if (errnoCode(failure.error) !== 'ENOENT' || attempt >= MAX_ATTEMPTS) {
        throw await step.convert(
          failure.error,
          `creating the directory ${failure.level}`,
          true,
        );
      }
      this.#logRetry(
        directory,
        `creating ${failure.level}`,
        attempt,
        failure.error,
      );
      this.forgetDirectories();
    }
  }

  #logRetry(
    target: string,
    step: string,
    attempt: number,
    error: unknown,
  ): void {
    this.#logger.debug(
      { spool: this.#spool, path: target, attempt, err: error },
      `spool '${this.#spool}': ${step} failed with ENOENT, probably after a concurrent cleanup; creating the directories again`,
    );
  }

  /**
   * Creates the levels not in the cache. The highest missing hash level is
   * made without `recursive`, so that a missing `data/` fails it with
   * ENOENT instead of being created again. The levels below it take one
   * recursive `mkdir` of the deepest, so a store makes at most two
   * thread-pool calls here. Returns the failure, if any, and throws
   * `SPOOL_IO` when `data/` itself is missing.
   */
  async #createMissing(
    levels: string[],
    id: string,
  ): Promise<{ level: string; error: unknown } | undefined> {
    const { dataDir } = this.#layout;
    const missing = levels.filter(
      (level) => this.#directories.get(level) === undefined,
    );
    const deepest = levels.at(-1);
    if (missing.length === 0 || deepest === undefined) {
      return undefined;
    }
    const hashLevels = missing.filter((level) => level !== dataDir);
    const highest = hashLevels[0];
    if (highest !== undefined) {
      const failure = await this.#createHighest(highest, id);
      if (failure !== undefined) {
        return failure;
      }
    }
    if (highest !== undefined && highest !== deepest) {
      const failure = await this.#createBelow(hashLevels, deepest);
      if (failure !== undefined) {
        return failure;
      }
    }
    // Made now or before this open, which is unknown, so none is durable yet.
    for (const level of missing) {
      this.#directories.remember(level);
    }
    return undefined;
  }

  /**
   * Makes the highest missing hash level without `recursive`. EEXIST is
   * success. ENOENT means its parent is gone: throws `SPOOL_IO` when that
   * is `data/` itself, which open created and cleanup() keeps, so it was
   * deleted, moved or unmounted under the open spool. A store into a new
   * `data/` would split the entries between two directories. Otherwise a
   * concurrent cleanup() pruned a hash level, and the failure is returned
   * for a retry.
   */
  async #createHighest(
    level: string,
    id: string,
  ): Promise<{ level: string; error: unknown } | undefined> {
    try {
      await this.#fs.mkdir(level, { mode: 0o755 });
      return undefined;
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') {
        return undefined;
      }
      if (
        code === 'ENOENT' &&
        (await isDirectoryMissing(this.#fs, this.#layout.dataDir))
      ) {
        const { dataDir } = this.#layout;
        throw new SpoolError(
          SpoolErrorCode.Io,
          `failed to store ${id} in spool '${this.#spool}': ${dataDir} is missing, so it was deleted, moved or unmounted while the spool was open, and the store did not create it again, which would split the entries between two directories; move it back or remount its file system, otherwise close and reopen the spool, which creates it again empty`,
          { spool: this.#spool, id, path: dataDir, cause: error },
        );
      }
      return { level, error };
    }
  }

  /** Makes the missing hash levels below the highest with one recursive `mkdir` of the deepest. */
  async #createBelow(
    hashLevels: string[],
    deepest: string,
  ): Promise<{ level: string; error: unknown } | undefined> {
    try {
      await this.#fs.mkdir(deepest, { recursive: true, mode: 0o755 });
      return undefined;
    } catch (error) {
      return this.#findMkdirFailure(hashLevels, deepest, error);
    }
  }

  /**
   * Returns the real failure of a recursive `mkdir`, or `undefined` when
   * the directories exist after all. EEXIST means a file where the entry's
   * directory belongs, which the rename then reports. Node reports ENOENT
   * when a level failed with another errno (ENOSPC when out of inodes).
   * So the missing levels are then created one at a time to learn the real
   * errno, and ENOENT from that means a concurrent cleanup() pruned a parent.
   */
  async #findMkdirFailure(
    missing: string[],
    deepest: string,
    error: unknown,
  ): Promise<{ level: string; error: unknown } | undefined> {
    const code = errnoCode(error);
    if (code === 'EEXIST') {
      return undefined;
    }
    if (code !== 'ENOENT') {
      return { level: errorPath(error) ?? deepest, error };
    }
    try {
      await makeLevelByLevel(missing, {
        mode: 0o755,
        mkdir: (target, options) => this.#fs.mkdir(target, options),
      });
      return undefined;
    } catch (levelError) {
      return { level: errorPath(levelError) ?? deepest, error: levelError };
    }
  }

  /**
   * `fsync`s the entry's directory, then, deepest first, the parent of each
   * directory on the path whose name is not known to be durable, and
   * records those names as durable. When a concurrent store is already
   * syncing a directory's parent for the same cached directory, it waits
   * for that `fsync` instead of making another: the directory existed
   * before that `fsync` began, so the `fsync` covers its name. If the
   * shared `fsync` fails, this store makes its own.
   */
  async #syncDirectories(step: StepRunner, directory: string): Promise<void> {
    await this.#syncDirectory(step, directory, false);
    const levels = directoryChain(this.#layout.root, directory).reverse();
    for (const level of levels) {
      const state = this.#directories.get(level);
      if (state?.durable) {
        continue;
      }
      if (state?.syncing !== undefined && (await succeeds(state.syncing))) {
        continue;
      }
      const syncing = this.#syncDirectory(step, path.dirname(level), false);
      if (state === undefined) {
        await syncing;
        continue;
      }
      state.syncing = syncing;
      try {
        await syncing;
        state.durable = true;
      } finally {
        if (state.syncing === syncing) {
          state.syncing = undefined;
        }
      }
    }
  }

  /** `fsync`s one directory. With `ignoreMissing`, a directory that no longer exists is skipped. */
  async #syncDirectory(
    step: StepRunner,
    directory: string,
    ignoreMissing: boolean,
  ): Promise<void> {
    let handle: LocalDiskFileHandle;
    try {
      handle = await this.#fs.open(
        directory,
        constants.O_RDONLY | constants.O_DIRECTORY,
      );
    } catch (error) {
      if (ignoreMissing && errnoCode(error) === 'ENOENT') {
        return;
      }
      throw await step.convert(
        error,
        `opening the directory ${directory} to fsync it`,
        false,
      );
    }
    try {
      await step.run(`syncing the directory ${directory} (fsync)`, false, () =>
        handle.sync(),
      );
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async #removeTempFile(tempPath: string): Promise<void> {
    try {
      await this.#fs.unlink(tempPath);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') {
        // The next open purges new/, so this file cannot be mistaken for an entry.
        this.#logger.warn(
          { spool: this.#spool, path: tempPath, err: error },
          `spool '${this.#spool}': cannot remove the temp file ${tempPath} of a failed store: ${describeError(error)}`,
        );
      }
    }
  }

  #stepRunner(action: string, id: SpoolId, finalPath: string): StepRunner {
    const context = {
      spool: this.#spool,
      action,
      id: id.toString(),
      path: finalPath,
    };
    const convert = (error: unknown, step: string, creating: boolean) =>
      toStorageError(
        error,
        { ...context, step, creating },
        this.#fs,
        this.#layout.root,
      );
    return {
      id: context.id,
      convert,
      run: async (step, creating, work) => {
        try {
          return await work();
        } catch (error) {
          throw await convert(error, step, creating);
        }
      },
    };
  }
}

/** Runs the steps of one call and converts their failures to `SpoolError`s naming the step. */
interface StepRunner {
  /** The spool id of the call, in its 32-hex-digit form. */
  readonly id: string;
  run<T>(step: string, creating: boolean, work: () => Promise<T>): Promise<T>;
  convert(error: unknown, step: string, creating: boolean): Promise<SpoolError>;
}

/** Returns the path a Node system error names, if any. */
function errorPath(error: unknown): string | undefined {
  const found = (error as { path?: unknown } | null)?.path;
  return typeof found === 'string' ? found : undefined;
}

/** Resolves to whether `promise` fulfils, never rejecting. */
function succeeds(promise: Promise<unknown>): Promise<boolean> {
  return promise.then(
    () => true,
    () => false,
  );
}
