import { createRequire } from 'node:module';
import { firstLineOf, isModuleNotFound } from '@spoolkit/core';
import { Coalescer } from './coalescer.js';
import type { RocksOpenOptions } from './open-options.js';

/** Options for a write. */
export interface WriteOptions {
  /** Sync the write-ahead log to disk before the write resolves. */
  sync: boolean;
}

/** One operation of an atomic batch. */
export type BatchOperation =
  | { type: 'put'; key: Buffer; value: Buffer }
  | { type: 'del'; key: Buffer };

/** A forward walk over every key and value, from the first key. */
export interface StorageIterator {
  /** Resolves to the next entry, or `undefined` at the end. */
  next(): Promise<[key: Buffer, value: Buffer] | undefined>;
  /**
   * Releases the iterator. Waits for a `next` in progress first; calling
   * it twice is harmless.
   */
  close(): Promise<void>;
}

/**
 * The promise interface the spool uses to reach RocksDB. Errors are the
 * binding's, with RocksDB's status text (`IO error: …`, `Corruption: …`)
 * as the message. Another binding can replace `BindingStorage` by
 * implementing this interface.
 */
export interface RocksStorage {
  /** The database directory. */
  readonly location: string;
  open(options: RocksOpenOptions): Promise<void>;
  close(): Promise<void>;
  /**
   * Resolves to a copy of the value, or `undefined` when the key is absent.
   * Keeps `key` until it settles, so the caller must not change it (the
   * spool passes a fresh `id.toBytes()`).
   */
  get(key: Buffer): Promise<Buffer | undefined>;
  /**
   * Writes `value` under `key`. Copies `value` before it returns, as the
   * binding's `put` does, because `RocksDbSpool.store` passes the caller's
   * buffer without a copy of its own when it calls `put` at once. Keeps
   * `key` until it settles, as `get` does.
   */
  put(key: Buffer, value: Buffer, options: WriteOptions): Promise<void>;
  /** Deletes `key`. Keeps `key` until it settles, as `get` does. */
  del(key: Buffer, options: WriteOptions): Promise<void>;
  batch(operations: BatchOperation[], options: WriteOptions): Promise<void>;
  /**
   * Opens an iterator over a snapshot taken now.
   * @param highWaterMark bytes to read ahead per batch
   */
  iterator(highWaterMark: number): StorageIterator;
  /** Flushes the overlapping memtable, then compacts keys from `start` to `end`. */
  compactRange(start: Buffer, end: Buffer): Promise<void>;
  /** Returns a RocksDB property such as `rocksdb.is-write-stopped`, or '' when unknown. */
  getProperty(name: string): string;
}

/** Creates the storage for one database directory; the spool opens it. */
export type RocksStorageFactory = (location: string) => RocksStorage;

type Callback<T = void> = (error: Error | undefined, value?: T) => void;

/**
 * The parts of the `rocksdb` binding this adapter calls. `@types/rocksdb`
 * describes them loosely and as an ES module, which NodeNext resolution
 * cannot import as a value type, so they are restated here.
 */
interface BindingDatabase {
  open(options: object, callback: Callback): void;
  close(callback: Callback): void;
  get(key: Buffer, options: object, callback: Callback<Buffer>): void;
  getMany(
    keys: Buffer[],
    options: object,
    callback: Callback<(Buffer | undefined)[]>,
  ): void;
  put(key: Buffer, value: Buffer, options: object, callback: Callback): void;
  del(key: Buffer, options: object, callback: Callback): void;
  batch(
    operations: BatchOperation[],
    options: object,
    callback: Callback,
  ): void;
  iterator(options: object): BindingIteratorHandle;
  compactRange(start: Buffer, end: Buffer, callback: Callback): void;
  getProperty(name: string): string;
}

interface BindingIteratorHandle {
  next(
    callback: (error: Error | undefined, key?: Buffer, value?: Buffer) => void,
  ): void;
  end(callback: Callback): void;
}

type RocksDBConstructor = (location: string) => BindingDatabase;

let binding: RocksDBConstructor | undefined;

/** The error `BindingStorage.open` throws when the native `rocksdb` module does not load. */
export class BindingLoadError extends Error {
  /** Whether the `rocksdb` package itself is missing, rather than its binary. */
  readonly notInstalled: boolean;

  constructor(cause: unknown) {
    const notInstalled = isModuleNotFound(cause, 'rocksdb');
    super(
      notInstalled
        ? 'the native module rocksdb is not installed'
        : `the native module rocksdb failed to load: ${firstLineOf(cause)}`,
      { cause },
    );
    this.name = 'BindingLoadError';
    this.notInstalled = notInstalled;
  }
}

