import type { EnumerationRow } from '../sections/enumeration.js';
import type { LifecycleRow } from '../sections/lifecycle.js';
import type { OperationRow } from '../sections/operations.js';
import type { PolicyResult } from '../sections/policy.js';

/** One side's rates against another's, round by round. */
export interface RoundComparison {
  /**
   * Median over the rounds of one side's throughput divided by the
   * other's in the same round; the mean of the middle two for an even
   * count.
   */
  ratio: number;
  /** Highest ratio of a single round. */
  bestRatio: number;
  /** Lowest ratio of a single round. */
  worstRatio: number;
  /** Rounds compared. */
  rounds: number;
}

/** A backend row beside its raw baseline's row under the same configuration. */
export interface RowPair<Row> extends RoundComparison {
  backend: Row;
  baseline: Row;
}

/** A backend operation beside its raw baseline under the same configuration. */
export type OperationPair = RowPair<OperationRow>;

/** A backend's lifecycle beside its raw baseline's under the same configuration. */
export type LifecyclePair = RowPair<LifecycleRow>;

/** One target checked against this run's measurements. */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
  /**
   * The number `met` was decided on, in `unit`: the lowest ratio of a
   * kind's operations, the lifecycle's median multiple, an enumeration's
   * RSS growth, the worst event-loop delay or the warm policy median.
   */
  value: number;
  /** The target's bound, in `unit`. */
  limit: number;
  /** Whether `value` must reach `limit` (`min`) or stay below it (`max`). */
  bound: 'min' | 'max';
  unit: 'ratio' | 'bytes' | 'ms';
  /**
   * Set on the checks of a control run (`--control`). They measure the
   * machine, not a backend, so they have no target to meet, and `met`
   * only reports whether the control rows stayed at 0.9 or more.
   */
  control?: boolean;
}

/** Minimum backend throughput as a fraction of its raw baseline. */
export const MIN_BASELINE_RATIO = 0.9;
/** Minimum RocksDB lifecycle rate as a multiple of LocalDisk's, at 16 KiB. */
export const MIN_LIFECYCLE_SPEEDUP = 4;
/** The enumeration's RSS growth limit: 100 MB, in decimal megabytes. */
export const MAX_ENUMERATION_GROWTH_BYTES = 100 * 1000 * 1000;
export const MAX_EVENT_LOOP_DELAY_MS = 50;
export const MAX_WARM_POLICY_MS = 10;

/**
 * Formats a ratio rounded down to two decimals, so that a ratio shown as
 * 0.90 has met a 0.9 target (0.899 shows as 0.89, not 0.90).
 */
export function formatRatio(ratio: number): string {
  // Compared as numbers, not floored from ratio * 100, which turns 0.29 into 28.999….
  const nearest = Number(ratio.toFixed(2));
  return (nearest > ratio ? nearest - 0.01 : nearest).toFixed(2);
}

/** Matches each backend row with the baseline row of the same configuration. */
export function pairOperations(rows: readonly OperationRow[]): OperationPair[] {
  const key = (row: OperationRow): string =>
    [row.kind, row.operation, row.valueBytes, row.sync, row.concurrency].join(
      '/',
    );
  const baselines = new Map(
    rows.filter((row) => row.baseline).map((row) => [key(row), row]),
  );
  const pairs: OperationPair[] = [];
  for (const backend of rows.filter((row) => !row.baseline)) {
    const baseline = baselines.get(key(backend));
    if (baseline !== undefined) {
      pairs.push({
        backend,
        baseline,
        ...compareRounds(backend.roundsPerSecond, baseline.roundsPerSecond),
      });
    }
  }
  return pairs;
}

/** Matches each backend lifecycle row with its baseline's row of the same configuration. */
export function pairLifecycle(rows: readonly LifecycleRow[]): LifecyclePair[] {
  const pairs: LifecyclePair[] = [];
  for (const backend of rows.filter((row) => !row.baseline)) {
    const baseline = rows.find(
      (row) =>
        row.baseline &&
        row.kind === backend.kind &&
        row.valueBytes === backend.valueBytes &&
        row.concurrency === backend.concurrency,
    );
    if (baseline !== undefined) {
      pairs.push({
        backend,
        baseline,
        ...compareRounds(backend.roundsPerSecond, baseline.roundsPerSecond),
      });
    }
  }
  return pairs;
}

