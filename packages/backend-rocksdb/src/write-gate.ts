import { setTimeout as sleep } from 'node:timers/promises';
import {
  formatDuration,
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

/** Options for `WriteGate`. */
export interface WriteGateOptions {
  spool: string;
  path: string;
  storage: RocksStorage;
  health: HealthLatch;
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
 * Runs stores and removes: rejects them while the health latch is closed,
 * bounds their concurrency, and waits out RocksDB write stalls with
 * backoff (500 µs doubling to 50 ms) until the deadline. The deadline is
 * the caller's when it is strictly earlier than now plus
 * `store_deadline`, otherwise the spool's. A write still waiting when the
 * spool begins closing rejects with `SPOOL_CLOSED`, so that `close()` need
 * not wait out the deadline.
 */
export class WriteGate {
  readonly #options: WriteGateOptions;

  constructor(options: WriteGateOptions) {
    this.#options = options;
  }

  /**
   * Runs `request.write` once RocksDB accepts writes.
   * @throws `SPOOL_UNHEALTHY`, `SPOOL_DEADLINE_EXCEEDED`,
   * `SPOOL_BACKPRESSURE_TIMEOUT`, `SPOOL_CLOSED`, or the storage error as
   * `SPOOL_IO`, `SPOOL_CORRUPT` or `SPOOL_NO_SPACE`.
   */
  async run(request: GatedWrite): Promise<void> {
    this.#assertHealthy(request);
    const deadline = this.#deadline(request.callerDeadline);

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
    const { storage, health, spool, path } = this.#options;
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      this.#assertHealthy(request);

      if (!isWriteStalled(storage)) {
        try {
          await request.write();
          return;
        } catch (error) {
          health.recordError(error);
          throw toSpoolError(error, {
            spool,
            path,
            operation: request.operation,
            id: request.id.toString(),
          });
        }
      }

      const now = Date.now();
      if (now >= deadline.at) {
        health.recordTimeout();
        throw this.#timeoutError(request, deadline);
      }
      if (this.#options.closingSignal.aborted) {
        throw this.#options.closedError(request.operation);
      }
      await sleep(Math.min(backoff, deadline.at - now));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
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

  #deadline(callerDeadline: number | undefined): Deadline {
    const spoolDeadline = Date.now() + this.#options.storeDeadlineMs;
    if (callerDeadline !== undefined && callerDeadline < spoolDeadline) {
      return { at: callerDeadline, caller: true };
    }
    return { at: spoolDeadline, caller: false };
  }

  #assertHealthy(request: GatedWrite): void {
    if (!this.#options.health.latched) {
      return;
    }
    const { spool, path } = this.#options;
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
