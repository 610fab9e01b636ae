import { setTimeout as sleep } from 'node:timers/promises';
import {
  formatDuration,
  type PathWatch,
  SpoolError,
  SpoolErrorCode,
  type SpoolId,
} from '@spoolkit/core';
import type { Semaphore } from 'async-mutex';
import { type HealthLatch, NOT_ACCEPTING_WRITES } from './health.js';
import { isWriteStalled } from './metrics.js';
import { toSpoolError } from './status.js';
import type { RocksStorage } from './storage.js';

/** The first wait when RocksDB stalls writes, in milliseconds (500 µs). */
const FIRST_BACKOFF_MS = 0.5;
/** The maximum wait between two checks, in milliseconds. */
const MAX_BACKOFF_MS = 50;
/**
 * How long a reading of the stall properties is reused, in milliseconds.
 * Reading them takes RocksDB's database mutex on the JS thread, which cost
 * about a quarter of the CPU of a 1 KiB store with 64 in flight, so writes
 * share one reading per millisecond. A write waiting out a stall reads them
 * afresh on every retry.
 */
const STALL_READING_TTL_MS = 1;

/** Options for `WriteGate`. */
export interface WriteGateOptions {
  spool: string;
  path: string;
  storage: RocksStorage;
  health: HealthLatch;
  /** Its `reason` is set while the database directory or `LOCK` is not the one opened. */
  directoryWatch: Pick<PathWatch, 'reason' | 'errorFor'>;
  /** How long a write may wait out a stall, in milliseconds (`store_deadline`). */
  storeDeadlineMs: number;
  /** Aborted when the spool begins closing; writes still waiting then give up. */
  closingSignal: AbortSignal;
  /** Builds the `SPOOL_CLOSED` error for an operation. */
  closedError: (operation: string) => SpoolError;
}

/** One store or remove, as the gate runs it. */
export interface GatedWrite {
  operation: 'store' | 'remove';
  id: SpoolId;
  /** Bounds how many writes of this kind run at once. */
  semaphore: Semaphore | undefined;
  /** The caller's deadline in milliseconds since the epoch. */
  callerDeadline: number | undefined;
  write: () => Promise<void>;
}

interface Deadline {
  at: number;
  /** Whether the caller's deadline was the earlier one. */
  caller: boolean;
}

/**
 * Runs stores and removes: rejects them while the health latch is closed
 * or the database directory is not the one opened,
 * bounds their concurrency, and waits out RocksDB write stalls with
 * backoff (500 µs doubling to 50 ms) until the deadline. The deadline is
 * the caller's when it is strictly earlier than now plus
 * `store_deadline`, otherwise the spool's. A write still waiting when the
 * spool begins closing rejects with `SPOOL_CLOSED`, so that `close()` need
 * not wait out the deadline.
 */
export class WriteGate {
  readonly #options: WriteGateOptions;
  #stalled = false;
  #stallReadAt = Number.NEGATIVE_INFINITY;

  constructor(options: WriteGateOptions) {
    this.#options = options;
  }

  /**
   * Runs `request.write` once RocksDB accepts writes. Without a semaphore
   * and without a stall, `request.write` is called before `run` returns.
   * Rejects with `SPOOL_UNHEALTHY`, `SPOOL_DEADLINE_EXCEEDED`,
   * `SPOOL_BACKPRESSURE_TIMEOUT`, `SPOOL_CLOSED`, or the storage error as
   * `SPOOL_IO`, `SPOOL_CORRUPT` or `SPOOL_NO_SPACE`.
   */
  run(request: GatedWrite): Promise<void> {
    try {
      this.#assertHealthy(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const now = Date.now();
    if (this.#startsAtOnce(request.semaphore, now)) {
      // The common case: no limit configured and no stall, so the write
      // starts now, with no deadline to compute and no backoff loop.
      return this.#write(request);
    }
    return this.#runGated(request, this.#deadline(request.callerDeadline, now));
  }

  /**
   * Returns whether a write may start at once, as `run` would start it: no
   * `semaphore`, the latch open and no stall. A caller that gets true may
   * start the write itself and convert its failure with `writeError`,
   * which saves the reaction `run` adds to every write.
   */
  acceptsNow(semaphore: Semaphore | undefined): boolean {
    return (
      !this.#options.health.latched &&
      this.#options.directoryWatch.reason === undefined &&
      this.#startsAtOnce(semaphore, Date.now())
    );
  }

  /** Whether a write with an open latch skips the gate: no limit and no stall. */
  #startsAtOnce(semaphore: Semaphore | undefined, now: number): boolean {
    return semaphore === undefined && !this.#isStalled(now, false);
  }

  /**
   * Records a failed write with the health latch and converts it to
   * `SPOOL_IO`, `SPOOL_CORRUPT` or `SPOOL_NO_SPACE`, as `run` does.
   */
  writeError(
    operation: GatedWrite['operation'],
    id: SpoolId,
    error: unknown,
  ): SpoolError {
    const { health, spool, path } = this.#options;
    health.recordError(error);
    return toSpoolError(error, {
      spool,
      path,
      operation,
      id: id.toString(),
    });
  }

