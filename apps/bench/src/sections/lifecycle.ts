import path from 'node:path';
import { SpoolId, SpoolRegistry } from '@spoolkit/core';
import { OperationTimer, type RunStats } from '../measure.js';
import { randomValue, withScratchDir } from '../scratch.js';
import type {
  BackendKind,
  BenchSelection,
  BenchSettings,
} from '../settings.js';

/** Messages per second through a whole lifecycle for one kind and configuration. */
export interface LifecycleRow {
  kind: BackendKind;
  valueBytes: number;
  concurrency: number;
  /**
   * The median round by throughput; `operations` counts messages and
   * `perSecond` is messages per second.
   */
  stats: RunStats;
  /** Messages per second of every round, in the order the rounds ran. */
  roundsPerSecond: number[];
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

/**
 * Runs kumod's message lifecycle through a `data` and a `meta` spool of
 * each selected kind: store the body and the envelope at once, load the
 * envelope, remove both. Runs for every selected value size and
 * concurrency, with sync off, for `settings.operationSeconds` per run.
 * Each configuration runs `settings.rounds` times, and in each round the
 * kinds run back to back, taking turns going first, so the report can
 * compare them round by round.
 */
export async function benchLifecycle(
  settings: BenchSettings,
  selection: BenchSelection,
  progress: (message: string) => void,
): Promise<LifecycleRow[]> {
  const rows: LifecycleRow[] = [];
  let turn = 0;
  for (const valueBytes of selection.valueSizes) {
    for (const concurrency of selection.concurrencies) {
      progress(`lifecycle: ${valueBytes} B, concurrency ${concurrency}`);
      const rounds = new Map<BackendKind, RunStats[]>(
        selection.kinds.map((kind) => [kind, []]),
      );
      for (let round = 0; round < settings.rounds; round++) {
        const order =
          turn++ % 2 === 0 ? selection.kinds : [...selection.kinds].reverse();
        for (const kind of order) {
          const stats = await withScratchDir(`lifecycle-${kind}`, (directory) =>
            runLifecycle(
              kind,
              directory,
              settings.operationSeconds,
              valueBytes,
              concurrency,
            ),
          );
          rounds.get(kind)?.push(stats);
        }
      }
      for (const [kind, measured] of rounds) {
        rows.push({
          kind,
          valueBytes,
          concurrency,
          stats: medianByRate(measured),
          roundsPerSecond: measured.map((stats) => stats.perSecond),
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
  kind: BackendKind,
  directory: string,
  seconds: number,
  valueBytes: number,
  concurrency: number,
): Promise<RunStats> {
  const registry = new SpoolRegistry();
  await registry.define({
    name: 'data',
    path: path.join(directory, 'data'),
    kind,
  });
  await registry.define({
    name: 'meta',
    path: path.join(directory, 'meta'),
    kind,
  });
  try {
    const data = await registry.open('data');
    const meta = await registry.open('meta');
    const body = randomValue(valueBytes);
    const timer = new OperationTimer();
    await timer.run(concurrency, { count: Infinity, seconds }, async () => {
      const id = SpoolId.generate();
      await Promise.all([data.store(id, body), meta.store(id, META)]);
      const envelope = await meta.load(id);
      if (envelope.length !== META.length) {
        throw new Error(
          `${kind} meta load returned ${envelope.length} bytes, expected ${META.length}`,
        );
      }
      await Promise.all([data.remove(id), meta.remove(id)]);
    });
    return timer.finish();
  } finally {
    await registry.closeAll();
  }
}
