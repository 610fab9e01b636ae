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
import { dataDirectoryFix, describeError } from './errors.js';
import type { LocalDiskDir, LocalDiskFs } from './fs-layer.js';
import { isDirectoryMissing } from './levels.js';
import { ReadAhead } from './read-ahead.js';

const HEX_PAIR = /^[0-9a-f]{2}$/;
const HEX_LEAF = /^[0-9a-f]{24}$/;

/** The number of directory levels between `data/` and an entry file (`aa/bb/cc/dd`). */
const HASH_LEVELS = 4;

/**
 * The maximum number of entry-file reads the walk keeps in flight ahead of
 * its consumer, which is also the maximum number of entries it buffers.
 * Corrupt entries waiting their turn count against the same limit.
 */
export const READ_AHEAD_LIMIT = 8;

/** Options for `TreeWalk`. */
export interface TreeWalkOptions {
  fs: LocalDiskFs;
  spool: string;
  dataDir: string;
  /** Entries created at or after this moment (100 ns ticks since the Unix epoch) are skipped. */
  createdBeforeTicks: bigint;
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
 * One loop drives an explicit stack of open directories. While it lists,
 * it starts reading up to `READ_AHEAD_LIMIT` entry files ahead of the
 * consumer and yields the results in listing order. It lists further only
 * when the consumer requests the next entry, so it never runs ahead by more
 * than that limit. An entry removed after its read finished is still yielded.
 *
 * Aborting either signal closes the open directories at once, even while
 * the consumer is not calling `next()`, and releases the lease as soon as
 * they are closed and the reads in flight have settled.
 */
export class TreeWalk {
  readonly #options: TreeWalkOptions;
  /** The open directories, `data/` first and the innermost last. */
  readonly #stack: OpenDirectory[] = [];
  readonly #readAhead = new ReadAhead<SpoolEntry | undefined>(READ_AHEAD_LIMIT);
  readonly #onAbort = () => void this.dispose();
  #disposed: Promise<void> | undefined;

  constructor(options: TreeWalkOptions) {
    this.#options = options;
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    options.closingSignal.addEventListener('abort', this.#onAbort, {
      once: true,
    });
  }

  /**
   * Yields the entries. Throws `SPOOL_IO` when `data/` itself cannot be
   * listed, as when it was deleted under the open spool, and
   * `SPOOL_CLOSED` when the spool closed during the walk.
   */
  async *entries(): AsyncGenerator<SpoolEntry> {
    try {
      await this.#openDirectory(this.#options.dataDir, []);
      while (!this.#stopped) {
        if (!this.#readAhead.full && this.#stack.length > 0) {
          await this.#listNext();
          continue;
        }
        if (this.#readAhead.size === 0) {
          break;
        }
        const entry = await this.#readAhead.shift();
        if (entry !== undefined && !this.#stopped) {
          yield entry;
        }
      }
      this.#throwIfClosed();
    } finally {
      await this.dispose();
    }
  }

