import path from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { OperationTimer, type RunStats } from '../measure.js';
import { randomValue, withScratchDir } from '../scratch.js';
import {
  type BackendKind,
  type BenchSelection,
  type BenchSettings,
  SYNC_MODES,
} from '../settings.js';
import { openRawFsTarget } from '../targets/raw-fs.js';
import { openRawRocksDbTarget } from '../targets/raw-rocksdb.js';
import { openSpoolTarget } from '../targets/spool-target.js';
import type { BenchTarget } from '../targets/types.js';

export type { BackendKind };
export type Operation = 'store' | 'load' | 'remove' | 'enumerate';

/** One measured operation of one target under one configuration. */
export interface OperationRow {
  kind: BackendKind;
  /** The backend, or its raw baseline (`raw fs`, `raw rocksdb`). */
  target: string;
  baseline: boolean;
  /**
   * Set on the rows that ran the raw baseline in the backend's place
   * (`--control`). Their `target` is the baseline's label with
   * ` (control)` after it.
   */
  control?: boolean;
  operation: Operation;
  valueBytes: number;
  sync: boolean;
  concurrency: number;
  /** The median round by throughput; the lower middle one for an even count. */
  stats: RunStats;
  /** Throughput of every round in the order they ran, in operations per second. */
  roundsPerSecond: number[];
}

interface Configuration {
  kind: BackendKind;
  valueBytes: number;
  sync: boolean;
  concurrency: number;
  seconds: number;
  refillSeconds: number;
  control: boolean;
}

const OPENERS: Record<
  BackendKind,
  {
    backend: (dir: string) => Promise<BenchTarget>;
    baseline: (dir: string) => Promise<BenchTarget>;
  }
> = {
  LocalDisk: {
    backend: (dir) => openSpoolTarget('LocalDisk', dir),
    baseline: (dir) => openRawFsTarget(dir),
  },
  RocksDB: {
    backend: (dir) => openSpoolTarget('RocksDB', dir),
    baseline: (dir) => openRawRocksDbTarget(dir),
  },
};

/**
 * Measures store, load, remove and enumerate for each backend and its raw
 * baseline, for every selected kind, value size and concurrency, with
 * sync off and on. Sync changes
 * only stores, so load, remove and enumerate are recorded with sync off,
 * and enumerate, a single walk, only at concurrency 1. Each configuration
 * runs `settings.rounds` times, and in each round the baseline and the
 * backend run back to back, taking turns going first, so drift in the
 * machine's speed does not favour either.
 */
export async function benchOperations(
  settings: BenchSettings,
  selection: BenchSelection,
  progress: (message: string) => void,
): Promise<OperationRow[]> {
  const rows: OperationRow[] = [];
  let turn = 0;
  for (const kind of selection.kinds) {
    for (const valueBytes of selection.valueSizes) {
      for (const sync of SYNC_MODES) {
        for (const concurrency of selection.concurrencies) {
          const configuration: Configuration = {
            kind,
            valueBytes,
            sync,
            concurrency,
            seconds: settings.operationSeconds,
            refillSeconds: settings.refillSeconds,
            control: selection.control,
          };
          progress(
            `operations: ${kind} ${valueBytes} B, sync ${sync ? 'on' : 'off'}, concurrency ${concurrency}`,
          );
          const measured: OperationRow[] = [];
          for (let round = 0; round < settings.rounds; round++) {
            const order = turn++ % 2 === 0 ? [true, false] : [false, true];
            for (const baseline of order) {
              measured.push(
                ...(await runConfiguration(configuration, baseline)),
              );
            }
          }
          rows.push(...medianRounds(measured));
        }
      }
    }
  }
  return rows;
}

async function runConfiguration(
  configuration: Configuration,
  baseline: boolean,
): Promise<OperationRow[]> {
  const { kind, valueBytes, sync, concurrency } = configuration;
  const control = configuration.control && !baseline;
  const opener =
    baseline || control ? OPENERS[kind].baseline : OPENERS[kind].backend;
  return withScratchDir(`ops-${kind}`, async (directory) => {
    const target = await opener(path.join(directory, 'spool'));
    const rows: OperationRow[] = [];
    const record = (operation: Operation, stats: RunStats): void => {
      rows.push({
        kind,
        target: control ? `${target.label} (control)` : target.label,
        baseline,
        ...(control ? { control } : {}),
        operation,
        valueBytes,
        sync,
        concurrency,
        stats,
        roundsPerSecond: [stats.perSecond],
      });
    };

    try {
      const value = randomValue(valueBytes);
      const { ids, stats } = await timeStores(target, configuration, value);
      record('store', stats);
      // Sync changes only stores, so the other operations run with sync off alone.
      if (sync) {
        return rows;
      }
      if (concurrency === 1) {
        record('enumerate', await timeWalks(target, ids.length, configuration));
      }
      record('load', await timeLoads(target, ids, configuration));
      record('remove', await timeRemoves(target, ids, configuration, value));
    } finally {
      await target.close();
    }
    return rows;
  });
}

