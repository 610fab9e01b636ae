import { describe, expect, it } from 'vitest';
import type { MachineInfo } from '../src/machine.js';
import {
  formatDiskSize,
  machineLine,
  renderMarkdown,
  size,
} from '../src/report/markdown.js';
import {
  baselineRatios,
  checkTargets,
  formatRatio,
  MIN_BASELINE_RATIO,
  pairLifecycle,
} from '../src/report/targets.js';
import type { BenchReport } from '../src/report/types.js';
import type { LifecycleRow } from '../src/sections/lifecycle.js';
import { namedStep } from '../src/sections/named-step.js';

describe('formatRatio', () => {
  it.each([
    [0.899, '0.89'],
    [0.8999, '0.89'],
    [0.9, '0.90'],
    [0.29, '0.29'],
    [1.236, '1.23'],
    [20.345, '20.34'],
  ])('shows %s as %s', (ratio, shown) => {
    expect(formatRatio(ratio)).toBe(shown);
  });

  it('shows 0.90 only for met ratios', () => {
    for (let ratio = 0.895; ratio < 0.905; ratio += 0.0001) {
      const met = ratio >= MIN_BASELINE_RATIO;
      expect(formatRatio(ratio) === '0.90', String(ratio)).toBe(met);
    }
  });
});

describe('formatDiskSize', () => {
  it.each([
    [64 * 1024 ** 2, '64 MiB'],
    [9.5 * 1024 ** 3, '9728 MiB'],
    [10 * 1024 ** 3, '10 GiB'],
    [252.4 * 1024 ** 3, '252 GiB'],
  ])('shows %i bytes as %s', (bytes, shown) => {
    expect(formatDiskSize(bytes)).toBe(shown);
  });
});

describe('size', () => {
  it.each([
    [1000, '1000 B'],
    [1024, '1 KiB'],
    [1500, '1500 B'],
    [256 * 1024, '256 KiB'],
    [64 * 1024 ** 2, '64 MiB'],
    [1024 ** 2 + 1024, '1025 KiB'],
  ])('labels %i bytes %s', (bytes, shown) => {
    expect(size(bytes)).toBe(shown);
  });
});

describe('namedStep', () => {
  it('prefixes the label, keeps the cause', async () => {
    const original = new Error('IO error: While mkdir if missing');
    const thrown = await namedStep('RocksDB 16384 B, concurrency 64', () =>
      Promise.reject(original),
    ).catch((error: Error) => error);
    expect(thrown.message).toBe(
      'RocksDB 16384 B, concurrency 64: IO error: While mkdir if missing',
    );
    expect(thrown.cause).toBe(original);
  });

  it('returns what the step returns', async () => {
    await expect(namedStep('step', async () => 42)).resolves.toBe(42);
  });
});

/** A 2-CPU test machine with its scratch on a 40 GiB ext4. */
const machine = (journal?: boolean): MachineInfo => ({
  cpus: 2,
  cpuModel: 'Test CPU',
  memoryBytes: 8 * 1024 ** 3,
  node: 'v20.0.0',
  platform: 'linux-x64',
  kernel: '6.0',
  loadAverage: [0, 0, 0],
  disk: {
    path: '/scratch',
    fsType: 'ext4',
    device: '/dev/loop0',
    sizeBytes: 40 * 1024 ** 3,
    freeBytes: 30 * 1024 ** 3,
    ...(journal === undefined ? {} : { journal }),
  },
});

describe('machineLine', () => {
  it.each([
    [true, 'scratch on ext4 with a journal (/dev/loop0, 40 GiB, 30 GiB free)'],
    [false, 'scratch on ext4 without a journal (/dev/loop0'],
    [undefined, 'scratch on ext4 (/dev/loop0'],
  ])('describes journal %s', (journal, shown) => {
    expect(machineLine(machine(journal))).toContain(shown);
  });
});

