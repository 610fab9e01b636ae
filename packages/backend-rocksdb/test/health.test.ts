import { readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type SpoolEntry, SpoolId } from '@spoolkit/core';
import { describe, expect, it, vi } from 'vitest';
import { openRocksDbSpool, type RocksDbSpool } from '../src/index.js';
import { BindingStorage } from '../src/storage.js';
import {
  openStallableSpool,
  openTestSpool,
  rejectionOf,
  tempDir,
} from './helpers.js';

const NOT_ACCEPTING = 'the spool is not accepting writes';

const SHORT_LATCH = {
  store_deadline: '50ms',
  error_latch_duration: '300ms',
  error_unlatch_duration: '600ms',
};

async function causeTimeout(
  spool: RocksDbSpool,
  storage: { stalled: boolean },
): Promise<number> {
  storage.stalled = true;
  // Writes reuse a stall reading for 1 ms; let an earlier write's reading expire.
  await sleep(5);
  const error = await rejectionOf(
    spool.store(SpoolId.generate(), Buffer.from('x')),
  );
  storage.stalled = false;
  expect(error.code).toBe('SPOOL_BACKPRESSURE_TIMEOUT');
  return Date.now();
}

async function waitForReason(
  spool: RocksDbSpool,
  reason: string | undefined,
): Promise<number> {
  await vi.waitFor(() => expect(spool.unhealthyReason()).toBe(reason), {
    timeout: 10_000,
    interval: 5,
  });
  return Date.now();
}

describe('health latch', () => {
  it('latches after error_latch_duration', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { ...SHORT_LATCH, error_unlatch_duration: '1s' },
      healthCheckIntervalMs: 20,
    });
    const keep = SpoolId.generate();
    await spool.store(keep, Buffer.from('kept'));

    const erredAt = await causeTimeout(spool, storage);
    expect(spool.unhealthyReason()).toBeUndefined();
    const latchedAt = await waitForReason(spool, NOT_ACCEPTING);
    expect(latchedAt - erredAt).toBeGreaterThanOrEqual(290);

    const rejected = await rejectionOf(
      spool.store(SpoolId.generate(), Buffer.from('y')),
    );
    expect(rejected.code).toBe('SPOOL_UNHEALTHY');
    expect(rejected.message).toContain(NOT_ACCEPTING);
    expect((await rejectionOf(spool.remove(keep))).code).toBe(
      'SPOOL_UNHEALTHY',
    );
    expect((await spool.load(keep)).toString()).toBe('kept');
    expect(spool.metrics().loadShedActive).toBe(1);

    // The poll may see the latch late under load, so allow 100 ms of slack.
    const unlatchedAt = await waitForReason(spool, undefined);
    expect(unlatchedAt - latchedAt).toBeGreaterThanOrEqual(900);
    expect(spool.metrics().loadShedActive).toBe(0);
    await spool.store(SpoolId.generate(), Buffer.from('z'));
  });

  it('stays latched without allow_error_unlatch', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { ...SHORT_LATCH, allow_error_unlatch: false },
      healthCheckIntervalMs: 20,
    });
    await causeTimeout(spool, storage);
    await waitForReason(spool, NOT_ACCEPTING);
    await sleep(1_500);
    expect(spool.unhealthyReason()).toBe(NOT_ACCEPTING);
  });

  it('reports low disk space', async () => {
    const spool = await openTestSpool({
      minFreeSpace: { kind: 'count', count: Number.MAX_SAFE_INTEGER },
    });
    expect(spool.unhealthyReason()).toContain('below min_free_space');
    await spool.store(SpoolId.generate(), Buffer.from('still writable'));
  });
});

async function damagedSpool(
  damage: (sst: string) => Promise<void>,
): Promise<{ spool: RocksDbSpool; ids: SpoolId[] }> {
  const path = join(await tempDir(), 'spool');
  const writer = await openRocksDbSpool({ name: 'data', path });
  const ids = Array.from({ length: 200 }, () => SpoolId.generate());
  for (const id of ids) {
    await writer.store(id, Buffer.alloc(1000, 3));
  }
  await writer.compact();
  await writer.close();

  const ssts = (await readdir(path)).filter((name) => name.endsWith('.sst'));
  expect(ssts).toHaveLength(1);
  await damage(join(path, ssts[0] as string));

  const spool = await openRocksDbSpool({
    name: 'data',
    path,
    rocksParams: { error_unlatch_duration: '1h' },
  });
  return { spool, ids };
}

