import { SpoolError, SpoolErrorCode } from './errors.js';

/**
 * Tracks the calls in flight on one spool so that `close()` can wait for
 * them, and rejects calls made after close began with `SPOOL_CLOSED`.
 * Backends wrap every public method in `run` and every enumeration in
 * `openLease`.
 */
export class SpoolLifecycle {
  readonly #spool: string;
  readonly #path: string;
  readonly #closing = new AbortController();
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(spool: string, path: string) {
    this.#spool = spool;
    this.#path = path;
  }

  /** Whether `close` has begun. */
  get isClosing(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Aborted when `close` begins; open enumerations listen to it. */
  get closingSignal(): AbortSignal {
    return this.#closing.signal;
  }

  /** Throws `SPOOL_CLOSED` when `close` has begun. */
  assertOpen(operation: string): void {
    if (this.isClosing) {
      throw this.closedError(operation);
    }
  }

  /** The error for a call made after close began. */
  closedError(operation: string): SpoolError {
    return new SpoolError(
      SpoolErrorCode.Closed,
      `cannot ${operation}: spool '${this.#spool}' at ${this.#path} is closed; open it again to use it`,
      { spool: this.#spool, path: this.#path },
    );
  }

  /**
   * Runs `work` as a call in flight, or rejects with `SPOOL_CLOSED`. A
   * `work` that throws instead of returning a rejected promise rejects the
   * same way.
   */
  run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.isClosing) {
      return Promise.reject(this.closedError(operation));
    }
    this.#inFlight += 1;
    let result: Promise<T>;
    try {
      result = work();
    } catch (error) {
      this.#finishCall();
      return Promise.reject(error);
    }
    // One reaction instead of an async function and its await: every
    // store, load and remove passes through here.
    return result.then(
      (value) => {
        this.#finishCall();
        return value;
      },
      (error: unknown) => {
        this.#finishCall();
        throw error;
      },
    );
  }

  /**
   * Runs `work` like `run`, after every earlier call for `key` in `queue`
   * has settled, as `KeyedQueue.run` does. Costs one promise reaction per
   * call where nesting `run` and `KeyedQueue.run` costs two, which matters
   * on the hot path of a backend doing a few hundred thousand calls a
   * second.
   */
  runKeyed<T>(
    operation: string,
    queue: KeyedQueue,
    key: string,
    work: () => Promise<T>,
  ): Promise<T> {
    if (this.isClosing) {
      return Promise.reject(this.closedError(operation));
    }
    this.#inFlight += 1;
    return queue.run(key, work, this.#onCallSettled);
  }

  readonly #onCallSettled = (): void => this.#finishCall();

  /**
   * Counts one long-lived use, such as an enumeration, as in flight until
   * the returned function is called. Calling that function twice is harmless.
   */
  openLease(): () => void {
    this.#inFlight += 1;
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      this.#finishCall();
    };
  }

  /**
   * Begins closing: aborts `closingSignal`, waits until nothing is in
   * flight, then runs `release` once. Later calls return the same promise.
   */
  close(release: () => Promise<void>): Promise<void> {
    if (this.#closed === undefined) {
      this.#closing.abort();
      this.#closed = this.#waitForIdle().then(release);
    }
    return this.#closed;
  }

  #finishCall(): void {
    this.#inFlight -= 1;
    if (this.#inFlight === 0) {
      this.#idle?.();
    }
  }

  #waitForIdle(): Promise<void> {
    if (this.#inFlight === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }
}

/**
 * Runs async work one at a time per key, in the order `run` was called.
 * Work for different keys runs concurrently. Spools use it so that
 * `store` and `remove` calls for one id take effect in the order they were
 * made.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** The number of keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }

  /**
   * Runs `work` after every earlier call for `key` has settled, whether it
   * resolved or rejected. Returns a promise that settles like `work`'s
   * result, after `onSettled` (if given) has run. A `work` that throws
   * instead of returning a rejected promise rejects the same way.
   */
  run<T>(
    key: string,
    work: () => Promise<T>,
    onSettled?: () => void,
  ): Promise<T> {
    const previous = this.#tails.get(key);
    let started: Promise<T>;
    if (previous !== undefined) {
      started = previous.then(work, work);
    } else {
      // Nothing is queued for `key`, so `work` starts now, without the
      // microtask a chained start would cost.
      try {
        started = work();
      } catch (error) {
        started = Promise.reject(error);
      }
    }
    // One reaction both removes the key and passes the result on, and the
    // caller gets that promise. A later call chains on it with `work` as
    // both handlers, so a rejection here never goes unhandled there.
    const settled: Promise<T> = started.then(
      (value) => {
        this.#forget(key, settled);
        onSettled?.();
        return value;
      },
      (error: unknown) => {
        this.#forget(key, settled);
        onSettled?.();
        throw error;
      },
    );
    this.#tails.set(key, settled);
    return settled;
  }

  #forget(key: string, tail: Promise<unknown>): void {
    if (this.#tails.get(key) === tail) {
      this.#tails.delete(key);
    }
  }
}
