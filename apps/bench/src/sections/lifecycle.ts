import { SpoolId } from '@spoolkit/core';
import { OperationTimer, type RunStats } from '../measure.js';
import { randomValue, withScratchDir } from '../scratch.js';
import type {
  BackendKind,
  BenchSelection,
  BenchSettings,
} from '../settings.js';
import {
  LIFECYCLE_BASELINE_LABELS,
  type LifecycleStores,
  openBaselinePair,
  openSpoolPair,
} from './lifecycle-stores.js';
import { namedStep } from './named-step.js';

/** Messages per second through a whole lifecycle for one kind and configuration. */
export interface LifecycleRow {
  kind: BackendKind;
  /** The backend's kind, or `raw fs` or `raw rocksdb` on a baseline's row. */
  runBy: string;
  /**
   * Whether the row is the kind's raw baseline running the same steps
   * (see `openBaselinePair`) rather than the backend.
   */
  baseline: boolean;
  valueBytes: number;
  concurrency: number;
  /**
   * The median round by throughput; `operations` counts messages and
   * `perSecond` is messages per second.
   */
  stats: RunStats;
  /** Messages per second of every round, in the order the rounds ran. */
  roundsPerSecond: number[];
  /** Maximum event-loop delay of every round, in milliseconds, in the order the rounds ran. */
  roundsLoopDelayMaxMs: number[];
}

/** An envelope of the size kumod stores in `meta` for a typical message. */
const META = Buffer.from(
  JSON.stringify({
    sender: 'bounces+8231@mail.example.com',
    recipient: 'someone@example.net',
    meta: {
      received_from: '203.0.113.7:49152',
      received_via: '10.0.0.5:25',
      reception_protocol: 'ESMTP',
      hostname: 'mx1.example.com',
      ehlo_domain: 'client.example.org',
      tenant: 'newsletters',
      campaign: 'weekly-2026-49',
      queue: 'example.net',
    },
    schedule: null,
  }),
);

/** One side of a lifecycle round: a kind's backend or its raw baseline. */
interface LifecycleSide {
  kind: BackendKind;
  baseline: boolean;
}

/**
 * Runs kumod's message lifecycle through a `data` and a `meta` store of
 * each selected kind: store the body and the envelope at once, load the
 * envelope, remove both. Each kind runs it through its backend and
 * through its raw baseline. Runs for every selected value size and
 * concurrency, with sync off, for `settings.operationSeconds` per run.
 * Each configuration runs `settings.rounds` times. In each round every
 * side runs once, back to back, and the order reverses from one round to
 * the next, so the report can compare the sides round by round.
 *
 * Pushes each configuration's rows to `rows` once its rounds are done,
 * so a caller that passes its own array keeps them if a later
 * configuration throws.
 */
export async function benchLifecycle(
  settings: BenchSettings,
  selection: BenchSelection,
  progress: (message: string) => void,
  rows: LifecycleRow[] = [],
): Promise<LifecycleRow[]> {
  const sides: LifecycleSide[] = selection.kinds.flatMap((kind) => [
    { kind, baseline: false },
    { kind, baseline: true },
  ]);
  let turn = 0;
  for (const valueBytes of selection.valueSizes) {
    for (const concurrency of selection.concurrencies) {
      const label = `${valueBytes} B, concurrency ${concurrency}`;
      progress(`lifecycle: ${label}`);
      const rounds = new Map<LifecycleSide, RunStats[]>(
        sides.map((side) => [side, []]),
      );
      for (let round = 0; round < settings.rounds; round++) {
        const order = turn++ % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          const stats = await namedStep(
            `${side.baseline ? LIFECYCLE_BASELINE_LABELS[side.kind] : side.kind} ${label}`,
            () =>
              withScratchDir(
                `lifecycle-${side.kind}${side.baseline ? '-baseline' : ''}`,
                (directory) =>
                  runLifecycle(
                    side,
                    directory,
                    settings.operationSeconds,
                    valueBytes,
                    concurrency,
                  ),
              ),
          );
          rounds.get(side)?.push(stats);
        }
      }
      for (const [side, measured] of rounds) {
        rows.push({
          kind: side.kind,
          runBy: side.baseline
            ? LIFECYCLE_BASELINE_LABELS[side.kind]
            : side.kind,
          baseline: side.baseline,
          valueBytes,
          concurrency,
          stats: medianByRate(measured),
          roundsPerSecond: measured.map((stats) => stats.perSecond),
          roundsLoopDelayMaxMs: measured.map((stats) => stats.eventLoop.maxMs),
        });
      }
    }
  }
  return rows;
}

/** Returns the median run by throughput, the lower middle one for an even count. */
function medianByRate(runs: readonly RunStats[]): RunStats {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as RunStats;
}

async function runLifecycle(
  side: LifecycleSide,
  directory: string,
  seconds: number,
  valueBytes: number,
  concurrency: number,
): Promise<RunStats> {
  const stores: LifecycleStores = side.baseline
    ? await openBaselinePair(side.kind, directory)
    : await openSpoolPair(side.kind, directory);
  try {
    const { data, meta } = stores;
    const body = randomValue(valueBytes);
    const timer = new OperationTimer();
    await timer.run(concurrency, { count: Infinity, seconds }, async () => {
      const id = SpoolId.generate();
      await Promise.all([data.store(id, body), meta.store(id, META)]);
      const envelope = await meta.load(id);
      if (envelope.length !== META.length) {
        throw new Error(
          `${side.kind}${side.baseline ? ' baseline' : ''} meta load returned ${envelope.length} bytes, expected ${META.length}`,
        );
      }
      await Promise.all([data.remove(id), meta.remove(id)]);
    });
    return timer.finish();
  } finally {
    await stores.close();
  }
}