  async #runGated(request: GatedWrite, deadline: Deadline): Promise<void> {
    const release = await this.#acquire(request, deadline);
    try {
      await this.#writeWhenAccepted(request, deadline);
    } finally {
      release();
    }
  }

  async #writeWhenAccepted(
    request: GatedWrite,
    deadline: Deadline,
  ): Promise<void> {
    let backoff = FIRST_BACKOFF_MS;
    for (let attempt = 0; ; attempt += 1) {
      this.#assertHealthy(request);

      const now = Date.now();
      if (!this.#isStalled(now, attempt > 0)) {
        return this.#write(request);
      }

      if (now >= deadline.at) {
        this.#options.health.recordTimeout();
        throw this.#timeoutError(request, deadline);
      }
      if (this.#options.closingSignal.aborted) {
        throw this.#options.closedError(request.operation);
      }
      await sleep(Math.min(backoff, deadline.at - now));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** Starts `request.write` and converts its failure, thrown or rejected, to a `SpoolError`. */
  #write(request: GatedWrite): Promise<void> {
    let writing: Promise<void>;
    try {
      writing = request.write();
    } catch (error) {
      return Promise.reject(
        this.writeError(request.operation, request.id, error),
      );
    }
    return writing.then(undefined, (error: unknown) => {
      throw this.writeError(request.operation, request.id, error);
    });
  }

  /**
   * Whether RocksDB stalls writes, from a reading at most
   * `STALL_READING_TTL_MS` old unless `fresh` is set.
   */
  #isStalled(now: number, fresh: boolean): boolean {
    if (fresh || now - this.#stallReadAt >= STALL_READING_TTL_MS) {
      this.#stalled = isWriteStalled(this.#options.storage);
      this.#stallReadAt = now;
    }
    return this.#stalled;
  }

  /** Takes a semaphore permit, giving up at the deadline. Returns the release function. */
  async #acquire(request: GatedWrite, deadline: Deadline): Promise<() => void> {
    const semaphore = request.semaphore;
    if (semaphore === undefined) {
      return () => {};
    }
    const acquiring = semaphore.acquire().then(([, release]) => release);
    const controller = new AbortController();
    const signal = AbortSignal.any([
      controller.signal,
      this.#options.closingSignal,
    ]);
    const timeout = sleep(Math.max(0, deadline.at - Date.now()), undefined, {
      signal,
      ref: false,
    }).catch(() => undefined);
    const release = await Promise.race([acquiring, timeout]);
    controller.abort();
    if (release === undefined) {
      // The permit may still arrive, so hand it straight back.
      void acquiring.then((late) => late());
      if (this.#options.closingSignal.aborted) {
        throw this.#options.closedError(request.operation);
      }
      throw this.#timeoutError(request, deadline);
    }
    return release;
  }

  #deadline(callerDeadline: number | undefined, now: number): Deadline {
    const spoolDeadline = now + this.#options.storeDeadlineMs;
    if (callerDeadline !== undefined && callerDeadline < spoolDeadline) {
      return { at: callerDeadline, caller: true };
    }
    return { at: spoolDeadline, caller: false };
  }

  #assertHealthy(request: GatedWrite): void {
    const { spool, path } = this.#options;
    const moved = this.#options.directoryWatch.errorFor({
      spool,
      path,
      operation: request.operation,
      id: request.id.toString(),
    });
    if (moved !== undefined) {
      throw moved;
    }
    if (!this.#options.health.latched) {
      return;
    }
    throw new SpoolError(
      SpoolErrorCode.Unhealthy,
      `${NOT_ACCEPTING_WRITES}: spool '${spool}' at ${path} latched unhealthy after storage errors, so the ${request.operation} of ${request.id} was rejected; retry later and check the spool's log and disk`,
      { spool, path, id: request.id.toString() },
    );
  }

  #timeoutError(request: GatedWrite, deadline: Deadline): SpoolError {
    const { spool, path, storeDeadlineMs } = this.#options;
    const fields = { spool, path, id: request.id.toString() };
    if (deadline.caller) {
      return new SpoolError(
        SpoolErrorCode.DeadlineExceeded,
        `the caller-provided deadline was reached before spool '${spool}' at ${path} accepted the ${request.operation} of ${request.id}; RocksDB is stalling writes or too many are queued`,
        fields,
      );
    }
    return new SpoolError(
      SpoolErrorCode.BackpressureTimeout,
      `spool '${spool}' at ${path} did not accept the write within ${formatDuration(storeDeadlineMs)} (store_deadline) for the ${request.operation} of ${request.id}; RocksDB is stalling writes or too many are queued, so retry later or raise rocks_params.store_deadline`,
      fields,
    );
  }
}
