import { statfs } from 'node:fs/promises';
import os from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import {
  checkFreeSpace,
  DiskSpaceMonitor,
  type DiskUsage,
  parseMinFree,
  readDiskUsage,
} from '../src/index.js';

const TEN_PERCENT = parseMinFree('10%', 'test');
const GiB = 1024 ** 3;

function usage(overrides: Partial<DiskUsage>): DiskUsage {
  return {
    freeBytes: 50 * GiB,
    totalBytes: 100 * GiB,
    freeInodes: 500_000,
    totalInodes: 1_000_000,
    ...overrides,
  };
}

describe('readDiskUsage', () => {
  it('reads a real file system', async () => {
    const dir = os.tmpdir();
    const reading = await readDiskUsage(dir);
    const stats = await statfs(dir);
    expect(reading.totalBytes).toBe(stats.blocks * stats.bsize);
    expect(reading.totalBytes).toBeGreaterThan(0);
    expect(reading.freeBytes).toBeGreaterThanOrEqual(0);
    expect(reading.freeBytes).toBeLessThanOrEqual(reading.totalBytes);
    expect(reading.freeInodes).toBeLessThanOrEqual(reading.totalInodes);
  });

  it('rejects a missing path', async () => {
    await expect(readDiskUsage('/nonexistent/spoolkit')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});

describe('checkFreeSpace', () => {
  it('passes with enough space', () => {
    expect(
      checkFreeSpace(usage({}), TEN_PERCENT, TEN_PERCENT, '/s'),
    ).toBeUndefined();
  });

  it('reports low bytes by percent', () => {
    const reason = checkFreeSpace(
      usage({ freeBytes: 9 * GiB }),
      TEN_PERCENT,
      TEN_PERCENT,
      '/spool',
    );
    expect(reason).toBe(
      `free disk space at /spool is ${9 * GiB} bytes (9%), below min_free_space 10%`,
    );
  });

  it('floors the percentage', () => {
    const justUnder = usage({ freeBytes: 10 * GiB - 1 });
    expect(checkFreeSpace(justUnder, TEN_PERCENT, TEN_PERCENT, '/s')).toMatch(
      /\(9%\)/,
    );
    const exactly = usage({ freeBytes: 10 * GiB });
    expect(
      checkFreeSpace(exactly, TEN_PERCENT, TEN_PERCENT, '/s'),
    ).toBeUndefined();
  });

  it('reports low bytes by count', () => {
    const minimum = parseMinFree(60 * GiB, 'test');
    expect(checkFreeSpace(usage({}), minimum, TEN_PERCENT, '/s')).toMatch(
      /below min_free_space 64424509440/,
    );
  });

  it.each([
    [10, '10 inodes'],
    [1, '1 inode'],
  ])('reports %i free inodes as low', (freeInodes, counted) => {
    const reason = checkFreeSpace(
      usage({ freeInodes }),
      TEN_PERCENT,
      parseMinFree('100', 'test'),
      '/spool',
    );
    expect(reason).toBe(
      `free inodes at /spool: ${counted} (0%), below min_free_inodes 100`,
    );
  });

  it('ignores inodes when the total is zero', () => {
    const noInodes = usage({ freeInodes: 0, totalInodes: 0 });
    expect(
      checkFreeSpace(noInodes, TEN_PERCENT, TEN_PERCENT, '/s'),
    ).toBeUndefined();
  });
});

describe('DiskSpaceMonitor', () => {
  it('reads a real file system', async () => {
    const monitor = new DiskSpaceMonitor({
      path: os.tmpdir(),
      minFreeSpace: parseMinFree('0%', 'test'),
      minFreeInodes: parseMinFree('0%', 'test'),
    });
    await monitor.start();
    monitor.stop();
    expect(monitor.reason).toBeUndefined();
    expect(monitor.lastError).toBeUndefined();
  });

  it('reports an impossible minimum on a real file system', async () => {
    const monitor = new DiskSpaceMonitor({
      path: os.tmpdir(),
      minFreeSpace: parseMinFree(Number.MAX_SAFE_INTEGER, 'test'),
      minFreeInodes: TEN_PERCENT,
    });
    await monitor.check();
    expect(monitor.reason).toMatch(
      /^free disk space at .* below min_free_space/,
    );
  });

  it('follows readings', async () => {
    let current = usage({ freeBytes: 5 * GiB });
    const monitor = new DiskSpaceMonitor({
      path: '/spool',
      minFreeSpace: TEN_PERCENT,
      minFreeInodes: TEN_PERCENT,
      readUsage: async () => current,
    });
    await monitor.check();
    expect(monitor.reason).toMatch(/below min_free_space 10%/);
    current = usage({});
    await monitor.check();
    expect(monitor.reason).toBeUndefined();
  });

  it('keeps the last reason when a reading fails', async () => {
    let failure: Error | undefined;
    const monitor = new DiskSpaceMonitor({
      path: '/spool',
      minFreeSpace: TEN_PERCENT,
      minFreeInodes: TEN_PERCENT,
      readUsage: async () => {
        if (failure) throw failure;
        return usage({ freeBytes: 0 });
      },
    });
    await monitor.check();
    const reason = monitor.reason;
    expect(reason).toBeDefined();
    failure = new Error('EIO');
    await monitor.check();
    expect(monitor.reason).toBe(reason);
    expect(monitor.lastError).toBe(failure);
  });

  it('shares one reading among concurrent rechecks', async () => {
    let readings = 0;
    const monitor = new DiskSpaceMonitor({
      path: '/spool',
      minFreeSpace: TEN_PERCENT,
      minFreeInodes: TEN_PERCENT,
      readUsage: async () => {
        readings += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return usage({ freeBytes: 0 });
      },
    });

    await Promise.all(Array.from({ length: 10 }, () => monitor.recheck()));

    expect(readings).toBe(1);
    expect(monitor.reason).toMatch(/below min_free_space 10%/);
    await monitor.recheck();
    expect(readings).toBe(2);
  });

  it('keeps a recheck over an older, slower check', async () => {
    const pending: ((reading: DiskUsage) => void)[] = [];
    const monitor = new DiskSpaceMonitor({
      path: '/spool',
      minFreeSpace: TEN_PERCENT,
      minFreeInodes: TEN_PERCENT,
      readUsage: () => new Promise((resolve) => pending.push(resolve)),
    });
    // A timer check that read the disk before it filled, and resolves last.
    const older = monitor.check();
    const recheck = monitor.recheck();

    pending[1]?.(usage({ freeBytes: 0 }));
    await recheck;
    pending[0]?.(usage({}));
    await older;

    expect(monitor.reason).toMatch(/below min_free_space 10%/);
  });

  it('checks again on its timer', async () => {
    let readings = 0;
    const monitor = new DiskSpaceMonitor({
      path: '/spool',
      minFreeSpace: TEN_PERCENT,
      minFreeInodes: TEN_PERCENT,
      intervalMs: 5,
      readUsage: async () => {
        readings += 1;
        return usage({});
      },
    });
    await monitor.start();
    expect(readings).toBe(1);
    await vi.waitFor(() => expect(readings).toBeGreaterThan(2), {
      timeout: 10_000,
    });
    monitor.stop();
    const stopped = readings;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(readings).toBe(stopped);
  });

  it('stops after a repeated start', async () => {
    let readings = 0;
    const monitor = new DiskSpaceMonitor({
      path: '/spool',
      minFreeSpace: TEN_PERCENT,
      minFreeInodes: TEN_PERCENT,
      intervalMs: 5,
      readUsage: async () => {
        readings += 1;
        return usage({});
      },
    });
    await monitor.start();
    await monitor.start();
    monitor.stop();
    const stopped = readings;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readings).toBe(stopped);
  });
});
