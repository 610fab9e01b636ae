import { describe, expect, it } from 'vitest';
import type { MachineInfo } from '../src/machine.js';
import { formatDiskSize, machineLine } from '../src/report/markdown.js';
import { formatRatio, MIN_BASELINE_RATIO } from '../src/report/targets.js';

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

describe('machineLine', () => {
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

  it.each([
    [true, 'scratch on ext4 with a journal (/dev/loop0, 40 GiB, 30 GiB free)'],
    [false, 'scratch on ext4 without a journal (/dev/loop0'],
    [undefined, 'scratch on ext4 (/dev/loop0'],
  ])('describes journal %s', (journal, shown) => {
    expect(machineLine(machine(journal))).toContain(shown);
  });
});
