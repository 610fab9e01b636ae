import path from 'node:path';
import { SpoolId } from '@spoolkit/core';
import {
  type MemoryPeak,
  MemorySampler,
  type RunStats,
  timeOperations,
  timeWork,
} from '../measure.js';
import { randomValue, withScratchDir } from '../scratch.js';
import type { BenchSettings } from '../settings.js';
import { openRawFsTarget } from '../targets/raw-fs.js';
import { fillRocksDb, openRawRocksDbTarget } from '../targets/raw-rocksdb.js';
import { openSpoolTarget } from '../targets/spool-target.js';
import type { BenchTarget, WalkResult } from '../targets/types.js';
import { writeBackDirtyData } from '../write-back.js';
import {
  type LocalDiskLayout,
  measureLocalDiskLayout,
} from './data-directory.js';
import { namedStep } from './named-step.js';
import type { BackendKind } from './operations.js';

/** One walk over a large spool: its rate and how much memory it took. */
export interface EnumerationRow extends MemoryPeak {
  kind: BackendKind;
  target: string;
  baseline: boolean;
  entries: number;
  valueBytes: number;
  /** Time to write the entries beforehand, with the raw baseline; not part of the walk. */
  fillSeconds: number;
  stats: RunStats;
  /**
   * Directory counts of the full spool, and the removes and `cleanup()`
   * that empty it; only on the LocalDisk backend's row.
   */
  layout?: LocalDiskLayout;
}

/** Entries between memory samples taken from inside the walk. */
const SAMPLE_EVERY = 1000;

/**
 * Fills a spool of each kind with `enumerationEntries` entries through the
 * raw baseline (the quickest way to write them), then walks it once with
 * the backend and once with the baseline, sampling memory throughout.
 * For LocalDisk it then counts the directories, removes every entry
 * through the backend and times `cleanup()`. Pushes each walk's row to
 * `rows` as soon as it is measured, so a caller that passes its own array
 * keeps them if a later step throws.
 */
export async function benchEnumeration(
  settings: BenchSettings,
  progress: (message: string) => void,
  rows: EnumerationRow[] = [],
): Promise<EnumerationRow[]> {
  const valueBytes = settings.enumerationValueBytes;
  for (const kind of ['LocalDisk', 'RocksDB'] as const) {
    const entries = settings.enumerationEntries[kind];
    await namedStep(`${kind} spool of ${entries} entries`, () =>
      withScratchDir(`enumerate-${kind}`, async (directory) => {
        const spoolDir = path.join(directory, 'spool');
        progress(`enumeration: filling ${kind} with ${entries} entries`);
        const fillSeconds = await fill(kind, spoolDir, entries, valueBytes);

        for (const baseline of [false, true]) {
          progress(
            `enumeration: walking ${entries} ${kind} entries${baseline ? ' (baseline)' : ''}`,
          );
          // Right after the fill, gigabytes of dirty pages are still being
          // written back, and only the walk that goes first would meet them.
          // Each walk starts from written-back files, as one of an older
          // spool would.
          // NOTE: on a journaled ext4 of an Intel Xeon host, LocalDisk's
          // million-entry walk still stalled the event loop for up to 70 ms
          // after this change. An AMD EPYC host showed no such stall, and the
          // cause is not known (see docs/benchmarks.md).
          await writeBackDirtyData();
          const target =
            kind === 'LocalDisk'
              ? baseline
                ? await openRawFsTarget(spoolDir)
                : await openSpoolTarget('LocalDisk', spoolDir)
              : baseline
                ? await openRawRocksDbTarget(spoolDir)
                : await openSpoolTarget('RocksDB', spoolDir);
          try {
            const measured = await measureWalk(target, entries);
            rows.push({
              kind,
              target: target.label,
              baseline,
              entries,
              valueBytes,
              fillSeconds,
              ...measured,
            });
          } finally {
            await target.close();
          }
        }
        if (kind === 'LocalDisk') {
          progress(
            'enumeration: counting LocalDisk directories, removing every entry, cleanup()',
          );
          const row = rows.find(
            (entry) => entry.kind === 'LocalDisk' && !entry.baseline,
          );
          if (row !== undefined) {
            row.layout = await measureLocalDiskLayout(spoolDir);
          }
        }
        progress(`enumeration: deleting the ${kind} entries`);
      }),
    );
  }
  return rows;
}

async function fill(
  kind: BackendKind,
  directory: string,
  entries: number,
  valueBytes: number,
): Promise<number> {
  const value = randomValue(valueBytes);
  const started = performance.now();
  if (kind === 'LocalDisk') {
    const target = await openRawFsTarget(directory);
    await timeOperations(entries, 64, () =>
      target.store(SpoolId.generate(), value, false),
    );
  } else {
    const target = await openRawRocksDbTarget(directory);
    try {
      for (let done = 0; done < entries; done += 100_000) {
        const chunk = Array.from(
          { length: Math.min(100_000, entries - done) },
          () => SpoolId.generate(),
        );
        await fillRocksDb(target.db, chunk, value);
      }
    } finally {
      await target.close();
    }
  }
  return (performance.now() - started) / 1000;
}

async function measureWalk(
  target: BenchTarget,
  expected: number,
): Promise<MemoryPeak & { stats: RunStats }> {
  const sampler = new MemorySampler();
  const { result, stats } = await timeWork(
    (walk: WalkResult) => walk.entries,
    () =>
      target.walk((count) => {
        if (count % SAMPLE_EVERY === 0) {
          sampler.sample();
        }
      }),
  );
  const memory = sampler.stop();
  if (result.entries !== expected || result.corrupt !== 0) {
    throw new Error(
      `${target.label} enumerated ${result.entries} entries and ${result.corrupt} corrupt ones, expected ${expected} entries`,
    );
  }
  return {
    stats,
    ...memory,
  };
}
