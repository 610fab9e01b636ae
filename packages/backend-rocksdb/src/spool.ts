import {
  type DiskSpaceMonitor,
  type EnumerateOptions,
  KeyedQueue,
  type PathWatch,
  type Spool,
  type SpoolEntry,
  SpoolError,
  SpoolErrorCode,
  SpoolId,
  SpoolLifecycle,
  type SpoolLogger,
  type StoreOptions,
  validateEnumerateOptions,
  validateId,
  validateStoreArguments,
} from '@spoolkit/core';
import { Semaphore } from 'async-mutex';
import { RocksEnumeration } from './enumeration.js';
import { HealthLatch, NOT_ACCEPTING_WRITES } from './health.js';
import {
  memoryInUse,
  type RocksMetrics,
  readMetrics,
  readNumberProperty,
} from './metrics.js';
import type { RocksParams } from './params.js';
import { toSpoolError } from './status.js';
import type { RocksStorage } from './storage.js';
import { WriteGate } from './write-gate.js';

/** Keys from the empty key to 64 bytes of 0xff: every 16-byte id and any stray key. */
const FIRST_KEY = Buffer.alloc(0);
const PAST_LAST_KEY = Buffer.alloc(64, 0xff);
/** Write options of every remove: deletes are not synced, as in KumoMTA. */
const UNSYNCED = { sync: false };

/** The parts of a `RocksDbSpool`, which `openRocksDbSpool` assembles. */
export interface RocksDbSpoolParts {
  name: string;
  path: string;
  flush: boolean;
  params: RocksParams;
  storage: RocksStorage;
  diskMonitor: DiskSpaceMonitor;
  /** Notices a database directory or `LOCK` file deleted, moved or replaced under the open spool. */
  directoryWatch: PathWatch;
  logger: SpoolLogger;
  /** Milliseconds between health checks. */
  healthIntervalMs: number;
}

/**
 * A spool in a RocksDB database: the default column family, key = the
 * id's 16 bytes, value = the stored bytes. Open it with
 * `openRocksDbSpool`.
 */
export class RocksDbSpool implements Spool {
  readonly name: string;
  readonly kind = 'RocksDB';
  readonly path: string;
  /** When the spool opened; `enumerate` defaults `createdBefore` to it. */
  readonly openedAt = new Date();
  /** The open time on the id clock, exact below a millisecond. */
  readonly #openedAtTicks = SpoolId.nowTicks();
  readonly #parts: RocksDbSpoolParts;
  readonly #lifecycle: SpoolLifecycle;
  readonly #queue = new KeyedQueue();
  readonly #health: HealthLatch;
  readonly #gate: WriteGate;
  readonly #storeLimit: Semaphore | undefined;
  readonly #loadLimit: Semaphore | undefined;
  readonly #removeLimit: Semaphore | undefined;

