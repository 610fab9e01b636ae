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
import { sliceOf, takeTurns } from '../turns.js';
import { writeBackDirtyData } from '../write-back.js';
import { namedStep } from './named-step.js';

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
  /** Maximum event-loop delay of every round, in milliseconds, in the order the rounds ran. */
  roundsLoopDelayMaxMs: number[];
}

interface Configuration {
  kind: BackendKind;
  valueBytes: number;
  sync: boolean;
  concurrency: number;
  seconds: number;
  refillSeconds: number;
  slices: number;
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

/** One of the two targets of a round, with the entries it stored. */
interface Side {
  target: BenchTarget;
  baseline: boolean;
  /** The label its rows carry. */
  label: string;
  ids: SpoolId[];
}

/**
 * Measures store, load, remove and enumerate for each backend and its raw
 * baseline, for every selected kind, value size and concurrency, with
 * sync off and on. Sync changes
 * only stores, so load, remove and enumerate are recorded with sync off,
 * and enumerate, a single walk, only at concurrency 1. Each configuration
 * runs `settings.rounds` times. In each round the baseline and the
 * backend are open side by side and take turns in `settings.slices`
 * slices of every operation (see `takeTurns`). The side that starts
 * alternates from round to round, so drift in the machine's speed does
 * not favour either. Pushes each configuration's rows to `rows` once its
 * rounds are done, so a caller that passes its own array keeps them if a
 * later configuration throws.
 */
export async function benchOperations(
  settings: BenchSettings,
  selection: BenchSelection,
  progress: (message: string) => void,
  rows: OperationRow[] = [],
): Promise<OperationRow[]> {
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
            slices: settings.slices,
            control: selection.control,
          };
          const label = `${kind} ${valueBytes} B, sync ${sync ? 'on' : 'off'}, concurrency ${concurrency}`;
          progress(`operations: ${label}`);
          const measured: OperationRow[] = [];
          await namedStep(label, async () => {
            for (let round = 0; round < settings.rounds; round++) {
              measured.push(
                ...(await runRound(configuration, turn++ % 2 === 0)),
              );
            }
          });
          rows.push(...medianRounds(measured));
        }
      }
    }
  }
  return rows;
}

/**
 * Opens the baseline and the backend (or, with `--control`, a second
 * baseline), each on a directory of its own, and measures both.
 */
async function runRound(
  configuration: Configuration,
  baselineFirst: boolean,
): Promise<OperationRow[]> {
  const { kind, control } = configuration;
  return withScratchDir(`ops-${kind}`, async (directory) => {
    const sides: Side[] = [];
    try {
      for (const baseline of [true, false]) {
        const opener =
          baseline || control ? OPENERS[kind].baseline : OPENERS[kind].backend;
        const target = await opener(
          path.join(directory, baseline ? 'baseline' : 'backend'),
        );
        const label =
          control && !baseline ? `${target.label} (control)` : target.label;
        sides.push({ target, baseline, label, ids: [] });
      }
      const [baselineSide, backendSide] = sides as [Side, Side];
      return await measureSides(
        baselineFirst
          ? [baselineSide, backendSide]
          : [backendSide, baselineSide],
        configuration,
      );
    } finally {
      for (const side of sides) {
        await side.target.close();
      }
    }
  });
}

/** Times each operation on both sides, taking turns in slices, and returns a row per side and operation. */
async function measureSides(
  sides: [Side, Side],
  configuration: Configuration,
): Promise<OperationRow[]> {
  const rows: OperationRow[] = [];
  const record = (
    operation: Operation,
    measured: Map<Side, RunStats>,
  ): void => {
    for (const side of sides) {
      const stats = measured.get(side) as RunStats;
      rows.push({
        kind: configuration.kind,
        target: side.label,
        baseline: side.baseline,
        ...(configuration.control && !side.baseline ? { control: true } : {}),
        operation,
        valueBytes: configuration.valueBytes,
        sync: configuration.sync,
        concurrency: configuration.concurrency,
        stats,
        roundsPerSecond: [stats.perSecond],
        roundsLoopDelayMaxMs: [stats.eventLoop.maxMs],
      });
    }
  };

  const value = randomValue(configuration.valueBytes);
  record('store', await timeStores(sides, configuration, value));
  // Sync changes only stores, so the other operations run with sync off alone.
  if (configuration.sync) {
    return rows;
  }
  if (configuration.concurrency === 1) {
    record('enumerate', await timeWalks(sides, configuration));
  }
  record('load', await timeLoads(sides, configuration));
  record('remove', await timeRemoves(sides, configuration, value));
  return rows;
}

/** Gives each side an `OperationTimer`, and returns each side's totals once `work` is done. */
async function timeEach(
  sides: readonly Side[],
  work: (timers: Map<Side, OperationTimer>) => Promise<void>,
  operations: (side: Side) => number | undefined = () => undefined,
): Promise<Map<Side, RunStats>> {
  const timers = new Map(sides.map((side) => [side, new OperationTimer()]));
  await work(timers);
  return new Map(
    sides.map((side) => {
      const timer = timers.get(side) as OperationTimer;
      return [side, timer.finish(operations(side))];
    }),
  );
}

