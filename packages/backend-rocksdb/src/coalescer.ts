/** Completes one binding call, with its error or its result. */
export type Completion<T> = (error: Error | undefined, result?: T) => void;

/** Options for `Coalescer`. */
export interface CoalescerOptions<Request, Result> {
  /** Starts the binding call for one request. */
  runOne: (request: Request, done: Completion<Result>) => void;
  /** Starts one binding call for several requests, resolving to one result per request. */
  runMany: (requests: Request[], done: Completion<Result[]>) => void;
  /** How many binding calls may run at once. */
  maxCalls: number;
  /**
   * Whether to spread the waiting requests over `maxCalls` calls instead
   * of sending them all in the next one. Gets and unsynced deletes use it,
   * because a `getMany` or a batch runs on one thread. Synced writes do
   * not: one merged batch shares one log write and fsync.
   */
  share?: boolean;
}

interface Waiting<Request, Result> {
  request: Request;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Merges concurrent requests of one kind into fewer binding calls. A
 * request made while fewer than `maxCalls` calls run starts at once,
 * alone. Requests made while `maxCalls` run wait until one finishes, then
 * start together in one call (`runMany`), so that 64 concurrent puts cost
 * a few binding calls and thread-pool hops instead of 64. With `share`,
 * that call takes only its part of them (see `CoalescerOptions.share`).
 *
 * A failed call rejects every request in it with the same error. Calls
 * may finish in any order, so callers that need an order between two
 * requests wait for the first before making the second.
 */
export class Coalescer<Request, Result> {
  readonly #options: CoalescerOptions<Request, Result>;
  #running = 0;
  /** Requests in the calls that run now. */
  #requestsRunning = 0;
  #waiting: Waiting<Request, Result>[] = [];

  constructor(options: CoalescerOptions<Request, Result>) {
    this.#options = options;
  }

  /** Whether `maxCalls` calls run now, so that `run` would make a request wait. */
  get busy(): boolean {
    return this.#running >= this.#options.maxCalls;
  }

  /**
   * Runs `request` now when fewer than `maxCalls` calls run, otherwise in
   * the batch that starts when one of them finishes.
   * `request` must not change after this call: a request that waits is
   * used as it is when its turn comes.
   */
  run(request: Request): Promise<Result> {
    if (!this.busy) {
      return this.#runAlone(request);
    }
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
    });
  }

  /**
   * Starts a request that need not wait, without the record and batch
   * array a waiting request needs. With one call in flight, every load
   * takes this path, and its callback is on each load's critical path.
   */
  #runAlone(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#startOne(request, resolve, reject);
    });
  }

  #startOne(
    request: Request,
    resolve: (result: Result) => void,
    reject: (error: unknown) => void,
  ): void {
    this.#running += 1;
    this.#requestsRunning += 1;
    try {
      this.#options.runOne(request, (error, result) => {
        this.#startWaiting(1);
        if (error) {
          reject(error);
        } else {
          resolve(result as Result);
        }
      });
    } catch (error) {
      // The binding threw before it queued the call, as it does once the database closed.
      this.#startWaiting(1);
      reject(error);
    }
  }

  #start(batch: Waiting<Request, Result>[]): void {
    const size = batch.length;
    if (size === 1) {
      const [only] = batch as [Waiting<Request, Result>];
      this.#startOne(only.request, only.resolve, only.reject);
      return;
    }
    this.#running += 1;
    this.#requestsRunning += size;
    try {
      const requests = batch.map((waiting) => waiting.request);
      this.#options.runMany(requests, (error, results) => {
        this.#startWaiting(size);
        batch.forEach((waiting, index) => {
          settle(waiting, error, results?.[index] as Result);
        });
      });
    } catch (error) {
      // As in `#startOne`.
      this.#startWaiting(size);
      for (const waiting of batch) {
        waiting.reject(error);
      }
    }
  }

  /**
   * Ends a call of `finished` requests and starts the requests that
   * arrived during it: all of them, or with `share` an even part of every
   * request in flight, so that `maxCalls` calls carry about equal loads.
   */
  #startWaiting(finished: number): void {
    this.#running -= 1;
    this.#requestsRunning -= finished;
    const waiting = this.#waiting;
    if (waiting.length === 0) {
      return;
    }
    const share = this.#options.share
      ? Math.ceil(
          (waiting.length + this.#requestsRunning) / this.#options.maxCalls,
        )
      : waiting.length;
    if (share >= waiting.length) {
      this.#waiting = [];
      this.#start(waiting);
    } else {
      this.#start(waiting.splice(0, share));
    }
  }
}

function settle<Request, Result>(
  waiting: Waiting<Request, Result>,
  error: Error | undefined,
  result: Result,
): void {
  if (error) {
    waiting.reject(error);
  } else {
    waiting.resolve(result);
  }
}
