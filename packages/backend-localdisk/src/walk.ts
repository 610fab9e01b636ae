import type { Dirent } from 'node:fs';
import path from 'node:path';
import {
  errnoCode,
  type SpoolCorruptEntry,
  type SpoolEntry,
  SpoolError,
  SpoolErrorCode,
  SpoolId,
} from '@spoolkit/core';
import { describeError, fixFor } from './errors.js';
import type { LocalDiskDir, LocalDiskFs } from './fs-layer.js';

const HEX_PAIR = /^[0-9a-f]{2}$/;
const HEX_LEAF = /^[0-9a-f]{24}$/;

/** The number of directory levels between `data/` and an entry file (`aa/bb/cc/dd`). */
const HASH_LEVELS = 4;

/** Options for `TreeWalk`. */
export interface TreeWalkOptions {
  fs: LocalDiskFs;
  spool: string;
  dataDir: string;
  /** Entries created at or after this moment (ms since the Unix epoch) are skipped. */
  createdBeforeMs: number;
  /** Aborted by the caller: the walk ends quietly. */
  signal: AbortSignal | undefined;
  /** Aborted when the spool closes: the walk ends with `closedError`. */
  closingSignal: AbortSignal;
  closedError: () => SpoolError;
  /** Called once when the walk ends or is aborted, to release the spool's lease. */
  release: () => void;
}

/**
 * A lazy depth-first walk of `data/` that keeps at most one directory open
 * per level (five in all), so memory stays bounded however many entries
 * there are. The walk yields a `corrupt` entry, naming its path, for every
 * odd thing it meets and carries on. Odd things are a name that is not
 * part of an id, a directory where an entry file should be, a file it
 * cannot read and an id without a creation time.
 *
 * Aborting either signal closes the open directories and releases the
 * lease at once, even while the consumer is not calling `next()`.
 */
export class TreeWalk {
  readonly #options: TreeWalkOptions;
  readonly #openDirs = new Set<LocalDiskDir>();
  readonly #onAbort = () => void this.dispose();
  #disposed: Promise<void> | undefined;

