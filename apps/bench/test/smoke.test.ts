import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let directory: string;
let exitCode: number;
let stdout: string;
// biome-ignore lint/suspicious/noExplicitAny: the report is checked key by key below.
let report: any;
let markdown: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-bench-test-'));
  const out = path.join(directory, 'out');
  ({ exitCode, stdout } = await new Promise<{
    exitCode: number;
    stdout: string;
  }>((resolve) => {
    execFile(
      process.execPath,
      [
        '--expose-gc',
        CLI,
        '--smoke',
        '--out',
        out,
        '--scratch',
        directory,
        '--entries',
        '2000',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, output) => {
        resolve({
          exitCode: error === null ? 0 : Number(error.code),
          stdout: output,
        });
      },
    );
  }));
  report = JSON.parse(await readFile(path.join(out, 'bench.json'), 'utf8'));
  markdown = await readFile(path.join(out, 'bench.md'), 'utf8');
}, 300_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('bench --smoke', () => {
  it('exits 0 without failed sections', () => {
    expect(report.errors).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it('operations cover every configuration', () => {
    const seen = new Set(
      report.operations.map(
        (row: {
          target: string;
          operation: string;
          valueBytes: number;
          sync: boolean;
          concurrency: number;
        }) =>
          `${row.target}/${row.operation}/${row.valueBytes}/${row.sync}/${row.concurrency}`,
      ),
    );
    for (const target of ['LocalDisk', 'raw fs', 'RocksDB', 'raw rocksdb']) {
      for (const size of [1024, 16384, 262144]) {
        for (const concurrency of [1, 64]) {
          expect(seen.has(`${target}/store/${size}/false/${concurrency}`)).toBe(
            true,
          );
          expect(seen.has(`${target}/store/${size}/true/${concurrency}`)).toBe(
            true,
          );
          expect(seen.has(`${target}/load/${size}/false/${concurrency}`)).toBe(
            true,
          );
          expect(
            seen.has(`${target}/remove/${size}/false/${concurrency}`),
          ).toBe(true);
        }
        expect(seen.has(`${target}/enumerate/${size}/false/1`)).toBe(true);
      }
    }
  });

  it('every row has event-loop delay', () => {
    const rows = [
      ...report.operations,
      ...report.lifecycle,
      ...report.enumeration,
    ];
    for (const row of rows) {
      expect(typeof row.stats.eventLoop.maxMs).toBe('number');
      expect(typeof row.stats.eventLoop.p99Ms).toBe('number');
    }
  });

  it('lifecycle covers both kinds and their raw baselines', () => {
    const sides = report.lifecycle.map(
      (row: { runBy: string; baseline: boolean }) =>
        `${row.runBy}/${row.baseline}`,
    );
    for (const side of [
      'LocalDisk/false',
      'raw fs/true',
      'RocksDB/false',
      'raw rocksdb/true',
    ]) {
      expect(sides.filter((seen: string) => seen === side)).toHaveLength(6);
    }
    expect(sides).toHaveLength(24);
    for (const row of report.lifecycle) {
      expect(row.roundsPerSecond).toHaveLength(1);
      expect(row.stats.operations).toBeGreaterThan(0);
    }
    expect(markdown).toContain(
      'Each configuration ran 1 round, LocalDisk, raw fs, RocksDB and raw rocksdb back to back in each, the order reversing every round.',
    );
    expect(markdown).toContain(
      'through its raw baseline (raw fs, raw rocksdb), which does the same steps',
    );
    expect(markdown).toContain('Each backend against its raw baseline');
    expect(markdown).toMatch(/the raw binding's own lifecycle \d+\.\d\dx/);
  });

  it('enumeration has memory for each walk', () => {
    const walks = report.enumeration.map(
      (row: { target: string }) => row.target,
    );
    expect(walks).toEqual(['LocalDisk', 'raw fs', 'RocksDB', 'raw rocksdb']);
    for (const row of report.enumeration) {
      expect(row.entries).toBe(2000);
      expect(typeof row.rssGrowthBytes).toBe('number');
    }
  });

  it('enumeration has LocalDisk layout', () => {
    const row = report.enumeration.find(
      (entry: { kind: string; baseline: boolean }) =>
        entry.kind === 'LocalDisk' && !entry.baseline,
    );
    const layout = row.layout;
    expect(typeof layout.full.directories).toBe('number');
    expect(typeof layout.full.maxLeafEntries).toBe('number');
    expect(typeof layout.removeSeconds).toBe('number');
    expect(typeof layout.cleanupSeconds).toBe('number');
    expect(typeof layout.afterCleanup.directories).toBe('number');
    expect(markdown).toContain('directories after cleanup()');
  });

  it('policy has cold and warm times', () => {
    expect(report.policy.lines).toBeGreaterThanOrEqual(200);
    expect(report.policy.spools).toBe(2);
    expect(typeof report.policy.coldMs).toBe('number');
    expect(report.policy.warmRuns).toBe(5);
  });

  it('targets are all reported', () => {
    const names = report.targets
      .map((target: { target: string }) => target.target)
      .join('\n');
    expect(names).toContain('LocalDisk: every operation');
    expect(names).toContain('RocksDB: every operation');
    expect(names).toContain('RocksDB lifecycle');
    expect(names).toContain('LocalDisk enumeration');
    expect(names).toContain('RocksDB enumeration');
    expect(names).toContain('event-loop delay');
    expect(names).toContain('warm evaluation');
    for (const target of report.targets) {
      expect(typeof target.met).toBe('boolean');
      expect(Number.isFinite(target.value)).toBe(true);
      expect(Number.isFinite(target.limit)).toBe(true);
      // met must follow from the numbers, so a reader of bench.json can recheck it.
      expect(target.met).toBe(
        target.bound === 'min'
          ? target.value >= target.limit
          : target.value < target.limit,
      );
    }
  });

  it('gives every backend-to-baseline ratio in bench.json', () => {
    // Per kind: unsynced and synced stores, loads and removes at 3 sizes
    // and 2 concurrencies, a walk per size, and 6 lifecycles.
    const perKind = 4 * 3 * 2 + 3 + 6;
    expect(report.ratios).toHaveLength(2 * perKind);
    for (const entry of report.ratios) {
      expect(Number.isFinite(entry.ratio)).toBe(true);
      expect(entry.rounds).toBe(1);
    }
    const lifecycle = report.ratios.filter(
      (entry: { operation: string }) => entry.operation === 'lifecycle',
    );
    expect(lifecycle).toHaveLength(12);
  });

  it('counts one round in the singular', () => {
    // A smoke run has one round per configuration.
    expect(markdown).toContain('median of 1 round (best');
    expect(markdown).not.toMatch(/\b1 (rounds|runs)\b/);
  });

  it('markdown has every section', () => {
    for (const heading of [
      '## Targets',
      '## Operations against the raw baselines',
      '## Message lifecycle',
      '## Enumeration of a large spool',
      '## Policy evaluation (config-lua)',
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(stdout).toBe(markdown);
    expect(markdown.split('\n')[0]).toBe(
      '# spoolkit benchmark (smoke, narrowed by --entries)',
    );
  });
});
