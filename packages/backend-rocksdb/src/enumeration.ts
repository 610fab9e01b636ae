import {
  type SpoolEntry,
  SpoolError,
  SpoolErrorCode,
  SpoolId,
  type SpoolLifecycle,
  type SpoolLogger,
} from '@spoolkit/core';
import type { HealthLatch } from './health.js';
import { toSpoolError } from './status.js';
import type { RocksStorage, StorageIterator } from './storage.js';

/** Bytes the binding reads ahead per batch; one large value may exceed it. */
const READ_AHEAD_BYTES = 64 * 1024;

/** The spool state an enumeration reads. */
export interface EnumerationContext {
  spool: string;
  path: string;
  storage: RocksStorage;
  lifecycle: SpoolLifecycle;
  health: HealthLatch;
  logger: SpoolLogger;
}

/**
 * One walk over the spool's keys. The RocksDB iterator opens at the first
 * `next()` and closes when the walk ends, breaks, throws, or when
 * `signal` or the spool's close aborts it, even while the consumer is not
 * pulling. The walk holds a lifecycle lease until its iterator is closed,
 * so `close()` waits for that.
 */
export class RocksEnumeration implements AsyncIterableIterator<SpoolEntry> {
  readonly #context: EnumerationContext;
  readonly #createdBeforeTicks: bigint;
  readonly #signal: AbortSignal | undefined;
  #iterator: StorageIterator | undefined;
  #releaseLease: (() => void) | undefined;
  #finished: Promise<void> | undefined;
  readonly #onAbort = () => void this.#finish();

  constructor(
    context: EnumerationContext,
    createdBeforeTicks: bigint,
    signal: AbortSignal | undefined,
  ) {
    this.#context = context;
    this.#createdBeforeTicks = createdBeforeTicks;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<SpoolEntry>> {
    await this.#throwIfClosed();
    if (this.#finished !== undefined || this.#signal?.aborted) {
      await this.#finish();
      return { done: true, value: undefined };
    }
    const iterator = this.#iterator ?? this.#start();

    for (;;) {
      let entry: [Buffer, Buffer] | undefined;
      try {
        entry = await iterator.next();
      } catch (error) {
        await this.#finish();
        throw this.#iteratorError(error);
      }
      if (entry === undefined || this.#finished !== undefined) {
        await this.#finish();
        await this.#throwIfClosed();
        return { done: true, value: undefined };
      }
      const spoolEntry = this.#toEntry(entry[0], entry[1]);
      if (spoolEntry !== undefined) {
        return { done: false, value: spoolEntry };
      }
    }
  }

  async return(): Promise<IteratorResult<SpoolEntry>> {
    await this.#finish();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<SpoolEntry>> {
    await this.#finish();
    throw error;
  }

  /**
   * Ends the walk with `SPOOL_CLOSED` once the spool is closing, as
   * LocalDisk does, so a caller can tell a cut-off walk from a complete one.
   */
  async #throwIfClosed(): Promise<void> {
    const { lifecycle } = this.#context;
    if (lifecycle.isClosing) {
      await this.#finish();
      throw lifecycle.closedError('enumerate');
    }
  }

  #start(): StorageIterator {
    const { lifecycle, storage } = this.#context;
    lifecycle.assertOpen('enumerate');
    this.#releaseLease = lifecycle.openLease();
    this.#iterator = storage.iterator(READ_AHEAD_BYTES);
    this.#signal?.addEventListener('abort', this.#onAbort);
    lifecycle.closingSignal.addEventListener('abort', this.#onAbort);
    return this.#iterator;
  }

  /** Returns the entry to yield, or `undefined` to skip one created too late. */
  #toEntry(key: Buffer, value: Buffer): SpoolEntry | undefined {
    const { spool, path } = this.#context;
    if (key.length !== 16) {
      return {
        type: 'corrupt',
        path,
        error: new SpoolError(
          SpoolErrorCode.Corrupt,
          `spool '${spool}' at ${path} holds a ${key.length}-byte key ${key.toString('hex')}, but a spool id is 16 bytes; remove it with a RocksDB tool or ignore it`,
          { spool, path },
        ),
      };
    }
    const id = SpoolId.fromBytes(key);
    const createdTicks = id.createdTicks;
    if (createdTicks === undefined) {
      return {
        type: 'corrupt',
        id,
        path,
        error: new SpoolError(
          SpoolErrorCode.Corrupt,
          `spool '${spool}' at ${path} holds key ${id}, a version ${id.version} UUID that carries no creation time; remove it with spool.remove()`,
          { spool, path, id: id.toString() },
        ),
      };
    }
    if (createdTicks >= this.#createdBeforeTicks) {
      return undefined;
    }
    return { type: 'item', id, data: value };
  }

  #iteratorError(error: unknown): SpoolError {
    const { spool, path, health } = this.#context;
    health.recordError(error);
    return toSpoolError(error, { spool, path, operation: 'enumerate' });
  }

  #finish(): Promise<void> {
    this.#finished ??= this.#closeIterator();
    return this.#finished;
  }

  async #closeIterator(): Promise<void> {
    const { lifecycle, logger, spool, path } = this.#context;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    lifecycle.closingSignal.removeEventListener('abort', this.#onAbort);
    try {
      await this.#iterator?.close();
    } catch (error) {
      logger.warn(
        { spool, path, err: error },
        'closing a RocksDB iterator failed',
      );
    } finally {
      this.#releaseLease?.();
    }
  }
}