describe('lifecycle targets', () => {
  /** A lifecycle row whose rounds ran at `rates`; the median round is the middle rate. */
  const row = (
    kind: 'LocalDisk' | 'RocksDB',
    baseline: boolean,
    concurrency: number,
    rates: number[],
    loopMaxMs = 5,
  ): LifecycleRow => {
    const sorted = [...rates].sort((a, b) => a - b);
    const perSecond = sorted[Math.floor((sorted.length - 1) / 2)] as number;
    return {
      kind,
      runBy: baseline
        ? kind === 'LocalDisk'
          ? 'raw fs'
          : 'raw rocksdb'
        : kind,
      baseline,
      valueBytes: 16 * 1024,
      concurrency,
      roundsPerSecond: rates,
      roundsLoopDelayMaxMs: rates.map(() => loopMaxMs),
      stats: {
        operations: perSecond,
        seconds: 1,
        perSecond,
        latencyUs: { p50: 1, p99: 1, max: 1 },
        cpuUsPerOperation: 1,
        eventLoop: { maxMs: loopMaxMs, p99Ms: 1 },
        fullGcPerSecond: 0,
      },
    };
  };

  const rows = (rocks: number[], binding: number[]): LifecycleRow[] =>
    [1, 64].flatMap((concurrency) => [
      row('LocalDisk', false, concurrency, [1000, 1000, 1000]),
      row('LocalDisk', true, concurrency, [1100, 1000, 900], 200),
      row('RocksDB', false, concurrency, rocks),
      row('RocksDB', true, concurrency, binding, 200),
    ]);

  const lifecycleChecks = (lifecycle: LifecycleRow[]) =>
    checkTargets({ lifecycle }).filter((check) =>
      check.target.startsWith('RocksDB lifecycle'),
    );

  it("reports the binding's own ratio", () => {
    const checks = lifecycleChecks(
      rows([3000, 3300, 3100], [3200, 3400, 3050]),
    );
    expect(checks).toHaveLength(2);
    for (const check of checks) {
      expect(check.met).toBe(false);
      expect(check.measured).toBe(
        "3.10x, median of 3 rounds (best 3.30x, worst 3.00x; each kind's median round 3100 vs 1000 msg/s); the raw binding's own lifecycle 3.20x LocalDisk's",
      );
    }
  });

  it('meets the target at 4x, whatever the binding reached', () => {
    const checks = lifecycleChecks(
      rows([4000, 4100, 4200], [3900, 3950, 3980]),
    );
    expect(checks.map((check) => check.met)).toEqual([true, true]);
  });

  it('leaves the binding out when its rows are missing', () => {
    const checks = lifecycleChecks(
      rows([3000, 3300, 3100], [1, 1, 1]).filter(
        (candidate) => !(candidate.kind === 'RocksDB' && candidate.baseline),
      ),
    );
    expect(checks[0]?.measured).not.toContain('raw binding');
  });

  it('keeps the baselines out of the event-loop target', () => {
    const loop = checkTargets({
      lifecycle: rows([3000, 3300, 3100], [3200, 3400, 3050]),
    }).filter((check) => check.target.includes('event-loop'));
    expect(loop.map((check) => [check.measured, check.met])).toEqual([
      ['worst 5.0 ms over 6 runs', true],
      ['worst 5.0 ms over 6 runs', true],
    ]);
  });

  it('checks the event loop in every round', () => {
    const lifecycle = rows([3000, 3300, 3100], [3200, 3400, 3050]);
    const local = lifecycle[0] as LifecycleRow;
    // The median round (by rate) stayed at 5 ms; another round did not.
    lifecycle[0] = { ...local, roundsLoopDelayMaxMs: [5, 60, 5] };
    const loop = checkTargets({ lifecycle }).filter((check) =>
      check.target.startsWith('LocalDisk: event-loop'),
    );
    expect(loop).toHaveLength(1);
    expect(loop[0]?.measured).toBe('worst 60.0 ms over 6 runs');
    expect(loop[0]?.met).toBe(false);
  });

  it('lists the lifecycle ratios for bench.json', () => {
    const ratios = baselineRatios({
      lifecycle: rows([3000, 3300, 3100], [3000, 3000, 3000]),
    });
    expect(
      ratios.map((entry) => [
        entry.kind,
        entry.operation,
        entry.concurrency,
        formatRatio(entry.ratio),
        entry.rounds,
      ]),
    ).toEqual([
      ['LocalDisk', 'lifecycle', 1, '1.00', 3],
      ['RocksDB', 'lifecycle', 1, '1.03', 3],
      ['LocalDisk', 'lifecycle', 64, '1.00', 3],
      ['RocksDB', 'lifecycle', 64, '1.03', 3],
    ]);
  });

  it('pairs each backend with its own baseline', () => {
    const pairs = pairLifecycle(rows([3000, 3300, 3100], [3000, 3000, 3000]));
    expect(
      pairs.map((pair) => [
        pair.backend.runBy,
        pair.baseline.runBy,
        pair.backend.concurrency,
        formatRatio(pair.ratio),
      ]),
    ).toEqual([
      ['LocalDisk', 'raw fs', 1, '1.00'],
      ['RocksDB', 'raw rocksdb', 1, '1.03'],
      ['LocalDisk', 'raw fs', 64, '1.00'],
      ['RocksDB', 'raw rocksdb', 64, '1.03'],
    ]);
  });
});

describe('renderMarkdown', () => {
  const report = (overrides: Partial<BenchReport>): BenchReport => ({
    mode: 'full',
    narrowedBy: [],
    control: false,
    slices: 8,
    startedAt: '2026-12-06T00:00:00.000Z',
    seconds: 12,
    machine: machine(true),
    targets: [],
    ratios: [],
    errors: [],
    ...overrides,
  });

  it('explains a section without rows', () => {
    const markdown = renderMarkdown(
      report({
        operations: [],
        lifecycle: [],
        errors: [
          { section: 'operations', message: 'LocalDisk 1024 B: gone' },
          { section: 'lifecycle', message: 'LocalDisk 1024 B: gone' },
        ],
      }),
    );
    const empty =
      'No configuration finished before the section failed (see "Sections that failed").';
    expect(markdown.split(empty)).toHaveLength(3);
    expect(markdown).toContain('- operations: LocalDisk 1024 B: gone');
    expect(markdown).not.toContain('| kind');
  });
});