  /**
   * Closes the open directories, waits for the reads in flight to settle,
   * then releases the lease, so a `close()` of the spool resolves only once
   * the walk touches no file. Later calls return the same promise.
   */
  dispose(): Promise<void> {
    if (this.#disposed === undefined) {
      this.#options.signal?.removeEventListener('abort', this.#onAbort);
      this.#options.closingSignal.removeEventListener('abort', this.#onAbort);
      const closing = this.#stack
        .splice(0)
        .map((directory) => closeDirectory(directory));
      this.#disposed = Promise.allSettled([
        ...closing,
        this.#readAhead.settle(),
      ]).then(() => this.#options.release());
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

  /**
   * Reads the next name from the innermost open directory and queues what
   * it yields, opening a hash directory below it when the name is one.
   * Closes the directory once it is listed to the end or fails to list.
   */
  async #listNext(): Promise<void> {
    const current = this.#stack.at(-1) as OpenDirectory;
    let dirent: Dirent | null;
    try {
      dirent = await current.dir.read();
    } catch (error) {
      if (!this.#stopped) {
        this.#readAhead.push(
          this.#corrupt(
            current.path,
            undefined,
            'could not be listed to the end',
            error,
          ),
        );
      }
      await this.#closeInnermost(current);
      return;
    }
    if (this.#stopped) {
      return;
    }
    if (dirent === null) {
      await this.#closeInnermost(current);
      return;
    }
    await this.#visit(current, dirent);
  }

  /** Closes `current` and takes it off the stack, unless `dispose()` took it first. */
  async #closeInnermost(current: OpenDirectory): Promise<void> {
    await closeDirectory(current);
    if (this.#stack.at(-1) === current) {
      this.#stack.pop();
    }
  }

  /**
   * Opens a directory and pushes it on the stack. Throws `SPOOL_IO` when
   * `data/` itself cannot be listed, missing included. Does nothing for a
   * hash directory below it that no longer exists, and queues a corrupt
   * entry for one that cannot be listed for another reason.
   */
  async #openDirectory(directory: string, parts: string[]): Promise<void> {
    let dir: LocalDiskDir;
    try {
      dir = await this.#options.fs.opendir(directory);
    } catch (error) {
      if (parts.length === 0) {
        throw new SpoolError(
          SpoolErrorCode.Io,
          `failed to enumerate spool '${this.#options.spool}': cannot list ${directory}: ${describeError(error)}; ${dataDirectoryFix(errnoCode(error), directory)}`,
          { spool: this.#options.spool, path: directory, cause: error },
        );
      }
      // A hash directory that cleanup() pruned after it was listed has
      // nothing left to yield, unless all of data/ went.
      if (errnoCode(error) === 'ENOENT') {
        await this.#throwIfDataDirectoryMissing(error);
      } else {
        this.#readAhead.push(
          this.#corrupt(directory, undefined, 'cannot be listed', error),
        );
      }
      return;
    }
    if (this.#stopped) {
      await dir.close().catch(() => undefined);
      return;
    }
    this.#stack.push({ dir, path: directory, parts, closed: undefined });
  }

  async #visit(parent: OpenDirectory, dirent: Dirent): Promise<void> {
    const entryPath = path.join(parent.path, dirent.name);
    if (parent.parts.length === HASH_LEVELS) {
      this.#visitLeaf(entryPath, parent.parts, dirent);
      return;
    }
    if (!dirent.isDirectory()) {
      this.#readAhead.push(
        this.#corrupt(
          entryPath,
          undefined,
          'is not a directory, but only hash directories belong at this level',
        ),
      );
      return;
    }
    if (!HEX_PAIR.test(dirent.name)) {
      this.#readAhead.push(
        this.#corrupt(
          entryPath,
          undefined,
          'is not a hash directory (two lowercase hex digits)',
        ),
      );
      return;
    }
    await this.#openDirectory(entryPath, [...parent.parts, dirent.name]);
  }

  /** Queues a corrupt entry for an odd leaf, or starts reading an entry file. */
  #visitLeaf(entryPath: string, parts: string[], dirent: Dirent): void {
    const leaf = this.#checkLeaf(entryPath, parts, dirent);
    if (leaf === undefined) {
      return;
    }
    if (leaf instanceof SpoolId) {
      this.#readAhead.push(this.#readEntry(entryPath, leaf));
      return;
    }
    this.#readAhead.push(leaf);
  }

  /**
   * Returns the id of an entry file to read, a corrupt entry for an odd
   * leaf, or `undefined` for an entry created at or after the cutoff.
   */
  #checkLeaf(
    entryPath: string,
    parts: string[],
    dirent: Dirent,
  ): SpoolId | SpoolCorruptEntry | undefined {
    const id = HEX_LEAF.test(dirent.name)
      ? SpoolId.tryFromRelativePath([...parts, dirent.name].join('/'))
      : undefined;
    if (dirent.isDirectory()) {
      return this.#corrupt(
        entryPath,
        id,
        'is a directory where an entry file should be',
      );
    }
    if (!dirent.isFile()) {
      return this.#corrupt(
        entryPath,
        id,
        'is not a regular file (a symbolic link, socket, FIFO or device)',
      );
    }
    if (id === undefined) {
      return this.#corrupt(
        entryPath,
        undefined,
        'is not a spool id (aa/bb/cc/dd/ and 24 lowercase hex digits)',
      );
    }
    const createdTicks = id.createdTicks;
    if (createdTicks === undefined) {
      return this.#corrupt(
        entryPath,
        id,
        `is a version ${id.version} UUID, which carries no creation time`,
      );
    }
    return createdTicks < this.#options.createdBeforeTicks ? id : undefined;
  }

  /**
   * Reads an entry file. Never rejects: resolves to the item, to a corrupt
   * entry when the file cannot be read, or to `undefined` when it was
   * removed since it was listed, because then it is no longer an entry.
   */
  async #readEntry(
    entryPath: string,
    id: SpoolId,
  ): Promise<SpoolEntry | undefined> {
    try {
      const data = await this.#options.fs.readFile(entryPath);
      return { type: 'item', id, data };
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        await this.#throwIfDataDirectoryMissing(error);
        return undefined;
      }
      return this.#corrupt(entryPath, id, 'cannot be read', error);
    }
  }

  /**
   * Throws `SPOOL_IO` when `data/` itself no longer exists, after a file or
   * directory below it went missing during the walk. Without this check a
   * walk whose `data/` moved away midway would end early without an error.
   */
  async #throwIfDataDirectoryMissing(cause: unknown): Promise<void> {
    const { fs, dataDir, spool } = this.#options;
    if (!(await isDirectoryMissing(fs, dataDir))) {
      return;
    }
    throw new SpoolError(
      SpoolErrorCode.Io,
      `failed to enumerate spool '${spool}': ${dataDir} went missing during the walk; ${dataDirectoryFix('ENOENT', dataDir)}`,
      { spool, path: dataDir, cause },
    );
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

/** A directory on the walk's stack. */
interface OpenDirectory {
  readonly dir: LocalDiskDir;
  readonly path: string;
  /** The hash directory names from `data/` down to this directory; empty for `data/`. */
  readonly parts: string[];
  /** The pending or finished `close()`, so the walk and `dispose()` close it once. */
  closed: Promise<void> | undefined;
}

/** Closes a directory once, however often it is called, and never rejects. */
function closeDirectory(directory: OpenDirectory): Promise<void> {
  directory.closed ??= directory.dir.close().catch(() => undefined);
  return directory.closed;
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