/**
 * A backend's throughput against its raw baseline's under one
 * configuration: the ratio bench.md prints beside the two rows.
 */
export interface BaselineRatio extends RoundComparison {
  kind: string;
  /** The operation, or `lifecycle` for a whole message. */
  operation: string;
  valueBytes: number;
  /** Always false for the lifecycle, which runs with sync off. */
  sync: boolean;
  concurrency: number;
}

/** Lists every backend-to-baseline ratio of the operations and the lifecycle, for bench.json. */
export function baselineRatios(measurements: Measurements): BaselineRatio[] {
  return [
    ...pairOperations(measurements.operations ?? []).map(
      ({ backend, baseline: _baseline, ...comparison }) => ({
        kind: backend.kind,
        operation: backend.operation,
        valueBytes: backend.valueBytes,
        sync: backend.sync,
        concurrency: backend.concurrency,
        ...comparison,
      }),
    ),
    ...pairLifecycle(measurements.lifecycle ?? []).map(
      ({ backend, baseline: _baseline, ...comparison }) => ({
        kind: backend.kind,
        operation: 'lifecycle',
        valueBytes: backend.valueBytes,
        sync: false,
        concurrency: backend.concurrency,
        ...comparison,
      }),
    ),
  ];
}

/** Compares `rates` with `against` round by round. */
function compareRounds(
  rates: readonly number[],
  against: readonly number[],
): RoundComparison {
  const ratios = roundRatios(rates, against);
  return {
    ratio: median(ratios),
    bestRatio: ratios.at(-1) ?? NaN,
    worstRatio: ratios[0] ?? NaN,
    rounds: ratios.length,
  };
}

/** Divides each round's rate by the other target's rate in the same round; returns the ratios in ascending order. */
function roundRatios(
  rates: readonly number[],
  against: readonly number[],
): number[] {
  return rates
    .map((rate, round) => rate / (against[round] ?? NaN))
    .filter((ratio) => Number.isFinite(ratio))
    .sort((a, b) => a - b);
}

/** Median of numbers sorted in ascending order; NaN for none. */
function median(sorted: readonly number[]): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The measurements this run made, each section optional when it did not run. */
export interface Measurements {
  operations?: OperationRow[];
  lifecycle?: LifecycleRow[];
  enumeration?: EnumerationRow[];
  policy?: PolicyResult;
}

/** Formats `amount` with `noun`, plural unless `amount` is 1: "1 round", "5 rounds". */
export function count(amount: number, noun: string): string {
  return `${amount} ${noun}${amount === 1 ? '' : 's'}`;
}

/** Checks every target that the sections that ran can decide. */
export function checkTargets(measurements: Measurements): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const pairs = pairOperations(measurements.operations ?? []);
  for (const kind of ['LocalDisk', 'RocksDB']) {
    const ofKind = pairs.filter((pair) => pair.backend.kind === kind);
    if (ofKind.length === 0) {
      continue;
    }
    const met = ofKind.filter(
      (pair) => pair.ratio >= MIN_BASELINE_RATIO,
    ).length;
    const worst = Math.min(...ofKind.map((pair) => pair.ratio));
    const control = ofKind.some((pair) => pair.backend.control === true);
    checks.push({
      target: control
        ? `control, ${kind}'s raw baseline against itself: rows at ${MIN_BASELINE_RATIO}x or more`
        : `${kind}: every operation >= ${MIN_BASELINE_RATIO}x its raw baseline`,
      measured: `${met} of ${ofKind.length} ${control ? `at ${MIN_BASELINE_RATIO}x or more` : 'met'} (median of rounds); lowest ${formatRatio(worst)}x`,
      met: met === ofKind.length,
      value: worst,
      limit: MIN_BASELINE_RATIO,
      bound: 'min',
      unit: 'ratio',
      ...(control ? { control } : {}),
    });
  }

  checks.push(...checkLifecycle(measurements.lifecycle ?? []));

  for (const row of (measurements.enumeration ?? []).filter(
    (entry) => !entry.baseline,
  )) {
    checks.push({
      target: `${row.kind} enumeration of ${row.entries} entries grows RSS < 100 MB`,
      measured: `${(row.rssGrowthBytes / 1024 / 1024).toFixed(1)} MiB`,
      met: row.rssGrowthBytes < MAX_ENUMERATION_GROWTH_BYTES,
      value: row.rssGrowthBytes,
      limit: MAX_ENUMERATION_GROWTH_BYTES,
      bound: 'max',
      unit: 'bytes',
    });
  }

  checks.push(...checkEventLoop(measurements));

  if (measurements.policy !== undefined) {
    const policy = measurements.policy;
    checks.push({
      target: `warm evaluation of the ${policy.lines}-line policy < ${MAX_WARM_POLICY_MS} ms (median)`,
      measured: `${policy.warmMedianMs.toFixed(2)} ms (p99 ${policy.warmP99Ms.toFixed(2)} ms)`,
      met: policy.warmMedianMs < MAX_WARM_POLICY_MS,
      value: policy.warmMedianMs,
      limit: MAX_WARM_POLICY_MS,
      bound: 'max',
      unit: 'ms',
    });
  }
  return checks;
}

