import type { SpoolId } from '@spoolkit/core';
import rocksdbModule from 'rocksdb';
import type { BenchTarget, WalkResult } from './types.js';

// The binding is CommonJS: its `module.exports` is the constructor, which
// @types/rocksdb declares as the default export.
const rocksdb = ((rocksdbModule as { default?: unknown }).default ??
  rocksdbModule) as typeof rocksdbModule.default;

type Database = ReturnType<typeof rocksdb>;

/**
 * Open options of the RocksDB backend when `rocks_params` is empty:
 * RocksDB's 64 MiB memtable, no limit on open files, Snappy, and a LOG
 * file at info level. The baseline uses the same, so that the comparison
 * measures the backend's code and not its tuning.
 */
const BACKEND_DEFAULT_OPTIONS = {
  createIfMissing: true,
  compression: true,
  writeBufferSize: 64 * 1024 * 1024,
  maxOpenFiles: -1,
  infoLogLevel: 'info',
};

/** The name reports give the raw-binding baseline. */
export const RAW_ROCKSDB_LABEL = 'raw rocksdb';

/**
 * Opens the RocksDB baseline: the `rocksdb` binding called directly, with the
 * 16 id bytes as key, one put, get or delete per operation and one
 * iterator for a walk, opened with the backend's default options.
 */
export async function openRawRocksDbTarget(
  directory: string,
): Promise<BenchTarget & { db: Database }> {
  const db = rocksdb(directory);
  await callback((done) => db.open(BACKEND_DEFAULT_OPTIONS, done));

  return {
    label: RAW_ROCKSDB_LABEL,
    db,
    store: (id, value, sync) =>
      callback((done) => db.put(id.toBytes(), value, { sync }, done)),
    load: (id) =>
      new Promise<Buffer>((resolve, reject) => {
        db.get(id.toBytes(), { asBuffer: true }, (error, value) => {
          if (error) {
            reject(error);
          } else {
            resolve(value as Buffer);
          }
        });
      }),
    remove: (id) => callback((done) => db.del(id.toBytes(), done)),
    walk: (onEntry) => walkRocksDb(db, onEntry),
    close: () => callback((done) => db.close(done)),
  };
}

/** Iterates every key and value from the first key on. */
export async function walkRocksDb(
  db: Database,
  onEntry?: (count: number) => void,
): Promise<WalkResult> {
  const iterator = db.iterator({ keyAsBuffer: true, valueAsBuffer: true });
  const result: WalkResult = { entries: 0, bytes: 0, corrupt: 0 };
  try {
    for (;;) {
      const value = await new Promise<Buffer | undefined>((resolve, reject) => {
        iterator.next((error, key, entryValue) => {
          if (error) {
            reject(error);
          } else {
            resolve(key === undefined ? undefined : (entryValue as Buffer));
          }
        });
      });
      if (value === undefined) {
        return result;
      }
      result.entries += 1;
      result.bytes += value.length;
      onEntry?.(result.entries);
    }
  } finally {
    await callback((done) => iterator.end(done));
  }
}

/** Writes `count` entries in batches of 1,000 unsynced puts, to fill a database fast. */
export async function fillRocksDb(
  db: Database,
  ids: readonly SpoolId[],
  value: Buffer,
): Promise<void> {
  for (let start = 0; start < ids.length; start += 1000) {
    const operations = ids.slice(start, start + 1000).map((id) => ({
      type: 'put' as const,
      key: id.toBytes(),
      value,
    }));
    await callback((done) => db.batch(operations, done));
  }
}

function callback(
  start: (done: (error?: Error) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    start((error) => (error ? reject(error) : resolve()));
  });
}