  constructor(options: TreeWalkOptions) {
    this.#options = options;
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    options.closingSignal.addEventListener('abort', this.#onAbort, {
      once: true,
    });
  }

  /** Yields the entries. Throws `SPOOL_CLOSED` when the spool closed during the walk. */
  async *entries(): AsyncGenerator<SpoolEntry> {
    try {
      yield* this.#walkDirectory(this.#options.dataDir, []);
      this.#throwIfClosed();
    } finally {
      await this.dispose();
    }
  }

  /**
   * Closes the open directories, then releases the lease, so a `close()`
   * of the spool resolves only once they are closed. Later calls return
   * the same promise.
   */
  dispose(): Promise<void> {
    if (this.#disposed === undefined) {
      this.#options.signal?.removeEventListener('abort', this.#onAbort);
      this.#options.closingSignal.removeEventListener('abort', this.#onAbort);
      const dirs = [...this.#openDirs];
      this.#openDirs.clear();
      this.#disposed = Promise.allSettled(dirs.map((dir) => dir.close())).then(
        () => this.#options.release(),
      );
    }
    return this.#disposed;
  }

  get #stopped(): boolean {
    return (
      this.#disposed !== undefined ||
      this.#options.signal?.aborted === true ||
      this.#options.closingSignal.aborted
    );
  }

  #throwIfClosed(): void {
    if (this.#options.closingSignal.aborted) {
      throw this.#options.closedError();
    }
  }

  async *#walkDirectory(
    directory: string,
    parts: string[],
  ): AsyncGenerator<SpoolEntry> {
    const dir = await this.#open(directory, parts);
    if (dir === undefined) {
      return;
    }
    try {
      while (!this.#stopped) {
        let entry: Dirent | null;
        try {
          entry = await dir.read();
        } catch (error) {
          if (!this.#stopped) {
            yield this.#corrupt(
              directory,
              undefined,
              'could not be listed to the end',
              error,
            );
          }
          return;
        }
        if (entry === null || this.#stopped) {
          return;
        }
        yield* this.#visit(directory, parts, entry);
      }
    } finally {
      if (this.#openDirs.delete(dir)) {
        await dir.close().catch(() => undefined);
      }
    }
  }

  /**
   * Opens a directory, or returns `undefined` when it no longer exists.
   * Throws `SPOOL_IO` when `data/` itself cannot be listed, and
   * `UnlistableDirectory` for a hash directory below it.
   */
  async #open(
    directory: string,
    parts: string[],
  ): Promise<LocalDiskDir | undefined> {
    try {
      const dir = await this.#options.fs.opendir(directory);
      if (this.#stopped) {
        await dir.close().catch(() => undefined);
        return undefined;
      }
      this.#openDirs.add(dir);
      return dir;
    } catch (error) {
      // A hash directory that cleanup() pruned after it was listed has nothing left to yield.
      if (errnoCode(error) === 'ENOENT') {
        return undefined;
      }
      if (parts.length === 0) {
        throw new SpoolError(
          SpoolErrorCode.Io,
          `failed to enumerate spool '${this.#options.spool}': cannot list ${directory}: ${describeError(error)}; ${fixFor(errnoCode(error), directory)}`,
          { spool: this.#options.spool, path: directory, cause: error },
        );
      }
      throw new UnlistableDirectory(error);
    }
  }

  async *#visit(
    directory: string,
    parts: string[],
    entry: Dirent,
  ): AsyncGenerator<SpoolEntry> {
    const entryPath = path.join(directory, entry.name);
    if (parts.length === HASH_LEVELS) {
      yield* this.#visitLeaf(entryPath, parts, entry);
      return;
    }
    if (!entry.isDirectory()) {
      yield this.#corrupt(
        entryPath,
        undefined,
        'is not a directory, but only hash directories belong at this level',
      );
      return;
    }
    if (!HEX_PAIR.test(entry.name)) {
      yield this.#corrupt(
        entryPath,
        undefined,
        'is not a hash directory (two lowercase hex digits)',
      );
      return;
    }
    try {
      yield* this.#walkDirectory(entryPath, [...parts, entry.name]);
    } catch (error) {
      if (!(error instanceof UnlistableDirectory)) {
        throw error;
      }
      yield this.#corrupt(
        entryPath,
        undefined,
        'cannot be listed',
        error.cause,
      );
    }
  }

  async *#visitLeaf(
    entryPath: string,
    parts: string[],
    entry: Dirent,
  ): AsyncGenerator<SpoolEntry> {
    const id = HEX_LEAF.test(entry.name)
      ? SpoolId.tryFromRelativePath([...parts, entry.name].join('/'))
      : undefined;
    if (entry.isDirectory()) {
      yield this.#corrupt(
        entryPath,
        id,
        'is a directory where an entry file should be',
      );
      return;
    }
    if (!entry.isFile()) {
      yield this.#corrupt(
        entryPath,
        id,
        'is not a regular file (a symbolic link, socket, FIFO or device)',
      );
      return;
    }
    if (id === undefined) {
      yield this.#corrupt(
        entryPath,
        undefined,
        'is not a spool id (aa/bb/cc/dd/ and 24 lowercase hex digits)',
      );
      return;
    }
    const createdMs = id.createdMs;
    if (createdMs === undefined) {
      yield this.#corrupt(
        entryPath,
        id,
        `is a version ${id.version} UUID, which carries no creation time`,
      );
      return;
    }
    if (createdMs >= this.#options.createdBeforeMs) {
      return;
    }
    try {
      const data = await this.#options.fs.readFile(entryPath);
      yield { type: 'item', id, data };
    } catch (error) {
      // ENOENT: removed since it was listed, so it is no longer an entry.
      if (errnoCode(error) !== 'ENOENT') {
        yield this.#corrupt(entryPath, id, 'cannot be read', error);
      }
    }
  }

  #corrupt(
    entryPath: string,
    id: SpoolId | undefined,
    reason: string,
    cause?: unknown,
  ): SpoolCorruptEntry {
    const { spool, dataDir } = this.#options;
    const detail = cause === undefined ? '' : `: ${describeError(cause)}`;
    const error = new SpoolError(
      SpoolErrorCode.Corrupt,
      `spool '${spool}': ${entryPath} ${reason}${detail}; ${correctiveAction(cause, dataDir)}`,
      { spool, id: id?.toString(), path: entryPath, cause },
    );
    return id === undefined
      ? { type: 'corrupt', path: entryPath, error }
      : { type: 'corrupt', id, path: entryPath, error };
  }
}

/**
 * Returns what an operator should do about an odd entry. A permission or
 * I/O failure says nothing about the entry's content, so the advice is to
 * fix access rather than to delete what may be a spooled message.
 */
function correctiveAction(cause: unknown, dataDir: string): string {
  const code = errnoCode(cause);
  if (code === 'EACCES' || code === 'EPERM') {
    return 'give the spool process read access to it (check the owner and mode); it may hold a message, so do not delete it';
  }
  if (code !== undefined) {
    return 'check the file system for errors before you move or delete it, because it may hold a message';
  }
  return `move it out of ${dataDir} or delete it`;
}

/** A hash directory below `data/` that cannot be listed; reported as a corrupt entry. */
class UnlistableDirectory extends Error {
  constructor(cause: unknown) {
    super(describeError(cause), { cause });
  }
}
