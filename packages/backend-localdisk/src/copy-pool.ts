/** Values smaller than this are copied into a new buffer, as Node pools those itself. */
const MIN_POOLED_BYTES = 16 * 1024;

/** Values larger than this are copied into a new buffer and never pooled. */
const MAX_POOLED_BYTES = 1024 * 1024;

/** Idle buffers kept per spool at most, in bytes: 64 copies of 256 KiB. */
const MAX_IDLE_BYTES = 16 * 1024 * 1024;

/**
 * Reusable buffers for the copies `LocalDiskSpool.store` makes of values
 * from 16 KiB to 1 MiB, sized in powers of two. A new buffer of that size
 * costs more than the copy itself: fresh pages to fault in, and memory
 * outside the JS heap that V8 counts towards its next full collection.
 * With 64 stores of 256 KiB in flight, a new buffer per copy ran at 0.81x
 * to 0.83x of the raw-fs baseline, which writes the caller's buffer.
 *
 * A copy must be given back with `release` once nothing reads it any more,
 * and only then: the next `copy` may overwrite it. A copy that is never
 * given back is collected like any buffer.
 */
export class CopyPool {
  /** Idle buffers by size. */
  readonly #idle = new Map<number, ArrayBuffer[]>();
  /** Buffers handed out and not yet given back, so that a second `release` does nothing. */
  readonly #lent = new WeakSet<ArrayBuffer>();
  #idleBytes = 0;

  /** Returns a copy of `data`, in a reused buffer when its size is in the pooled range. */
  copy(data: Uint8Array): Buffer {
    const size = pooledSize(data.length);
    if (size === undefined) {
      return Buffer.from(data);
    }
    let backing = this.#idle.get(size)?.pop();
    if (backing === undefined) {
      backing = Buffer.allocUnsafeSlow(size).buffer;
    } else {
      this.#idleBytes -= size;
    }
    this.#lent.add(backing);
    const copy = Buffer.from(backing, 0, data.length);
    copy.set(data);
    return copy;
  }

  /**
   * Takes back a buffer `copy` returned, to reuse it. Does nothing for a
   * copy outside the pooled range or for one given back before. When
   * keeping it would pass `MAX_IDLE_BYTES`, idle buffers of other sizes
   * are dropped first, so that a burst of one size does not keep every
   * other size out. If that frees too little, the buffer itself is dropped.
   */
  release(copy: Buffer): void {
    const backing = copy.buffer;
    if (!(backing instanceof ArrayBuffer) || !this.#lent.delete(backing)) {
      return;
    }
    const size = backing.byteLength;
    this.#makeRoom(size);
    if (this.#idleBytes + size > MAX_IDLE_BYTES) {
      return;
    }
    const idle = this.#idle.get(size);
    if (idle === undefined) {
      this.#idle.set(size, [backing]);
    } else {
      idle.push(backing);
    }
    this.#idleBytes += size;
  }

  /** Returns whether `copy` is a pooled buffer that has not been given back yet. */
  lent(copy: Buffer): boolean {
    const backing = copy.buffer;
    return backing instanceof ArrayBuffer && this.#lent.has(backing);
  }

  /** Drops idle buffers of sizes other than `size` until `size` more bytes fit. */
  #makeRoom(size: number): void {
    for (const [otherSize, idle] of this.#idle) {
      if (this.#idleBytes + size <= MAX_IDLE_BYTES) {
        return;
      }
      if (otherSize === size) {
        continue;
      }
      while (idle.length > 0 && this.#idleBytes + size > MAX_IDLE_BYTES) {
        idle.pop();
        this.#idleBytes -= otherSize;
      }
    }
  }

  /** Bytes held in idle buffers. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** Drops every idle buffer. */
  clear(): void {
    this.#idle.clear();
    this.#idleBytes = 0;
  }
}

/** Returns the pooled buffer size for a value of `length` bytes, or `undefined` outside the pooled range. */
function pooledSize(length: number): number | undefined {
  if (length < MIN_POOLED_BYTES || length > MAX_POOLED_BYTES) {
    return undefined;
  }
  return 2 ** Math.ceil(Math.log2(length));
}
