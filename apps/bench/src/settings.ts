/** Value sizes every operation runs with, in bytes. */
export const VALUE_SIZES = [1024, 16 * 1024, 256 * 1024] as const;
export const CONCURRENCIES = [1, 64] as const;
export const SYNC_MODES = [false, true] as const;

/** How much work each section does; `full` and `smoke` below are the two presets. */
export interface BenchSettings {
  /** Operations per run for a value size, with sync off and on. */
  operations(size: number, sync: boolean): number;
  /** Messages per lifecycle run. */
  lifecycleMessages(size: number): number;
  /** Entries in the large enumeration, per backend kind. */
  enumerationEntries: { LocalDisk: number; RocksDB: number };
  /** Value size of the large enumeration's entries, in bytes. */
  enumerationValueBytes: number;
  /** Warm policy evaluations after the cold one. */
  policyRuns: number;
  /**
   * Rounds of the operations section; each row keeps its best round, so a
   * burst of other load on the machine does not decide a comparison.
   */
  rounds: number;
}

/** The full benchmark, sized to finish in minutes on a 2-core VM. */
export const FULL: BenchSettings = {
  operations: (size, sync) => {
    if (size >= 256 * 1024) {
      return sync ? 200 : 500;
    }
    if (size >= 16 * 1024) {
      return sync ? 1000 : 3000;
    }
    return sync ? 1000 : 5000;
  },
  lifecycleMessages: (size) => (size >= 256 * 1024 ? 500 : 3000),
  enumerationEntries: { LocalDisk: 1_000_000, RocksDB: 1_000_000 },
  enumerationValueBytes: 256,
  policyRuns: 50,
  rounds: 2,
};

/** A tiny run of every section, to keep the benchmark working in CI. */
export const SMOKE: BenchSettings = {
  operations: (size, sync) => (sync || size >= 256 * 1024 ? 20 : 100),
  lifecycleMessages: () => 100,
  enumerationEntries: { LocalDisk: 10_000, RocksDB: 10_000 },
  enumerationValueBytes: 256,
  policyRuns: 5,
  rounds: 1,
};
