import { silentLogger } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { HealthLatch } from '../src/health.js';

/** Creates a latch with KumoMTA's default durations; the test drives its checks by time. */
function createLatch(allowUnlatch = true): {
  latch: HealthLatch;
  setBackground: (count: number) => void;
} {
  let background = 5;
  const health = new HealthLatch({
    spool: 'data',
    path: '/spool',
    logger: silentLogger,
    latchDurationMs: 15_000,
    unlatchDurationMs: 300_000,
    allowUnlatch,
    intervalMs: 5_000,
    readBackgroundErrors: () => background,
  });
  return {
    latch: health,
    setBackground: (count) => {
      background = count;
    },
  };
}

describe('HealthLatch', () => {
  it('ignores background errors from before open', () => {
    const { latch: health } = createLatch();
    health.check(0);
    health.check(1_000_000);
    expect(health.latched).toBe(false);
  });

  it('latches after background errors persist', () => {
    const { latch: health, setBackground } = createLatch();
    health.check(0);
    setBackground(6);
    health.check(1_000);
    health.check(15_999);
    expect(health.latched).toBe(false);
    health.check(16_000);
    expect(health.latched).toBe(true);
  });

  it('unlatches after a quiet period', () => {
    const { latch: health, setBackground } = createLatch();
    health.check(0);
    setBackground(6);
    health.check(1_000);
    health.check(16_000);
    health.check(315_999);
    expect(health.latched).toBe(true);
    health.check(316_000);
    expect(health.latched).toBe(false);
    // The count at unlatch is the new baseline.
    health.check(400_000);
    expect(health.latched).toBe(false);
  });

  it('new errors extend the latch', () => {
    const { latch: health, setBackground } = createLatch();
    health.check(0);
    setBackground(6);
    health.check(1_000);
    health.check(16_000);
    setBackground(7);
    health.check(100_000);
    health.check(316_000);
    expect(health.latched).toBe(true);
    health.check(400_000);
    expect(health.latched).toBe(false);
  });

  it('stays latched without unlatch', () => {
    const { latch: health, setBackground } = createLatch(false);
    health.check(0);
    setBackground(6);
    health.check(1_000);
    health.check(16_000);
    health.check(10_000_000);
    expect(health.latched).toBe(true);
  });

  it('latches at once on I/O error', () => {
    const { latch: health } = createLatch();
    health.check(0);
    health.recordError(new Error('IO error: No such file or directory'));
    expect(health.latched).toBe(true);
    expect(health.foregroundErrors).toBe(1);
  });

  it('latches at once on corruption', () => {
    const { latch: health } = createLatch();
    health.recordError(new Error('Corruption: bad block'));
    expect(health.latched).toBe(true);
  });

  it('one timeout latches later', () => {
    const { latch: health } = createLatch();
    health.check(0);
    health.recordTimeout();
    expect(health.latched).toBe(false);
    health.check(5_000);
    health.check(19_999);
    expect(health.latched).toBe(false);
    health.check(20_000);
    expect(health.latched).toBe(true);
  });

  it('other errors latch later', () => {
    const { latch: health } = createLatch();
    health.check(0);
    health.recordError(new Error('Invalid argument: bad key'));
    expect(health.latched).toBe(false);
    health.check(5_000);
    health.check(20_000);
    expect(health.latched).toBe(true);
  });
});
