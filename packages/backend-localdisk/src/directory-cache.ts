/**
 * The cached state of one directory under `data/`, which exists: whether
 * its name is durable, because its parent was fsynced after it was made,
 * and the `fsync` of its parent a store has begun, if any.
 */
export interface DirectoryState {
  durable: boolean;
  /** The running `fsync` of the parent, or `undefined` when none runs. */
  syncing?: Promise<void>;
}

/**
 * The directories under `data/` known to exist, so that a store skips
 * `mkdir` for them, and whether each one's name has been made durable.
 *
 * The map is cleared when it reaches `maxEntries`: the deepest hash levels
 * are new for almost every entry, so an unbounded map would grow with the
 * number of stores. Forgetting only costs an `mkdir` that fails with EEXIST
 * and, for a syncing store, one more directory `fsync`.
 */
export class DirectoryCache {
  readonly #entries = new Map<string, DirectoryState>();
  readonly #maxEntries: number;

  /** @param maxEntries the size at which the cache is cleared. @default 10000 */
  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** Returns the state of `directory`, or `undefined` when it is not known to exist. */
  get(directory: string): DirectoryState | undefined {
    return this.#entries.get(directory);
  }

  /**
   * Records that `directory` exists, with a new state object. A store that
   * fsyncs the parent marks that object durable. If cleanup() pruned the
   * directory and a store recreated it meanwhile, the recreated directory
   * has a new object, which stays not durable.
   */
  remember(directory: string): DirectoryState {
    if (this.#entries.size >= this.#maxEntries) {
      this.#entries.clear();
    }
    const state = { durable: false };
    this.#entries.set(directory, state);
    return state;
  }

  /** Forgets every directory, before cleanup() prunes some of them. */
  clear(): void {
    this.#entries.clear();
  }
}
