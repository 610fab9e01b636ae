/**
 * A bounded FIFO of values and pending promises, so a producer can start
 * work ahead of its consumer and the consumer still receives the results in
 * the order the work was started.
 *
 * The queue never contains more than `limit` items, so at most `limit`
 * results are buffered and at most `limit` operations wait in it. Each
 * queued promise gets a rejection handler at once, so one that rejects
 * while it waits in the queue, or after `settle()` dropped it, is never
 * reported as an unhandled rejection. A consumer that takes it with
 * `shift()` still receives the rejection.
 */
export class ReadAhead<T> {
  readonly #limit: number;
  readonly #queue: (T | Promise<T>)[] = [];
  /** The pushed promises that have not settled, whether queued or already shifted. */
  readonly #unsettled = new Set<Promise<T>>();

  /** @param limit the maximum number of queued items; a positive integer. */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(
        `read-ahead limit must be a positive integer, got ${limit}`,
      );
    }
    this.#limit = limit;
  }

  /** The number of queued items. */
  get size(): number {
    return this.#queue.length;
  }

  /** Whether the queue contains `limit` items, so `push` would throw. */
  get full(): boolean {
    return this.#queue.length >= this.#limit;
  }

  /**
   * Appends a value or a pending result. Throws `RangeError` when the queue
   * is full: the producer must check `full` first.
   */
  push(item: T | Promise<T>): void {
    if (this.full) {
      throw new RangeError(
        `read-ahead queue is full (${this.#limit} items); take one with shift() first`,
      );
    }
    if (item instanceof Promise) {
      this.#unsettled.add(item);
      const forget = () => void this.#unsettled.delete(item);
      item.then(forget, forget);
    }
    this.#queue.push(item);
  }

  /** Removes and returns the oldest item. Throws `RangeError` when the queue is empty. */
  shift(): T | Promise<T> {
    if (this.#queue.length === 0) {
      throw new RangeError('read-ahead queue is empty');
    }
    return this.#queue.shift() as T | Promise<T>;
  }

  /**
   * Drops every queued item and resolves once every promise pushed so far
   * has settled, including those a consumer already took with `shift()`.
   * Ignores their results and rejections.
   */
  async settle(): Promise<void> {
    this.#queue.length = 0;
    await Promise.allSettled([...this.#unsettled]);
  }
}
