import path from 'node:path';
import {
  type EnumerateOptions,
  KeyedQueue,
  type Spool,
  type SpoolEntry,
  SpoolError,
  SpoolErrorCode,
  SpoolId,
  SpoolLifecycle,
  type StoreOptions,
  validateId,
  validateStoreArguments,
} from '@spoolkit/core';
import { type MemoryShelf, shelfFor } from './store.js';

/**
 * A spool that keeps its entries in this process's memory, keyed by the
 * spool path. Stores are visible to every later call at once, and a
 * reopen of the same path finds them, but nothing survives the process.
 */
export class MemorySpool implements Spool {
  readonly name: string;
  readonly kind = 'Memory';
  readonly path: string;
  readonly #shelf: MemoryShelf;
  readonly #lifecycle: SpoolLifecycle;
  readonly #queue = new KeyedQueue();
  readonly #openedAtTicks = SpoolId.nowTicks();

  private constructor(name: string, spoolPath: string, shelf: MemoryShelf) {
    this.name = name;
    this.path = spoolPath;
    this.#shelf = shelf;
    this.#lifecycle = new SpoolLifecycle(name, spoolPath);
  }

  /**
   * Opens the spool for `spoolPath`, resolved to an absolute path. Rejects
   * with `SPOOL_LOCKED` while another open Memory spool uses the path.
   */
  static async open(spoolPath: string, name = 'memory'): Promise<MemorySpool> {
    const resolved = path.resolve(spoolPath);
    const shelf = shelfFor(resolved);
    if (shelf.locked) {
      throw new SpoolError(
        SpoolErrorCode.Locked,
        `spool '${name}' at ${resolved} is locked by another open Memory spool in this process; close that spool first or choose another path`,
        { spool: name, path: resolved },
      );
    }
    shelf.locked = true;
    return new MemorySpool(name, resolved, shelf);
  }

  /** Copies `data` at once, then replaces the entry in call order with other writes to `id`. */
  store(
    id: SpoolId,
    data: Uint8Array,
    options: StoreOptions = {},
  ): Promise<void> {
    let copy: Buffer;
    try {
      validateStoreArguments(id, data, options, this.name);
      copy = Buffer.from(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#lifecycle.runKeyed(
      'store',
      this.#queue,
      id.toString(),
      async () => {
        this.#shelf.entries.set(id.toString(), copy);
      },
    );
  }

  /**
   * Resolves to a copy of the entry; rejects with `SPOOL_NOT_FOUND` when
   * there is none. Queued behind earlier stores and removes of `id`, as in
   * the bundled backends, so it returns what they left.
   */
  load(id: SpoolId): Promise<Buffer> {
    try {
      validateId(id, 'load', this.name);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#lifecycle.runKeyed(
      'load',
      this.#queue,
      id.toString(),
      async () => {
        const value = this.#shelf.entries.get(id.toString());
        if (value === undefined) {
          throw new SpoolError(
            SpoolErrorCode.NotFound,
            `failed to load ${id} from Memory spool '${this.name}' at ${this.path}: no such entry`,
            { spool: this.name, id: id.toString(), path: this.path },
          );
        }
        return Buffer.from(value);
      },
    );
  }

  /** Deletes the entry, in call order with other writes to `id`; a missing entry is fine. */
  remove(id: SpoolId): Promise<void> {
    try {
      validateId(id, 'remove', this.name);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#lifecycle.runKeyed(
      'remove',
      this.#queue,
      id.toString(),
      async () => {
        this.#shelf.entries.delete(id.toString());
      },
    );
  }

  /**
   * Yields a copy of every entry created before `createdBefore`. The walk
   * takes a snapshot of the ids when it starts, skips ids removed since,
   * and stops when `signal` aborts or the spool begins to close.
   */
  async *enumerate(options: EnumerateOptions = {}): AsyncIterable<SpoolEntry> {
    this.#lifecycle.assertOpen('enumerate');
    const release = this.#lifecycle.openLease();
    const cutOff =
      options.createdBefore === undefined
        ? this.#openedAtTicks
        : SpoolId.ticksAt(options.createdBefore.getTime());
    try {
      const ids = [...this.#shelf.entries.keys()];
      for (const text of ids) {
        if (options.signal?.aborted || this.#lifecycle.isClosing) {
          return;
        }
        const entry = this.#entryFor(text, cutOff);
        if (entry !== undefined) {
          yield entry;
        }
      }
    } finally {
      release();
    }
  }

  cleanup(): Promise<void> {
    return this.#lifecycle.run('cleanup', async () => {});
  }

  compact(): Promise<void> {
    return this.#lifecycle.run('compact', async () => {});
  }

  /** Resolves to 0: the entries are the spool's data, so there is no cache to drop. */
  adviseLowMemory(): Promise<number> {
    return this.#lifecycle.run('adviseLowMemory', async () => 0);
  }

  /** Whether `close()` has begun. */
  get closed(): boolean {
    return this.#lifecycle.isClosing;
  }

  unhealthyReason(): string | undefined {
    return undefined;
  }

  /** Waits for calls in flight and open walks, then unlocks the path. The data stays. */
  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#shelf.locked = false;
    });
  }

  #entryFor(text: string, cutOff: bigint): SpoolEntry | undefined {
    const value = this.#shelf.entries.get(text);
    if (value === undefined) {
      return undefined;
    }
    // Keys are written from SpoolId.toString(), so they always parse.
    const id = SpoolId.parse(text);
    const created = id.createdTicks;
    if (created === undefined) {
      const error = new SpoolError(
        SpoolErrorCode.Corrupt,
        `entry ${text} in Memory spool '${this.name}' has an id without a creation time; remove it`,
        { spool: this.name, id: text, path: this.path },
      );
      return { type: 'corrupt', id, error };
    }
    if (created >= cutOff) {
      return undefined;
    }
    return { type: 'item', id, data: Buffer.from(value) };
  }
}
