import type { RocksStorage } from './storage.js';

/**
 * RocksDB gauges, as KumoMTA exports them per spool (`rocks_spool_*`).
 * Sizes are bytes; a property RocksDB does not report reads as 0.
 */
export interface RocksMetrics {
  /** `rocksdb.size-all-mem-tables`: active, unflushed and pinned memtables. */
  memTableTotal: number;
  /** `rocksdb.cur-size-all-mem-tables`: active and unflushed memtables. */
  memTableUnflushed: number;
  /** `rocksdb.estimate-table-readers-mem`: index and filter blocks outside the cache. */
  memTableReadersTotal: number;
  /** `rocksdb.block-cache-usage`. */
  cacheTotal: number;
  /** `rocksdb.background-errors`, counted since the database opened. */
  backgroundErrors: number;
  /** `rocksdb.is-write-stopped`: 1 while RocksDB stops writes. */
  writeStopped: number;
  /** `rocksdb.num-running-compactions`. */
  numRunningCompactions: number;
  /** `rocksdb.compaction-pending`: 1 when a compaction is due. */
  compactionPending: number;
  /** `rocksdb.estimate-pending-compaction-bytes`. */
  estimatePendingCompactionBytes: number;
  /** `rocksdb.actual-delayed-write-rate` in bytes per second, 0 when writes are not delayed. */
  actualDelayedWriteRate: number;
  /** 1 while the health latch rejects stores and removes. */
  loadShedActive: number;
}

/** Reads a numeric RocksDB property; an unknown or empty property is 0. */
export function readNumberProperty(
  storage: RocksStorage,
  name: string,
): number {
  const value = Number(storage.getProperty(name));
  return Number.isFinite(value) ? value : 0;
}

/** Reads every gauge. */
export function readMetrics(
  storage: RocksStorage,
  latched: boolean,
): RocksMetrics {
  const read = (name: string) => readNumberProperty(storage, `rocksdb.${name}`);
  return {
    memTableTotal: read('size-all-mem-tables'),
    memTableUnflushed: read('cur-size-all-mem-tables'),
    memTableReadersTotal: read('estimate-table-readers-mem'),
    cacheTotal: read('block-cache-usage'),
    backgroundErrors: read('background-errors'),
    writeStopped: read('is-write-stopped'),
    numRunningCompactions: read('num-running-compactions'),
    compactionPending: read('compaction-pending'),
    estimatePendingCompactionBytes: read('estimate-pending-compaction-bytes'),
    actualDelayedWriteRate: read('actual-delayed-write-rate'),
    loadShedActive: latched ? 1 : 0,
  };
}

/** Bytes held by memtables, table readers and the block cache. */
export function memoryInUse(storage: RocksStorage): number {
  const metrics = readMetrics(storage, false);
  return (
    metrics.memTableTotal + metrics.memTableReadersTotal + metrics.cacheTotal
  );
}

/**
 * Whether RocksDB would stall a write now: writes are stopped, or delayed
 * to a reduced rate. The binding has no `no_slowdown` write option, so the
 * spool's write gate reads these properties instead, at most once per
 * millisecond while writes run.
 */
export function isWriteStalled(storage: RocksStorage): boolean {
  return (
    readNumberProperty(storage, 'rocksdb.is-write-stopped') > 0 ||
    readNumberProperty(storage, 'rocksdb.actual-delayed-write-rate') > 0
  );
}