/**
 * Loads the native `rocksdb` module on first use, so that importing this
 * package and validating `rocks_params` work where it is not installed.
 * It loads with `require`, from ES modules too, which caches no failure:
 * after `npm rebuild`, the next open tries again.
 */
function loadBinding(): RocksDBConstructor {
  if (binding === undefined) {
    try {
      const exported = createRequire(import.meta.url)('rocksdb') as
        | RocksDBConstructor
        | { default: RocksDBConstructor };
      binding = typeof exported === 'function' ? exported : exported.default;
    } catch (error) {
      throw new BindingLoadError(error);
    }
  }
  return binding;
}

/**
 * How many merged synced writes (puts below `UNMERGED_PUT_BYTES`) run in
 * the binding at once. More wait and
 * then run together as one batch, behind one WAL fsync. Two keep one call
 * in flight while the next batch forms.
 */
const MAX_SYNCED_WRITE_CALLS = 2;

/**
 * How many batches of unsynced deletes run in the binding at once, one
 * per thread of libuv's default pool of 4, with the waiting deletes
 * shared out over them. One batch is written by one thread. Several
 * batches at once probably gain from RocksDB's concurrent memtable
 * writes (`allow_concurrent_memtable_write`, on by default), as the raw
 * binding's single deletes do. With 64 unsynced 1 KiB deletes in flight, two unshared batches ran at
 * 0.69x to 0.72x the raw binding and four shared ones at 1.04x to 1.11x
 * (bench operations with turns, 5 rounds, quiet 2-core VM).
 */
const MAX_UNSYNCED_WRITE_CALLS = 4;

/**
 * How many gets run in the binding at once, one per thread of libuv's
 * default pool of 4. A `getMany` reads its keys one after another on one
 * thread, while the raw binding spreads its gets over the 4 threads, so
 * the waiting gets are shared out over the 4 calls. When the first call
 * to finish took every waiting get, one thread read most of them: 64
 * gets of 16 KiB values in flight ran at 0.60x the raw binding and of
 * 256 KiB at 0.78x. Shared out, they ran at 0.94x and 1.0x, and 1 KiB
 * gets at 1.6x (same database, alternating 150 ms slices, quiet 2-core
 * VM).
 *
 * NOTE: with 8 or 16 gets in flight, a call often finishes with only a
 * few gets waiting, and its thread idles until the JS thread starts the
 * next one. 16 KiB gets then ran at 0.82x to 0.87x the raw binding, where
 * separate gets ran at 0.90x to 0.95x (same measurement).
 */
const MAX_GET_CALLS = 4;

/**
 * The value size from which a synced put skips merging and goes straight
 * to the binding, in bytes. A batch runs on one thread-pool thread, while
 * separate puts copy large values on several at once. With 64 stores in
 * flight on a 2-core VM, merged 256 KiB stores ran at about 0.7x the raw
 * binding and 16 KiB stores at 1.0x to 1.1x.
 *
 * Unsynced puts are never merged. Separate puts let RocksDB insert into
 * the memtable from several threads at once, and with 64 unsynced 1 KiB
 * stores in flight, merged ones ran at 0.66x to 0.79x the raw binding and
 * separate ones at 1.0x (bench operations, 3 rounds, quiet 2-core VM).
 * Synced puts gain far more from sharing one WAL fsync per batch (about
 * 8x the raw binding with 64 in flight).
 */
const UNMERGED_PUT_BYTES = 64 * 1024;

/** The binding calls of one open database, with concurrent calls merged. */
interface OpenDatabase {
  db: BindingDatabase;
  gets: Coalescer<Buffer, Buffer | undefined>;
  writes: Coalescer<BatchOperation, void>;
  syncedWrites: Coalescer<BatchOperation, void>;
}

/**
 * `RocksStorage` on the `rocksdb` 5.2.1 binding (Level), whose API takes
 * callbacks. Gets made while `MAX_GET_CALLS` gets run wait for one of
 * them, then run as a `getMany` of their share of the gets in flight.
 * Merged synced writes made while `MAX_SYNCED_WRITE_CALLS` of them run
 * wait the same way, then all run as one atomic `batch`, which fails or
 * succeeds for all its writes together. Unsynced deletes made while
 * `MAX_UNSYNCED_WRITE_CALLS` batches run wait too, and run as batches of
 * their share, like gets.
 */
export class BindingStorage implements RocksStorage {
  readonly location: string;
  #database: OpenDatabase | undefined;

  constructor(location: string) {
    this.location = location;
  }