  constructor(parts: RocksDbSpoolParts) {
    this.name = parts.name;
    this.path = parts.path;
    this.#parts = parts;
    this.#lifecycle = new SpoolLifecycle(parts.name, parts.path);
    const { params, storage } = parts;
    this.#health = new HealthLatch({
      spool: parts.name,
      path: parts.path,
      logger: parts.logger,
      latchDurationMs: params.errorLatchDurationMs,
      unlatchDurationMs: params.errorUnlatchDurationMs,
      allowUnlatch: params.allowErrorUnlatch,
      intervalMs: parts.healthIntervalMs,
      readBackgroundErrors: () =>
        readNumberProperty(storage, 'rocksdb.background-errors'),
    });
    this.#gate = new WriteGate({
      spool: parts.name,
      path: parts.path,
      storage,
      health: this.#health,
      directoryWatch: parts.directoryWatch,
      storeDeadlineMs: params.storeDeadlineMs,
      closingSignal: this.#lifecycle.closingSignal,
      closedError: (operation) => this.#lifecycle.closedError(operation),
    });
    this.#storeLimit = semaphore(params.limitConcurrentStores);
    this.#loadLimit = semaphore(params.limitConcurrentLoads);
    this.#removeLimit = semaphore(params.limitConcurrentRemoves);
    this.#health.start();
  }

  /**
   * Stores a copy of `data` under `id`. With `options.sync` or the spool's
   * `flush`, the write-ahead log is fsynced before the promise resolves.
   * Waits out RocksDB write stalls until the earlier of `options.deadline`
   * and `store_deadline`.
   */
  store(
    id: SpoolId,
    data: Uint8Array,
    options: StoreOptions = {},
  ): Promise<void> {
    let key: Buffer;
    try {
      validateStoreArguments(id, data, options, this.name);
      key = id.toBytes();
    } catch (error) {
      return Promise.reject(error);
    }
    const sync = options.sync === true || this.#parts.flush;
    const callerDeadline =
      options.deadline === undefined ? undefined : Number(options.deadline);
    // `put` copies the value before it returns (see `RocksStorage.put`).
    // When the put starts inside this call, that copy is the only one
    // needed. Otherwise the value is copied below, before `store` returns,
    // so the caller may reuse its buffer at once either way.
    let value: Buffer | undefined;
    let started = false;
    const stored = this.#lifecycle.runKeyed(
      'store',
      this.#queue,
      id.toString(),
      () =>
        this.#gate.run({
          operation: 'store',
          id,
          semaphore: this.#storeLimit,
          callerDeadline,
          write: () => {
            started = true;
            return this.#parts.storage.put(key, value ?? asBuffer(data), {
              sync,
            });
          },
        }),
    );
    if (!started) {
      value = Buffer.from(data);
    }
    return stored;
  }

  /**
   * Resolves to a copy of the bytes stored for `id`; `SPOOL_NOT_FOUND` when there are none.
   *
   * NOTE: with one load in flight, each load waits for the one before, so
   * every step on the JS thread between the binding's callback and the
   * next get adds to its latency. The not-found check and the error
   * conversion therefore run in the per-id queue's reaction (`mapValue`,
   * `mapError`) instead of a reaction of their own.
   */
  load(id: SpoolId): Promise<Buffer> {
    let key: Buffer;
    try {
      key = this.#key(id, 'load');
    } catch (error) {
      return Promise.reject(error);
    }
    const { storage } = this.#parts;
    const limit = this.#loadLimit;
    return this.#lifecycle.runKeyed(
      'load',
      this.#queue,
      id.toString(),
      () =>
        limit === undefined
          ? storage.get(key)
          : limit.runExclusive(() => storage.get(key)),
      (error) => this.#loadFailed(id, error),
      (value) => {
        if (value === undefined) {
          throw new SpoolError(
            SpoolErrorCode.NotFound,
            `spool '${this.name}' has no entry ${id} (no key in the database at ${this.path}); it was never stored or has been removed`,
            { spool: this.name, path: this.path, id: id.toString() },
          );
        }
        return value;
      },
    );
  }

  /**
   * Deletes the entry for `id`; resolves when there is none.
   *
   * NOTE: a delete is cheap in RocksDB, so with 64 removes in flight the JS
   * thread probably limits the rate. The per-id queue, the in-flight count
   * for close() and the health gate run there, and the raw binding skips
   * them. So when the gate would let the delete start at once, it starts
   * without the gate's own reaction, and the queue's reaction converts a
   * failure.
   */
  remove(id: SpoolId): Promise<void> {
    let key: Buffer;
    try {
      key = this.#key(id, 'remove');
    } catch (error) {
      return Promise.reject(error);
    }
    const gate = this.#gate;
    const semaphore = this.#removeLimit;
    return this.#lifecycle.runKeyed(
      'remove',
      this.#queue,
      id.toString(),
      () =>
        gate.acceptsNow(semaphore)
          ? this.#parts.storage.del(key, UNSYNCED)
          : gate.run({
              operation: 'remove',
              id,
              semaphore,
              callerDeadline: undefined,
              write: () => this.#parts.storage.del(key, UNSYNCED),
            }),
      (error) =>
        // `gate.run` converted its failures already.
        error instanceof SpoolError
          ? error
          : gate.writeError('remove', id, error),
    );
  }

  enumerate(options: EnumerateOptions = {}): AsyncIterable<SpoolEntry> {
    validateEnumerateOptions(options, this.name);
    const { storage, logger } = this.#parts;
    return new RocksEnumeration(
      {
        spool: this.name,
        path: this.path,
        storage,
        lifecycle: this.#lifecycle,
        health: this.#health,
        logger,
      },
      options.createdBefore === undefined
        ? this.#openedAtTicks
        : SpoolId.ticksAt(options.createdBefore.getTime()),
      options.signal,
    );
  }

  /** Does nothing: RocksDB cleans up after itself. */
  cleanup(): Promise<void> {
    return this.#lifecycle.run('clean up', async () => {});
  }

  /**
   * Flushes the memtable and compacts every key. The binding's
   * `compactRange` reports no error, so a rise in RocksDB's background
   * error count during the call is reported as `SPOOL_IO` and closes the
   * health latch.
   */
  compact(): Promise<void> {
    return this.#lifecycle.run('compact', () => this.#compactAll('compact'));
  }

  /**
   * Frees memtable memory and resolves to the bytes freed from memtables,
   * table readers and the block cache (before minus after, so possibly
   * negative). The binding has no flush call, and a whole-range compaction
   * is the one call that flushes the memtable. So this costs as much disk
   * I/O as `compact()`.
   */
  adviseLowMemory(): Promise<number> {
    return this.#lifecycle.run('advise low memory', async () => {
      const before = memoryInUse(this.#parts.storage);
      try {
        await this.#compactAll('free memory');
      } catch (error) {
        this.#parts.logger.warn(
          { spool: this.name, path: this.path, err: error },
          'flushing memtables for low memory failed',
        );
      }
      return before - memoryInUse(this.#parts.storage);
    });
  }

  /** Whether `close()` has begun. */
  get closed(): boolean {
    return this.#lifecycle.isClosing;
  }

  /**
   * Returns the first reason that applies, or `undefined`. A database
   * directory or `LOCK` file deleted, moved or replaced since `open` comes
   * first, then the latch's reason while it is closed, then the disk
   * monitor's shortfall. Does no I/O, because the directory and the free
   * space are checked every `diskCheckIntervalMs` (5 s by default).
   */
  unhealthyReason(): string | undefined {
    const moved = this.#parts.directoryWatch.reason;
    if (moved !== undefined) {
      return moved;
    }
    if (this.#health.latched) {
      return NOT_ACCEPTING_WRITES;
    }
    return this.#parts.diskMonitor.reason;
  }

  /**
   * Returns RocksDB's gauges as numbers.
   * @throws `SPOOL_CLOSED` after `close()` began.
   */
  metrics(): RocksMetrics {
    this.#lifecycle.assertOpen('read metrics');
    return readMetrics(this.#parts.storage, this.#health.latched);
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#health.stop();
      this.#parts.diskMonitor.stop();
      await this.#parts.storage.close();
    });
  }

  #loadFailed(id: SpoolId, error: unknown): SpoolError {
    this.#health.recordError(error);
    return toSpoolError(error, {
      spool: this.name,
      path: this.path,
      operation: 'load',
      id: id.toString(),
    });
  }

  async #compactAll(operation: string): Promise<void> {
    const { storage } = this.#parts;
    const before = readNumberProperty(storage, 'rocksdb.background-errors');
    await storage.compactRange(FIRST_KEY, PAST_LAST_KEY);
    const after = readNumberProperty(storage, 'rocksdb.background-errors');
    if (after > before) {
      const error = new Error(
        `IO error: RocksDB background errors rose from ${before} to ${after} while compacting`,
      );
      this.#health.recordError(error);
      throw toSpoolError(error, {
        spool: this.name,
        path: this.path,
        operation,
      });
    }
  }

  #key(id: SpoolId, operation: string): Buffer {
    validateId(id, operation, this.name);
    return id.toBytes();
  }
}

/** Returns `data` itself when it is a `Buffer`, otherwise a copy as one. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

function semaphore(limit: number | undefined): Semaphore | undefined {
  return limit === undefined ? undefined : new Semaphore(limit);
}