/**
 * Calls `operation(side, index)` on each side in turns of
 * `configuration.seconds / configuration.slices`, with `concurrency` in
 * flight, and returns each side's totals. `index` counts a side's calls
 * over all its turns. `operations` turns a side's call count into the
 * operations its rates count, when a call is more than one operation.
 */
function timeInTurns(
  sides: [Side, Side],
  configuration: Configuration,
  concurrency: number,
  operation: (side: Side, index: number) => Promise<unknown>,
  operations?: (side: Side, calls: number) => number,
): Promise<Map<Side, RunStats>> {
  const { seconds, slices } = configuration;
  const calls = new Map(sides.map((side) => [side, 0]));
  return timeEach(
    sides,
    (timers) =>
      takeTurns(sides, slices, async (side) => {
        const first = calls.get(side) ?? 0;
        const ran = await (timers.get(side) as OperationTimer).run(
          concurrency,
          { count: Infinity, seconds: seconds / slices },
          (i) => operation(side, first + i),
        );
        calls.set(side, first + ran);
      }),
    (side) => operations?.(side, calls.get(side) ?? 0),
  );
}

/** Stores new entries on each side for `configuration.seconds`, in turns; each side keeps its ids. */
function timeStores(
  sides: [Side, Side],
  configuration: Configuration,
  value: Buffer,
): Promise<Map<Side, RunStats>> {
  return timeInTurns(
    sides,
    configuration,
    configuration.concurrency,
    (side) => {
      const id = SpoolId.generate();
      side.ids.push(id);
      return side.target.store(id, value, configuration.sync);
    },
  );
}

/** Walks each side's whole spool again and again, in turns, until `configuration.seconds` have passed for each. */
function timeWalks(
  sides: [Side, Side],
  configuration: Configuration,
): Promise<Map<Side, RunStats>> {
  return timeInTurns(
    sides,
    configuration,
    1,
    async (side) => {
      const walk = await side.target.walk();
      assertCount(walk.entries, side.ids.length, side.label, 'enumerate');
    },
    (side, walks) => walks * side.ids.length,
  );
}

/** Loads each side's entries, cycling through them, in turns, for `configuration.seconds`. */
function timeLoads(
  sides: [Side, Side],
  configuration: Configuration,
): Promise<Map<Side, RunStats>> {
  return timeInTurns(
    sides,
    configuration,
    configuration.concurrency,
    async (side, index) => {
      const id = side.ids[index % side.ids.length] as SpoolId;
      const loaded = await side.target.load(id);
      assertCount(loaded.length, configuration.valueBytes, side.label, 'load');
    },
  );
}

/** Calls in flight while entries are stored again for removes; that part is not timed. */
const REFILL_CONCURRENCY = 64;

/**
 * Removes every stored entry on each side, a slice of the ids per turn,
 * then stores them again untimed and removes them again, until each
 * side's removes add up to `configuration.seconds` or one side's stores
 * again to `configuration.refillSeconds`. Both sides make the same
 * number of passes. The untimed stores take turns in slices like the
 * removes, and every pass starts by writing back dirty data, so that
 * neither side removes entries the kernel is still writing while the
 * other removes entries already written.
 */
function timeRemoves(
  sides: [Side, Side],
  configuration: Configuration,
  value: Buffer,
): Promise<Map<Side, RunStats>> {
  const { concurrency, seconds, refillSeconds, slices } = configuration;
  const refilled = new Map(sides.map((side) => [side, 0]));
  return timeEach(sides, async (timers) => {
    for (;;) {
      await writeBackDirtyData();
      await takeTurns(sides, slices, async (side, slice) => {
        const ids = sliceOf(side.ids, slice, slices);
        await (timers.get(side) as OperationTimer).run(
          concurrency,
          { count: ids.length },
          (i) => side.target.remove(ids[i] as SpoolId),
        );
      });
      const timedEnough = sides.every(
        (side) => (timers.get(side) as OperationTimer).seconds >= seconds,
      );
      const refillSpent = sides.some(
        (side) => (refilled.get(side) ?? 0) >= refillSeconds,
      );
      if (timedEnough || refillSpent) {
        return;
      }
      await takeTurns(sides, slices, async (side, slice) => {
        const ids = sliceOf(side.ids, slice, slices);
        const started = performance.now();
        const refill = new OperationTimer();
        await refill.run(REFILL_CONCURRENCY, { count: ids.length }, (i) =>
          side.target.store(ids[i] as SpoolId, value, false),
        );
        refill.finish();
        refilled.set(
          side,
          (refilled.get(side) ?? 0) + (performance.now() - started) / 1000,
        );
      });
    }
  });
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
      roundsLoopDelayMaxMs: ofTarget.map((row) => row.stats.eventLoop.maxMs),
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
