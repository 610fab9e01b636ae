import path from 'node:path';
import { SpoolId, SpoolRegistry } from '@spoolkit/core';
import { type RunStats, timeOperations } from '../measure.js';
import { randomValue, withScratchDir } from '../scratch.js';
import { type BenchSettings, CONCURRENCIES, VALUE_SIZES } from '../settings.js';
import type { BackendKind } from './operations.js';

/** Messages per second through a whole lifecycle for one kind and configuration. */
export interface LifecycleRow {
  kind: BackendKind;
  valueBytes: number;
  concurrency: number;
  /** `operations` counts messages; `perSecond` is messages per second. */
  stats: RunStats;
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
 * each kind: store the body and the envelope at once, load the envelope,
 * remove both. Runs for every value size and concurrency, with sync off.
 */
export async function benchLifecycle(
  settings: BenchSettings,
  progress: (message: string) => void,
): Promise<LifecycleRow[]> {
  const rows: LifecycleRow[] = [];
  for (const kind of ['LocalDisk', 'RocksDB'] as const) {
    for (const valueBytes of VALUE_SIZES) {
      for (const concurrency of CONCURRENCIES) {
        progress(
          `lifecycle: ${kind} ${valueBytes} B, concurrency ${concurrency}`,
        );
        const stats = await withScratchDir(`lifecycle-${kind}`, (directory) =>
          runLifecycle(
            kind,
            directory,
            settings.lifecycleMessages(valueBytes),
            valueBytes,
            concurrency,
          ),
        );
        rows.push({ kind, valueBytes, concurrency, stats });
      }
    }
  }
  return rows;
}

async function runLifecycle(
  kind: BackendKind,
  directory: string,
  count: number,
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
    const ids = Array.from({ length: count }, () => SpoolId.generate());
    return await timeOperations(count, concurrency, async (i) => {
      const id = ids[i] as SpoolId;
      await Promise.all([data.store(id, body), meta.store(id, META)]);
      const envelope = await meta.load(id);
      if (envelope.length !== META.length) {
        throw new Error(
          `${kind} meta load returned ${envelope.length} bytes, expected ${META.length}`,
        );
      }
      await Promise.all([data.remove(id), meta.remove(id)]);
    });
  } finally {
    await registry.closeAll();
  }
}
