/** The backend kinds the benchmark compares with their raw baselines. */
export const BACKEND_KINDS = ['LocalDisk', 'RocksDB'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** Value sizes every operation runs with by default, in bytes. */
export const VALUE_SIZES = [1024, 16 * 1024, 256 * 1024] as const;
/** Calls in flight that every operation runs with by default. */
export const CONCURRENCIES = [1, 64] as const;
export const SYNC_MODES = [false, true] as const;

/**
 * The configurations the operations and lifecycle sections run. The
 * defaults cover every one, and narrowing them reproduces a few rows of
 * the table in a fraction of the time.
 */
export interface BenchSelection {
  kinds: readonly BackendKind[];
  /** In bytes. */
  valueSizes: readonly number[];
  concurrencies: readonly number[];
  /**
   * Runs the raw baseline a second time in the backend's place in the
   * operations section, each copy on its own directory or database. Every
   * ratio then compares two identical targets and shows how far the
   * machine alone moves a ratio in this run. The lifecycle ignores it.
   */
  control: boolean;
}

/** Every configuration. */
export const EVERY_CONFIGURATION: BenchSelection = {
  kinds: BACKEND_KINDS,
  valueSizes: VALUE_SIZES,
  concurrencies: CONCURRENCIES,
  control: false,
};

/** How much work each section does; `full` and `smoke` below are the two presets. */
export interface BenchSettings {
  /**
   * Time each operation run and each lifecycle run lasts, in seconds:
   * stores, loads and lifecycles start no new call after it, and
   * enumeration walks the spool again until it has passed.
   */
  operationSeconds: number;
  /**
   * Most time spent storing entries again so that removes can go on until
   * `operationSeconds`, in seconds per run. Removes are often much faster
   * than the stores that feed them, so this caps what a run can cost, and
   * a remove run can end up shorter than `operationSeconds`.
   */
  refillSeconds: number;
  /** Entries in the large enumeration, per backend kind. */
  enumerationEntries: { LocalDisk: number; RocksDB: number };
  /** Value size of the large enumeration's entries, in bytes. */
  enumerationValueBytes: number;
  /** Warm policy evaluations after the cold one. */
  policyRuns: number;
  /**
   * Rounds of the operations and lifecycle sections. In each round of the
   * operations, the backend and its baseline take turns (see `slices`),
   * and the side that starts alternates from round to round. In each
   * round of the lifecycle, LocalDisk and RocksDB run back to back,
   * taking turns going first. The report gives the median of the
   * per-round ratios, so a burst of other load on the machine does not
   * decide a comparison.
   */
  rounds: number;
  /**
   * Turns each side takes in every operation of a round. The backend and
   * its baseline are open side by side and alternate, each running for
   * `operationSeconds / slices` per turn, or one call when that takes
   * longer. A stretch of slow disk or other load then falls on both
   * instead of deciding the round. With 1, each side runs each operation
   * once.
   */
  slices: number;
}

/** The full benchmark, sized to finish in minutes on a 2-core VM. */
export const FULL: BenchSettings = {
  operationSeconds: 1,
  refillSeconds: 3,
  enumerationEntries: { LocalDisk: 1_000_000, RocksDB: 1_000_000 },
  enumerationValueBytes: 256,
  policyRuns: 50,
  rounds: 5,
  slices: 8,
};

/** A tiny run of every section, to keep the benchmark working in CI. */
export const SMOKE: BenchSettings = {
  operationSeconds: 0.03,
  refillSeconds: 0,
  enumerationEntries: { LocalDisk: 10_000, RocksDB: 10_000 },
  enumerationValueBytes: 256,
  policyRuns: 5,
  rounds: 1,
  slices: 2,
};
