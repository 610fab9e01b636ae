import { setTimeout as sleep } from 'node:timers/promises';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { BindingStorage } from '../src/storage.js';
import { openStallableSpool, openTestSpool, rejectionOf } from './helpers.js';

// These tests make the storage adapter report `rocksdb.is-write-stopped`
// as 1: a real stall needs heavy, timing-dependent load.
describe('backpressure', () => {
  it('times out at store_deadline', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { store_deadline: '200ms', error_latch_duration: '1h' },
    });
    const id = SpoolId.generate();
    storage.stalled = true;
    const error = await rejectionOf(spool.store(id, Buffer.from('x')));
    expect(error.code).toBe('SPOOL_BACKPRESSURE_TIMEOUT');
    expect(error.message).toContain('did not accept the write within 200ms');
    expect(error.id).toBe(id.toString());
    storage.stalled = false;
    expect((await rejectionOf(spool.load(id))).code).toBe('SPOOL_NOT_FOUND');
  });

  it('caller deadline wins when earlier', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { store_deadline: '30s', error_latch_duration: '1h' },
    });
    storage.stalled = true;
    const error = await rejectionOf(
      spool.store(SpoolId.generate(), Buffer.from('x'), {
        deadline: Date.now() + 150,
      }),
    );
    expect(error.code).toBe('SPOOL_DEADLINE_EXCEEDED');
    expect(error.message).toContain('caller-provided deadline');
  });

  it('store_deadline wins when earlier', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { store_deadline: '150ms', error_latch_duration: '1h' },
    });
    storage.stalled = true;
    const error = await rejectionOf(
      spool.store(SpoolId.generate(), Buffer.from('x'), {
        deadline: new Date(Date.now() + 60_000),
      }),
    );
    expect(error.code).toBe('SPOOL_BACKPRESSURE_TIMEOUT');
    expect(error.message).toContain('within 150ms');
  });

  it('remove times out under a stall', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { store_deadline: '100ms', error_latch_duration: '1h' },
    });
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('kept'));
    storage.stalled = true;
    // Writes reuse a stall reading for 1 ms; let the store's reading expire.
    await sleep(5);
    expect((await rejectionOf(spool.remove(id))).code).toBe(
      'SPOOL_BACKPRESSURE_TIMEOUT',
    );
    storage.stalled = false;
    expect((await spool.load(id)).toString()).toBe('kept');
  });

  it('writes once the stall lifts', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { store_deadline: '20s' },
    });
    const id = SpoolId.generate();
    storage.stalled = true;
    let settled = false;
    const stored = spool.store(id, Buffer.from('late')).finally(() => {
      settled = true;
    });
    await sleep(100);
    expect(settled).toBe(false);
    storage.stalled = false;
    await stored;
    expect((await spool.load(id)).toString()).toBe('late');
  });

  it('close ends waiting writes', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { store_deadline: '60s', limit_concurrent_stores: 1 },
    });
    storage.stalled = true;
    const stalled = rejectionOf(
      spool.store(SpoolId.generate(), Buffer.from('a')),
    );
    const queued = rejectionOf(
      spool.store(SpoolId.generate(), Buffer.from('b')),
    );
    await sleep(50);
    await spool.close();
    expect((await stalled).code).toBe('SPOOL_CLOSED');
    expect((await queued).code).toBe('SPOOL_CLOSED');
  });

  it('treats a delayed write rate as a stall', async () => {
    class DelayedStorage extends BindingStorage {
      override getProperty(name: string): string {
        return name === 'rocksdb.actual-delayed-write-rate'
          ? '16777216'
          : super.getProperty(name);
      }
    }
    const spool = await openTestSpool({
      rocksParams: { store_deadline: '100ms', error_latch_duration: '1h' },
      createStorage: (location) => new DelayedStorage(location),
    });
    expect(
      (await rejectionOf(spool.store(SpoolId.generate(), Buffer.from('x'))))
        .code,
    ).toBe('SPOOL_BACKPRESSURE_TIMEOUT');
  });

  it('limit_concurrent_stores times out waiting', async () => {
    const { spool, storage } = await openStallableSpool({
      rocksParams: { limit_concurrent_stores: 1, store_deadline: '20s' },
    });
    storage.stalled = true;
    const first = spool.store(SpoolId.generate(), Buffer.from('first'));
    const error = await rejectionOf(
      spool.store(SpoolId.generate(), Buffer.from('second'), {
        deadline: Date.now() + 150,
      }),
    );
    expect(error.code).toBe('SPOOL_DEADLINE_EXCEEDED');
    storage.stalled = false;
    await first;
    // The permit the timed-out store would have taken is back.
    await spool.store(SpoolId.generate(), Buffer.from('third'));
  });

  it('limit_concurrent_stores bounds stores', async () => {
    let running = 0;
    let peak = 0;
    class CountingStorage extends BindingStorage {
      override async put(
        key: Buffer,
        value: Buffer,
        options: { sync: boolean },
      ): Promise<void> {
        running += 1;
        peak = Math.max(peak, running);
        try {
          await sleep(5);
          await super.put(key, value, options);
        } finally {
          running -= 1;
        }
      }
    }
    const spool = await openTestSpool({
      rocksParams: { limit_concurrent_stores: 2 },
      createStorage: (location) => new CountingStorage(location),
    });
    const ids = Array.from({ length: 20 }, () => SpoolId.generate());
    await Promise.all(ids.map((id) => spool.store(id, Buffer.from('x'))));
    expect(peak).toBe(2);
  });

  it('limit_concurrent_loads bounds loads', async () => {
    let running = 0;
    let peak = 0;
    class CountingStorage extends BindingStorage {
      override async get(key: Buffer): Promise<Buffer | undefined> {
        running += 1;
        peak = Math.max(peak, running);
        try {
          await sleep(5);
          return await super.get(key);
        } finally {
          running -= 1;
        }
      }
    }
    const spool = await openTestSpool({
      rocksParams: { limit_concurrent_loads: 2 },
      createStorage: (location) => new CountingStorage(location),
    });
    const ids = Array.from({ length: 20 }, () => SpoolId.generate());
    await Promise.all(ids.map((id) => spool.store(id, Buffer.from('x'))));
    await Promise.all(ids.map((id) => spool.load(id)));
    expect(peak).toBe(2);
  });

  it('limit_concurrent_removes bounds removes', async () => {
    let running = 0;
    let peak = 0;
    class CountingStorage extends BindingStorage {
      override async del(
        key: Buffer,
        options: { sync: boolean },
      ): Promise<void> {
        running += 1;
        peak = Math.max(peak, running);
        try {
          await sleep(5);
          await super.del(key, options);
        } finally {
          running -= 1;
        }
      }
    }
    const spool = await openTestSpool({
      rocksParams: { limit_concurrent_removes: 3 },
      createStorage: (location) => new CountingStorage(location),
    });
    const ids = Array.from({ length: 30 }, () => SpoolId.generate());
    await Promise.all(ids.map((id) => spool.remove(id)));
    expect(peak).toBe(3);
  });
});
