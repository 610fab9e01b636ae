/** The entries of one spool path, and whether an open spool has them locked. */
export interface MemoryShelf {
  entries: Map<string, Buffer>;
  locked: boolean;
}

/**
 * Every Memory spool's data in this process, keyed by absolute path. It
 * outlives `close()`, so opening the same path again finds the data, but
 * it is gone when the process exits.
 */
const shelves = new Map<string, MemoryShelf>();

/** Returns the shelf for `path`, creating an empty one on first use. */
export function shelfFor(path: string): MemoryShelf {
  let shelf = shelves.get(path);
  if (shelf === undefined) {
    shelf = { entries: new Map(), locked: false };
    shelves.set(path, shelf);
  }
  return shelf;
}

/**
 * Drops the data kept for `path`. Returns false, and keeps the data, while
 * a spool on that path is open.
 */
export function discardMemorySpool(path: string): boolean {
  if (shelves.get(path)?.locked) {
    return false;
  }
  return shelves.delete(path);
}
