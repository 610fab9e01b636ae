import path from 'node:path';
import { type SpoolId, SpoolRegistry } from '@spoolkit/core';
import type { BackendKind } from '../settings.js';
import { openRawFsTarget, RAW_FS_LABEL } from '../targets/raw-fs.js';
import {
  openRawRocksDbTarget,
  RAW_ROCKSDB_LABEL,
} from '../targets/raw-rocksdb.js';
import type { BenchTarget } from '../targets/types.js';

/** The calls of one store that a message lifecycle makes, all with sync off. */
export interface LifecycleStore {
  store(id: SpoolId, value: Buffer): Promise<void>;
  load(id: SpoolId): Promise<Buffer>;
  remove(id: SpoolId): Promise<void>;
}

/** The `data` and `meta` stores of one lifecycle run. */
export interface LifecycleStores {
  data: LifecycleStore;
  meta: LifecycleStore;
  close(): Promise<void>;
}

/** The name a lifecycle row gives the baseline of each kind. */
export const LIFECYCLE_BASELINE_LABELS: Record<BackendKind, string> = {
  LocalDisk: RAW_FS_LABEL,
  RocksDB: RAW_ROCKSDB_LABEL,
};

/**
 * Opens a `data` and a `meta` spool of `kind` under `directory` through
 * the core registry, as a policy's two `define_spool` calls would. The
 * lifecycle calls the spools themselves, with no adapter between.
 */
export async function openSpoolPair(
  kind: BackendKind,
  directory: string,
): Promise<LifecycleStores> {
  const registry = new SpoolRegistry();
  try {
    for (const name of ['data', 'meta']) {
      await registry.define({ name, path: path.join(directory, name), kind });
    }
    return {
      data: await registry.open('data'),
      meta: await registry.open('meta'),
      close: () => registry.closeAll(),
    };
  } catch (error) {
    await registry.closeAll();
    throw error;
  }
}

/**
 * Opens the raw baseline of `kind` twice under `directory`, as `data` and
 * `meta`: plain `fs` on LocalDisk's layout, or the `rocksdb` binding with
 * the backend's default options. These are the targets the operations
 * section measures the backends against, so the lifecycle of the
 * baseline shows what the storage and the binding allow per message.
 */
export async function openBaselinePair(
  kind: BackendKind,
  directory: string,
): Promise<LifecycleStores> {
  const open = kind === 'LocalDisk' ? openRawFsTarget : openRawRocksDbTarget;
  const data = await open(path.join(directory, 'data'));
  let meta: BenchTarget;
  try {
    meta = await open(path.join(directory, 'meta'));
  } catch (error) {
    await data.close();
    throw error;
  }
  return {
    data: unsynced(data),
    meta: unsynced(meta),
    close: async () => {
      await Promise.all([data.close(), meta.close()]);
    },
  };
}

function unsynced(target: BenchTarget): LifecycleStore {
  return {
    store: (id, value) => target.store(id, value, false),
    load: (id) => target.load(id),
    remove: (id) => target.remove(id),
  };
}