  async open(options: RocksOpenOptions): Promise<void> {
    const db = loadBinding()(this.location);
    await callback<void>((done) =>
      db.open({ createIfMissing: true, ...options }, done),
    );
    this.#database = {
      db,
      gets: coalesceGets(db),
      writes: coalesceWrites(db, false),
      syncedWrites: coalesceWrites(db, true),
    };
  }

  async close(): Promise<void> {
    const db = this.#database?.db;
    if (db === undefined) {
      return;
    }
    this.#database = undefined;
    await callback<void>((done) => db.close(done));
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.#open().gets.run(key);
  }

  put(key: Buffer, value: Buffer, options: WriteOptions): Promise<void> {
    if (!options.sync || value.length >= UNMERGED_PUT_BYTES) {
      const { db } = this.#open();
      return callback((done) =>
        db.put(key, value, { sync: options.sync }, done),
      );
    }
    const writes = this.#writes(options);
    // A waiting write is used later, so its value gets a copy now, as the
    // binding's put would have made one.
    return writes.run({
      type: 'put',
      key,
      value: writes.busy ? Buffer.from(value) : value,
    });
  }

  del(key: Buffer, options: WriteOptions): Promise<void> {
    return this.#writes(options).run({ type: 'del', key });
  }

  batch(operations: BatchOperation[], options: WriteOptions): Promise<void> {
    const { db } = this.#open();
    return callback((done) => {
      db.batch(operations, { sync: options.sync }, done);
    });
  }

  iterator(highWaterMark: number): StorageIterator {
    const { db } = this.#open();
    const options = { keyAsBuffer: true, valueAsBuffer: true, highWaterMark };
    return new BindingIterator(db.iterator(options));
  }

  compactRange(start: Buffer, end: Buffer): Promise<void> {
    const { db } = this.#open();
    return callback((done) => db.compactRange(start, end, done));
  }

  getProperty(name: string): string {
    return this.#open().db.getProperty(name);
  }

  #writes(options: WriteOptions): Coalescer<BatchOperation, void> {
    const database = this.#open();
    return options.sync ? database.syncedWrites : database.writes;
  }

  #open(): OpenDatabase {
    if (this.#database === undefined) {
      throw new Error(`the RocksDB database at ${this.location} is not open`);
    }
    return this.#database;
  }
}

class BindingIterator implements StorageIterator {
  readonly #iterator: BindingIteratorHandle;
  #pending: Promise<unknown> = Promise.resolve();
  #closed: Promise<void> | undefined;

  constructor(iterator: BindingIteratorHandle) {
    this.#iterator = iterator;
  }

  next(): Promise<[Buffer, Buffer] | undefined> {
    if (this.#closed !== undefined) {
      return Promise.resolve(undefined);
    }
    const result = callback<[Buffer, Buffer] | undefined>((done) => {
      this.#iterator.next((error, key, value) => {
        if (error) {
          done(error);
        } else if (key === undefined && value === undefined) {
          done(undefined, undefined);
        } else {
          done(undefined, [key as Buffer, value as Buffer]);
        }
      });
    });
    this.#pending = result.catch(() => undefined);
    return result;
  }

  close(): Promise<void> {
    // The binding rejects end() while a next() is running, so wait for it.
    this.#closed ??= this.#pending.then(() =>
      callback<void>((done) => this.#iterator.end(done)),
    );
    return this.#closed;
  }
}

/** Merges concurrent gets into `getMany`, which reads them from one snapshot. */
function coalesceGets(
  db: BindingDatabase,
): Coalescer<Buffer, Buffer | undefined> {
  const options = { asBuffer: true };
  return new Coalescer({
    runOne: (key, done) => {
      db.get(key, options, (error, value) => {
        if (error && /^NotFound/.test(error.message)) {
          done(undefined, undefined);
        } else {
          done(error, value);
        }
      });
    },
    runMany: (keys, done) => db.getMany(keys, options, done),
    maxCalls: MAX_GET_CALLS,
    share: true,
  });
}

/**
 * Merges concurrent writes with the same `sync` into batches: synced puts
 * into one batch per call, and unsynced deletes (unsynced puts skip the
 * coalescer) shared over the calls.
 */
function coalesceWrites(
  db: BindingDatabase,
  sync: boolean,
): Coalescer<BatchOperation, void> {
  const options = { sync };
  return new Coalescer({
    runOne: (operation, done) => {
      if (operation.type === 'put') {
        db.put(operation.key, operation.value, options, done);
      } else {
        db.del(operation.key, options, done);
      }
    },
    runMany: (operations, done) =>
      db.batch(operations, options, (error) => done(error)),
    maxCalls: sync ? MAX_SYNCED_WRITE_CALLS : MAX_UNSYNCED_WRITE_CALLS,
    share: !sync,
  });
}

type Done<T> = (error?: Error | null, value?: T) => void;

/** Adapts one callback call of the binding to a promise. */
function callback<T = void>(start: (done: Done<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, value) => {
      if (error) {
        reject(error);
      } else {
        resolve(value as T);
      }
    });
  });
}
