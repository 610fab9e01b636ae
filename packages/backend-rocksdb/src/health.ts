import type { SpoolLogger } from '@spoolkit/core';
import { classifyStatus } from './status.js';

/** The reason `unhealthyReason()` returns while the latch is closed, in KumoMTA's words. */
export const NOT_ACCEPTING_WRITES = 'the spool is not accepting writes';

/** Options for `HealthLatch`. */
export interface HealthLatchOptions {
  spool: string;
  path: string;
  logger: SpoolLogger;
  /** Milliseconds of continued errors before the latch closes. */
  latchDurationMs: number;
  /** Milliseconds without new errors before a closed latch opens. */
  unlatchDurationMs: number;
  /** Whether a closed latch may open by itself. */
  allowUnlatch: boolean;
  /** Milliseconds between checks. KumoMTA checks every 5 s. */
  intervalMs: number;
  /** Reads RocksDB's `rocksdb.background-errors` counter. */
  readBackgroundErrors: () => number;
}

/**
 * The error latch: decides whether the spool accepts writes.
 *
 * Two counters feed it: RocksDB's background errors (counted from the
 * first reading, so errors from earlier runs are ignored) and foreground
 * errors that the spool records. An I/O error or corruption closes the
 * latch at once. Other errors, and backpressure timeouts, close it once
 * either counter has stayed above its baseline for `latchDurationMs`. A
 * closed latch opens again, when allowed, after `unlatchDurationMs` in
 * which neither counter grew, measured from the later of the latch and
 * the last growth. Checks run on an unref'd timer, so timings round up to
 * `intervalMs`.
 */
export class HealthLatch {
  readonly #options: HealthLatchOptions;
  #latched = false;
  #latchedAt = 0;
  #foregroundErrors = 0;
  #lastForegroundErrors = 0;
  #initialBackgroundErrors: number | undefined;
  #lastBackgroundErrors = 0;
  #lastGrowthAt: number | undefined;
  #unhealthySince: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HealthLatchOptions) {
    this.#options = options;
  }

  /** Whether stores and removes are rejected. */
  get latched(): boolean {
    return this.#latched;
  }

  /** Foreground errors counted since the last unlatch. */
  get foregroundErrors(): number {
    return this.#foregroundErrors;
  }

  /** Counts a storage error; an I/O error or corruption closes the latch now. */
  recordError(error: unknown): void {
    this.#foregroundErrors += 1;
    const kind = classifyStatus(error);
    if (kind === 'io' || kind === 'corruption' || kind === 'no-space') {
      this.#latch(
        Date.now(),
        `RocksDB reported ${kind === 'corruption' ? 'corruption' : 'an I/O error'}`,
        error,
      );
    }
  }

  /** Counts a write that timed out under backpressure; it latches only if errors continue. */
  recordTimeout(): void {
    this.#foregroundErrors += 1;
  }

  /** Checks once now, then on the timer. */
  start(): void {
    this.check();
    this.#timer = setInterval(() => this.check(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the counters once and closes or opens the latch. */
  check(now = Date.now()): void {
    const background = this.#readBackgroundErrors();
    this.#initialBackgroundErrors ??= background;
    this.#stampGrowth(now, background);

    const unhealthy =
      background > this.#initialBackgroundErrors || this.#foregroundErrors > 0;
    if (unhealthy) {
      this.#unhealthySince ??= now;
      if (
        !this.#latched &&
        now - this.#unhealthySince >= this.#options.latchDurationMs
      ) {
        this.#latch(now, 'storage errors continued for error_latch_duration');
      }
    } else if (!this.#latched) {
      this.#unhealthySince = undefined;
    }

    if (this.#latched && this.#options.allowUnlatch) {
      const quietSince = Math.max(this.#latchedAt, this.#lastGrowthAt ?? 0);
      if (now - quietSince >= this.#options.unlatchDurationMs) {
        this.#unlatch(background);
      }
    }
  }

  #stampGrowth(now: number, background: number): void {
    const { logger, spool, path } = this.#options;
    if (background > this.#lastBackgroundErrors) {
      this.#lastGrowthAt = now;
      logger.warn(
        { spool, path, backgroundErrors: background },
        'RocksDB background errors grew',
      );
    }
    if (this.#foregroundErrors > this.#lastForegroundErrors) {
      this.#lastGrowthAt = now;
      logger.warn(
        { spool, path, foregroundErrors: this.#foregroundErrors },
        'spool storage errors grew',
      );
    }
    this.#lastBackgroundErrors = background;
    this.#lastForegroundErrors = this.#foregroundErrors;
  }

  #latch(now: number, why: string, error?: unknown): void {
    if (this.#latched) {
      return;
    }
    this.#latched = true;
    this.#latchedAt = now;
    this.#unhealthySince ??= now;
    const { logger, spool, path } = this.#options;
    logger.error(
      { spool, path, err: error },
      `spool latched unhealthy and rejects stores and removes: ${why}`,
    );
  }

  #unlatch(background: number): void {
    this.#latched = false;
    this.#foregroundErrors = 0;
    this.#lastForegroundErrors = 0;
    this.#initialBackgroundErrors = background;
    this.#lastGrowthAt = undefined;
    this.#unhealthySince = undefined;
    const { logger, spool, path } = this.#options;
    logger.info(
      { spool, path },
      'spool unlatched after error_unlatch_duration without new errors; accepting writes again',
    );
  }

  #readBackgroundErrors(): number {
    try {
      return this.#options.readBackgroundErrors();
    } catch {
      // The database is closing; keep the last reading.
      return this.#lastBackgroundErrors;
    }
  }
}
