import type { SpoolError } from './errors.js';
import type { SpoolId } from './spool-id.js';

/** Options for one `store` call. */
export interface StoreOptions {
  /**
   * Make this write durable before the promise resolves, even when the
   * spool's `flush` is off (KumoMTA's `force_sync`).
   * @default false
   */
  sync?: boolean;
  /**
   * The latest moment the caller still wants the write, as a `Date` or as
   * milliseconds since the Unix epoch. It bounds only waiting: a backend
   * that applies backpressure gives up at this moment with
   * `SPOOL_DEADLINE_EXCEEDED`, and a write that can start at once goes
   * ahead even when the moment has passed. Backends that never wait may
   * ignore it.
   */
  deadline?: Date | number;
}

/** Options for `enumerate`. */
export interface EnumerateOptions {
  /**
   * Only entries whose id was created strictly before this moment are
   * yielded. Entries with ids that carry no time are yielded as `corrupt`.
   * @default the moment the spool was opened
   */
  createdBefore?: Date;
  /** Aborting the signal ends the iteration and releases its resources. */
  signal?: AbortSignal;
}

/** One stored entry, yielded by `enumerate`. */
export interface SpoolItem {
  type: 'item';
  id: SpoolId;
  data: Buffer;
}

/**
 * Something in the spool that is not a readable entry: a file that cannot
 * be read, a name that is not a time-based spool id, a key of the wrong
 * length. Enumeration yields it and carries on.
 */
export interface SpoolCorruptEntry {
  type: 'corrupt';
  /** The id, when the name or key could be parsed as one. */
  id?: SpoolId;
  /** The file or directory, for backends that store files. */
  path?: string;
  /** Why the entry is corrupt; its `code` is `SPOOL_CORRUPT`. */
  error: SpoolError;
}

export type SpoolEntry = SpoolItem | SpoolCorruptEntry;

/**
 * A durable store of byte blobs keyed by `SpoolId`.
 *
 * Every method rejects with `SPOOL_CLOSED` once `close()` has begun. Errors
 * are `SpoolError`s that name the spool, and the id or path where one is
 * involved.
 */
export interface Spool {
  /** The spool's name from its definition, such as `data` or `meta`. */
  readonly name: string;
  /** The backend kind, such as `LocalDisk` or `RocksDB`. */
  readonly kind: string;
  /** The directory the spool lives in, as it was defined. */
  readonly path: string;

  /**
   * Creates the entry for `id`, or atomically replaces it: a concurrent
   * `load` sees the old value or the new one, never a mix. The bytes are
   * copied before the promise settles, so the caller may reuse its buffer
   * afterwards. Calls for the same id take effect in the order they were
   * made. When the promise resolves the entry survives a crash of this
   * process; with `sync` or the spool's `flush` it also survives a power
   * loss, as far as the backend documents.
   *
   * Rejects with `SPOOL_UNHEALTHY`, `SPOOL_DEADLINE_EXCEEDED`,
   * `SPOOL_BACKPRESSURE_TIMEOUT`, `SPOOL_NO_SPACE`, `SPOOL_NO_INODES` or
   * `SPOOL_IO`; after a rejection no partial entry is visible. A backend
   * may reject an id without a creation time with `SPOOL_INVALID_ID`
   * (both bundled backends do), since `enumerate` cannot return it as an
   * item.
   */
  store(id: SpoolId, data: Uint8Array, options?: StoreOptions): Promise<void>;

  /**
   * Resolves to the bytes stored for `id`, as a buffer the caller owns.
   * Rejects with `SPOOL_NOT_FOUND` when there is no entry. Sees every
   * `store` and `remove` of `id` made before it, even those still in
   * flight.
   */
  load(id: SpoolId): Promise<Buffer>;

  /**
   * Deletes the entry for `id`. Resolves when there is no entry too, so a
   * repeated remove is harmless. Ordered with `store` calls for the same id.
   */
  remove(id: SpoolId): Promise<void>;

  /**
   * Yields every entry created before `createdBefore`, in no defined order.
   * Memory stays bounded however large the spool is. Breaking out of the
   * loop, throwing inside it or aborting `signal` releases the walk.
   * Entries stored or removed during the walk may or may not be seen.
   * An unreadable entry is yielded as `corrupt` and the walk carries on.
   */
  enumerate(options?: EnumerateOptions): AsyncIterable<SpoolEntry>;

  /** Periodic upkeep, such as pruning empty directories. Safe to call at any time. */
  cleanup(): Promise<void>;

  /** Compacts the storage where the backend supports it; otherwise does nothing. */
  compact(): Promise<void>;

  /** Frees caches and buffers; resolves to the bytes freed, which may be 0 or negative. */
  adviseLowMemory(): Promise<number>;

  /**
   * A short reason when the spool is not accepting writes, its disk is
   * below its free-space minimum, or its directory or lock file was
   * deleted, moved or replaced since it opened. Otherwise `undefined`.
   * Synchronous and cheap: it does no I/O, so it reports the backend's
   * last periodic check.
   */
  unhealthyReason(): string | undefined;

  /**
   * Whether `close()` has begun. Optional, so that backends written
   * before it still fit. `SpoolRegistry.open` uses it to open a spool
   * again after it was closed directly. Without it, the registry returns
   * the closed spool until `closeAll()`.
   */
  readonly closed?: boolean;

  /**
   * Waits for calls in flight to finish, ends open enumerations, then
   * releases the spool's lock and handles. Calls made after `close()` began
   * reject with `SPOOL_CLOSED`; so does the next step of an enumeration
   * that was open, so a caller can tell a cut-off walk from a complete one.
   * Calling `close()` again resolves once the first close has finished.
   */
  close(): Promise<void>;
}