describe('damaged SST', () => {
  it('missing file latches on load', async () => {
    const { spool, ids } = await damagedSpool((sst) => rm(sst));
    try {
      expect(spool.unhealthyReason()).toBeUndefined();
      const error = await rejectionOf(spool.load(ids[0] as SpoolId));
      expect(error.code).toBe('SPOOL_IO');
      expect(error.message).toContain('No such file or directory');
      expect(error.message).toContain(spool.path);
      expect(spool.unhealthyReason()).toBe(NOT_ACCEPTING);
      expect(
        (await rejectionOf(spool.store(SpoolId.generate(), Buffer.from('x'))))
          .code,
      ).toBe('SPOOL_UNHEALTHY');
    } finally {
      await spool.close();
    }
  });

  it('truncated file latches on enumerate', async () => {
    const { spool } = await damagedSpool((sst) => truncate(sst, 100));
    try {
      const later = new Date(Date.now() + 1000);
      const walk = async () => {
        const entries: SpoolEntry[] = [];
        for await (const entry of spool.enumerate({ createdBefore: later })) {
          entries.push(entry);
        }
        return entries;
      };
      const error = await rejectionOf(walk());
      expect(error.code).toBe('SPOOL_CORRUPT');
      expect(error.message).toContain('corrupt');
      expect(spool.unhealthyReason()).toBe(NOT_ACCEPTING);
    } finally {
      await spool.close();
    }
  });

  it('truncated file fails compact', async () => {
    const { spool, ids } = await damagedSpool((sst) => truncate(sst, 100));
    try {
      // An overwrite inside the damaged file's key range makes compaction merge with it.
      await spool.store(ids[0] as SpoolId, Buffer.from('new'));
      const error = await rejectionOf(spool.compact());
      expect(error.code).toBe('SPOOL_IO');
      expect(error.message).toContain('background errors rose');
      expect(spool.unhealthyReason()).toBe(NOT_ACCEPTING);
      expect(spool.metrics().backgroundErrors).toBeGreaterThan(0);
    } finally {
      await spool.close();
    }
  });
});

/** Storage whose deletes fail the way the binding reports a failed write. */
class FailingDeleteStorage extends BindingStorage {
  failure: 'reject' | 'throw' | undefined;

  override del(key: Buffer, options: { sync: boolean }): Promise<void> {
    if (this.failure === 'throw') {
      throw new Error('IO error: thrown before the delete was queued');
    }
    if (this.failure === 'reject') {
      return Promise.reject(new Error('IO error: While appending to WAL'));
    }
    return super.del(key, options);
  }
}

describe('failed removes', () => {
  it.each(['reject', 'throw'] as const)(
    'converts a delete that fails (%s) and latches',
    async (failure) => {
      let storage: FailingDeleteStorage | undefined;
      const spool = await openTestSpool({
        createStorage: (location) => {
          storage = new FailingDeleteStorage(location);
          return storage;
        },
      });
      const id = SpoolId.generate();
      await spool.store(id, Buffer.from('kept'));
      (storage as FailingDeleteStorage).failure = failure;

      const error = await rejectionOf(spool.remove(id));
      expect(error.code).toBe('SPOOL_IO');
      expect(error.spool).toBe('data');
      expect(error.id).toBe(id.toString());
      expect(error.message).toContain('IO error');
      expect(spool.unhealthyReason()).toBe(NOT_ACCEPTING);

      // Latched: the gate rejects before the storage is reached.
      (storage as FailingDeleteStorage).failure = undefined;
      expect((await rejectionOf(spool.remove(id))).code).toBe(
        'SPOOL_UNHEALTHY',
      );
      expect((await spool.load(id)).toString()).toBe('kept');
    },
  );
});
