import path from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { type RunStats, timeOperations, timeWork } from '../measure.js';
import { randomValue, withScratchDir } from '../scratch.js';
import {
  type BenchSettings,
  CONCURRENCIES,
  SYNC_MODES,
  VALUE_SIZES,
} from '../settings.js';
import { openRawFsTarget } from '../targets/raw-fs.js';
import { openRawRocksDbTarget } from '../targets/raw-rocksdb.js';
import { openSpoolTarget } from '../targets/spool-target.js';
import type { BenchTarget } from '../targets/types.js';

export type BackendKind = 'LocalDisk' | 'RocksDB';
export type Operation = 'store' | 'load' | 'remove' | 'enumerate';

/** One measured operation of one target under one configuration. */
export interface OperationRow {
  kind: BackendKind;
  /** The backend, or its raw baseline (`raw fs`, `raw rocksdb`). */
  target: string;
  baseline: boolean;
  operation: Operation;
  valueBytes: number;
  sync: boolean;
  concurrency: number;
  /** The best round: the one with the highest throughput. */
  stats: RunStats;
  /** Throughput of every round, in operations per second. */
  roundsPerSecond: number[];
}

interface Configuration {
  kind: BackendKind;
  valueBytes: number;
  sync: boolean;
  concurrency: number;
  count: number;
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
 * baseline, for every value size, sync mode and concurrency. Sync changes
 * only stores, so load, remove and enumerate are recorded with sync off,
 * and enumerate, a single walk, only at concurrency 1. The baseline and
 * the backend take turns going first, so drift in the machine's speed
 * does not favour either, and each configuration runs `settings.rounds`
 * times.
 */
export async function benchOperations(
  settings: BenchSettings,
  progress: (message: string) => void,
): Promise<OperationRow[]> {
  const rows: OperationRow[] = [];
  let turn = 0;
  for (const kind of ['LocalDisk', 'RocksDB'] as const) {
    for (const valueBytes of VALUE_SIZES) {
      for (const sync of SYNC_MODES) {
        for (const concurrency of CONCURRENCIES) {
          const configuration: Configuration = {
            kind,
            valueBytes,
            sync,
            concurrency,
            count: settings.operations(valueBytes, sync),
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
          rows.push(...bestRounds(measured));
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
  const { kind, valueBytes, sync, concurrency, count } = configuration;
  const opener = baseline ? OPENERS[kind].baseline : OPENERS[kind].backend;
  return withScratchDir(`ops-${kind}`, async (directory) => {
    const target = await opener(path.join(directory, 'spool'));
    const rows: OperationRow[] = [];
    const record = (operation: Operation, stats: RunStats): void => {
      rows.push({
        kind,
        target: target.label,
        baseline,
        operation,
        valueBytes,
        sync,
        concurrency,
        stats,
        roundsPerSecond: [stats.perSecond],
      });
    };

    try {
      const ids = Array.from({ length: count }, () => SpoolId.generate());
      const value = randomValue(valueBytes);
      record(
        'store',
        await timeOperations(count, concurrency, (i) =>
          target.store(ids[i] as SpoolId, value, sync),
        ),
      );
      if (!sync && concurrency === 1) {
        const { result, stats } = await timeWork(
          (walk) => walk.entries,
          () => target.walk(),
        );
        assertCount(result.entries, count, target.label, 'enumerate');
        record('enumerate', stats);
      }
      const loads = await timeOperations(count, concurrency, async (i) => {
        const loaded = await target.load(ids[i] as SpoolId);
        assertCount(loaded.length, valueBytes, target.label, 'load');
      });
      const removes = await timeOperations(count, concurrency, (i) =>
        target.remove(ids[i] as SpoolId),
      );
      if (!sync) {
        record('load', loads);
        record('remove', removes);
      }
    } finally {
      await target.close();
    }
    return rows;
  });
}

/** Keeps the fastest round of each target and operation, listing every round's rate. */
function bestRounds(rows: readonly OperationRow[]): OperationRow[] {
  const best = new Map<string, OperationRow>();
  for (const row of rows) {
    const key = `${row.target}/${row.operation}`;
    const current = best.get(key);
    if (current === undefined) {
      best.set(key, { ...row, roundsPerSecond: [row.stats.perSecond] });
      continue;
    }
    const roundsPerSecond = [...current.roundsPerSecond, row.stats.perSecond];
    const winner =
      row.stats.perSecond > current.stats.perSecond ? row : current;
    best.set(key, { ...winner, roundsPerSecond });
  }
  return [...best.values()];
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