/**
 * Checks the RocksDB lifecycle against LocalDisk's at 16 KiB, with one
 * and with 64 messages in flight. The measured text adds the raw
 * binding's own lifecycle against LocalDisk's, which shows how far any
 * code built on the binding and this storage could get.
 */
function checkLifecycle(lifecycle: readonly LifecycleRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const concurrency of [1, 64]) {
    const row = (kind: string, baseline: boolean): LifecycleRow | undefined =>
      lifecycle.find(
        (candidate) =>
          candidate.kind === kind &&
          candidate.baseline === baseline &&
          candidate.valueBytes === 16 * 1024 &&
          candidate.concurrency === concurrency,
      );
    const rocks = row('RocksDB', false);
    const local = row('LocalDisk', false);
    if (rocks === undefined || local === undefined) {
      continue;
    }
    const speedup = compareRounds(rocks.roundsPerSecond, local.roundsPerSecond);
    const binding = row('RocksDB', true);
    const bindingNote =
      binding === undefined
        ? ''
        : `; the raw binding's own lifecycle ${formatRatio(compareRounds(binding.roundsPerSecond, local.roundsPerSecond).ratio)}x LocalDisk's`;
    checks.push({
      target: `RocksDB lifecycle >= ${MIN_LIFECYCLE_SPEEDUP}x LocalDisk at 16 KiB, concurrency ${concurrency}`,
      measured: `${formatRatio(speedup.ratio)}x, median of ${count(speedup.rounds, 'round')} (best ${formatRatio(speedup.bestRatio)}x, worst ${formatRatio(speedup.worstRatio)}x; each kind's median round ${Math.round(rocks.stats.perSecond)} vs ${Math.round(local.stats.perSecond)} msg/s)${bindingNote}`,
      met: speedup.ratio >= MIN_LIFECYCLE_SPEEDUP,
      value: speedup.ratio,
      limit: MIN_LIFECYCLE_SPEEDUP,
      bound: 'min',
      unit: 'ratio',
    });
  }
  return checks;
}

/** Checks the worst event-loop delay per backend kind, over every round of every backend run. */
function checkEventLoop(measurements: Measurements): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const kind of ['LocalDisk', 'RocksDB']) {
    const delays = [
      ...(measurements.operations ?? [])
        .filter(
          (row) => !row.baseline && row.control !== true && row.kind === kind,
        )
        .flatMap((row) => row.roundsLoopDelayMaxMs),
      ...(measurements.lifecycle ?? [])
        .filter((row) => !row.baseline && row.kind === kind)
        .flatMap((row) => row.roundsLoopDelayMaxMs),
      ...(measurements.enumeration ?? [])
        .filter((row) => !row.baseline && row.kind === kind)
        .map((row) => row.stats.eventLoop.maxMs),
    ];
    if (delays.length === 0) {
      continue;
    }
    const worst = Math.max(...delays);
    checks.push({
      target: `${kind}: event-loop delay max < ${MAX_EVENT_LOOP_DELAY_MS} ms in every run`,
      measured: `worst ${worst.toFixed(1)} ms over ${count(delays.length, 'run')}`,
      met: worst < MAX_EVENT_LOOP_DELAY_MS,
      value: worst,
      limit: MAX_EVENT_LOOP_DELAY_MS,
      bound: 'max',
      unit: 'ms',
    });
  }
  return checks;
}