/** Stores new entries for `configuration.seconds`; returns their ids. */
async function timeStores(
  target: BenchTarget,
  configuration: Configuration,
  value: Buffer,
): Promise<{ ids: SpoolId[]; stats: RunStats }> {
  const ids: SpoolId[] = [];
  const timer = new OperationTimer();
  await timer.run(
    configuration.concurrency,
    { count: Infinity, seconds: configuration.seconds },
    (i) => {
      const id = SpoolId.generate();
      ids[i] = id;
      return target.store(id, value, configuration.sync);
    },
  );
  return { ids, stats: timer.finish() };
}

/** Walks the whole spool again and again until `configuration.seconds` have passed. */
async function timeWalks(
  target: BenchTarget,
  expected: number,
  configuration: Configuration,
): Promise<RunStats> {
  const timer = new OperationTimer();
  const walks = await timer.run(
    1,
    { count: Infinity, seconds: configuration.seconds },
    async () => {
      const walk = await target.walk();
      assertCount(walk.entries, expected, target.label, 'enumerate');
    },
  );
  return timer.finish(walks * expected);
}

/** Loads the stored entries, cycling through them, for `configuration.seconds`. */
async function timeLoads(
  target: BenchTarget,
  ids: readonly SpoolId[],
  configuration: Configuration,
): Promise<RunStats> {
  const timer = new OperationTimer();
  await timer.run(
    configuration.concurrency,
    { count: Infinity, seconds: configuration.seconds },
    async (i) => {
      const loaded = await target.load(ids[i % ids.length] as SpoolId);
      assertCount(
        loaded.length,
        configuration.valueBytes,
        target.label,
        'load',
      );
    },
  );
  return timer.finish();
}

/** Calls in flight while entries are stored again for removes; that part is not timed. */
const REFILL_CONCURRENCY = 64;

/**
 * Removes every stored entry, then stores them again untimed and removes
 * them again until the removes add up to `configuration.seconds` or the
 * stores again to `configuration.refillSeconds`.
 */
async function timeRemoves(
  target: BenchTarget,
  ids: readonly SpoolId[],
  configuration: Configuration,
  value: Buffer,
): Promise<RunStats> {
  const timer = new OperationTimer();
  const count = ids.length;
  let refillSeconds = 0;
  for (;;) {
    await timer.run(configuration.concurrency, { count }, (i) =>
      target.remove(ids[i] as SpoolId),
    );
    if (
      timer.seconds >= configuration.seconds ||
      refillSeconds >= configuration.refillSeconds
    ) {
      return timer.finish();
    }
    const started = performance.now();
    const refill = new OperationTimer();
    await refill.run(REFILL_CONCURRENCY, { count }, (i) =>
      target.store(ids[i] as SpoolId, value, false),
    );
    refill.finish();
    refillSeconds += (performance.now() - started) / 1000;
  }
}

/**
 * Merges the rounds of each target and operation into one row: its stats
 * are the median round's by throughput, and it lists every round's rate
 * in the order they ran, so a ratio can be taken round by round.
 */
function medianRounds(rows: readonly OperationRow[]): OperationRow[] {
  const rounds = new Map<string, OperationRow[]>();
  for (const row of rows) {
    // `baseline` too: in a control run both sides name the same target.
    const key = `${row.baseline}/${row.target}/${row.operation}`;
    rounds.set(key, [...(rounds.get(key) ?? []), row]);
  }
  return [...rounds.values()].map((ofTarget) => {
    const byRate = [...ofTarget].sort(
      (a, b) => a.stats.perSecond - b.stats.perSecond,
    );
    const median = byRate[Math.floor((byRate.length - 1) / 2)] as OperationRow;
    return {
      ...median,
      roundsPerSecond: ofTarget.map((row) => row.stats.perSecond),
    };
  });
}

function assertCount(
  actual: number,
  expected: number,
  target: string,
  operation: string,
): void {
  if (actual !== expected) {
    throw new Error(
      `${target} ${operation} returned ${actual} where ${expected} was expected; the benchmark result would be meaningless`,
    );
  }
}
