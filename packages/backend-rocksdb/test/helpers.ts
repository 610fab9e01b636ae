import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  openRocksDbSpool,
  type RocksDbSpool,
  type RocksDbSpoolOptions,
} from '../src/index.js';
import { BindingStorage } from '../src/storage.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** Makes a temp directory that is removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spoolkit-rocks-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a spool in `path` (a new temp directory by default) that is closed after the test. */
export async function openTestSpool(
  options: Partial<RocksDbSpoolOptions> = {},
): Promise<RocksDbSpool> {
  const path = options.path ?? join(await tempDir(), 'spool');
  const spool = await openRocksDbSpool({ name: 'data', path, ...options });
  cleanups.push(() => spool.close());
  return spool;
}

/**
 * Storage that reports `rocksdb.is-write-stopped` as 1 while `stalled` is
 * set: the one storage status tests inject to force a write stall, which
 * real RocksDB only reaches under heavy, timing-dependent load.
 */
export class StallableStorage extends BindingStorage {
  stalled = false;

  override getProperty(name: string): string {
    if (this.stalled && name === 'rocksdb.is-write-stopped') {
      return '1';
    }
    return super.getProperty(name);
  }
}

/** Opens a spool on `StallableStorage`; returns both. */
export async function openStallableSpool(
  options: Partial<RocksDbSpoolOptions> = {},
): Promise<{ spool: RocksDbSpool; storage: StallableStorage }> {
  let storage: StallableStorage | undefined;
  const spool = await openTestSpool({
    ...options,
    createStorage: (location) => {
      storage = new StallableStorage(location);
      return storage;
    },
  });
  return { spool, storage: storage as StallableStorage };
}

/** Resolves to the rejection of `promise`; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<{
  code?: string;
  message: string;
  spool?: string;
  path?: string;
  id?: string;
}> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the promise to reject, but it resolved');
}
