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
      if (!(result instanceof Promise)) {
        // A plain value would otherwise throw below and leave the call counted for close().
        result = Promise.resolve(result);
      }
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
   * has settled, as `KeyedQueue.run` does (`mapError` and `mapValue`
   * included). Costs one promise reaction per call where nesting `run` and
   * `KeyedQueue.run` costs two, which matters on the hot path of a backend
   * doing a few hundred thousand calls a second.
   */
  runKeyed<T, R = T>(
    operation: string,
    queue: KeyedQueue,
    key: string,
    work: () => Promise<T>,
    mapError?: ErrorMapper,
    mapValue?: (value: T) => R,
  ): Promise<R> {
    if (this.isClosing) {
      return Promise.reject(this.closedError(operation));
    }
    this.#inFlight += 1;
    return queue.run(key, work, this.#onCallSettled, mapError, mapValue);
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
 * How many keys `KeyedQueue` deletes from its map before it copies the
 * live keys into a new one. Every call adds a key and deletes it again,
 * and V8 rebuilds a `Map`'s table once deleted and live entries fill it.
 * When the table lives in the old generation, the rebuilt one is
 * allocated there too (`OrderedHashTable::Rehash`,
 * src/objects/ordered-hash-table.cc), so the churn alone filled the
 * bench's small old generation with garbage. With 64 calls in flight a
 * table contains 128 entries, so a copy every 64 deletions comes about when
 * a rebuild would, and the copy is allocated young. After 1,024
 * deletions instead, 64 loads of 256 KiB in flight still ran 58 full
 * collections a second against 2 for the baseline, because scavenges
 * came often enough to promote each map well before its replacement.
 * A null-prototype object avoided the rebuilds, but each new id became a
 * property name that V8 interns, which cost stores about 1 µs each.
 */
const DELETIONS_PER_MAP = 64;

/**
 * Converts the rejection of a queued call's work into the error its caller
 * gets. It returns that error or a promise of it, or throws it.
 */
export type ErrorMapper = (error: unknown) => unknown;

/**
 * Runs async work one at a time per key, in the order `run` was called.
 * Work for different keys runs concurrently. Spools use it so that
 * `store` and `remove` calls for one id take effect in the order they were
 * made.
 */
export class KeyedQueue {
  /**
   * The keys with a call running, each with the starts of the calls
   * waiting behind it, or `null` while none waits (most keys: no array to
   * allocate). Only these small records are kept: an entry that outlives
   * a young-generation collection would keep the promise it holds, and
   * with it a loaded value, until a full collection.
   */
  #running = new Map<string, (() => void)[] | null>();
  /** Keys deleted from `#running` since it was last replaced. */
  #deletions = 0;

  /** The number of keys with work queued or running. */
  get size(): number {
    return this.#running.size;
  }

  /**
   * Runs `work` after every earlier call for `key` has settled, whether it
   * resolved or rejected. Returns a promise that settles like `work`'s
   * result, after `onSettled` (if given) has run. A `work` that throws
   * instead of returning a rejected promise rejects the same way, and one
   * that returns a plain value resolves to it.
   *
   * With `mapError`, a rejection of `work` is passed through it and the
   * promise rejects with what it returns or throws (the original error
   * when it returns `undefined` or `null`). The next call for
   * `key` starts once that is known, so `mapError` may still inspect the
   * entry. On a hot path this saves the reaction that a `.then` for the
   * errors inside `work` would cost on every call, failed or not.
   *
   * With `mapValue`, the promise resolves to what `mapValue` returns for
   * `work`'s value, or rejects with what it throws (not passed to
   * `mapError`). It runs after the next call for `key` has started, so it
   * must only look at the value. It saves the same reaction for results,
   * such as turning "no value" into a not-found error.
   */
  run<T, R = T>(
    key: string,
    work: () => Promise<T>,
    onSettled?: () => void,
    mapError?: ErrorMapper,
    mapValue?: (value: T) => R,
  ): Promise<R> {
    const waiting = this.#running.get(key);
    if (waiting === undefined) {
      // Nothing runs for `key`, so `work` starts now, without a microtask.
      this.#running.set(key, null);
      return this.#start(key, work, onSettled, mapError, mapValue);
    }
    return new Promise<R>((resolve, reject) => {
      const start = () => {
        this.#start(key, work, onSettled, mapError, mapValue).then(
          resolve,
          reject,
        );
      };
      if (waiting === null) {
        this.#running.set(key, [start]);
      } else {
        waiting.push(start);
      }
    });
  }

  /** Starts `work`; one reaction starts the next call for `key` and passes the result on. */
  #start<T, R>(
    key: string,
    work: () => Promise<T>,
    onSettled: (() => void) | undefined,
    mapError: ErrorMapper | undefined,
    mapValue: ((value: T) => R) | undefined,
  ): Promise<R> {
    let started: Promise<T>;
    try {
      started = work();
      if (!(started instanceof Promise)) {
        // A `work` that returned a plain value or a thenable; without this the key would stay blocked.
        started = Promise.resolve(started);
      }
    } catch (error) {
      started = Promise.reject(error);
    }
    return started.then(
      (value) => {
        this.#startNext(key);
        onSettled?.();
        return mapValue === undefined
          ? (value as unknown as R)
          : mapValue(value);
      },
      (error: unknown) => {
        if (mapError !== undefined) {
          return this.#failed(key, error, onSettled, mapError);
        }
        this.#startNext(key);
        onSettled?.();
        throw error;
      },
    );
  }

  /** Maps a failure, then starts the next call for `key` and rejects with the mapped error. */
  async #failed(
    key: string,
    error: unknown,
    onSettled: (() => void) | undefined,
    mapError: ErrorMapper,
  ): Promise<never> {
    let mapped: unknown;
    try {
      mapped = await mapError(error);
    } catch (thrown) {
      mapped = thrown;
    }
    this.#startNext(key);
    onSettled?.();
    // A mapper that forgot to return must not lose the original error.
    throw mapped ?? error;
  }

  #startNext(key: string): void {
    const next = this.#running.get(key)?.shift();
    if (next !== undefined) {
      next();
      return;
    }
    this.#running.delete(key);
    this.#deletions += 1;
    if (this.#deletions >= DELETIONS_PER_MAP) {
      this.#deletions = 0;
      this.#running = new Map(this.#running);
    }
  }
}
