import { SpoolId } from '@spoolkit/core';
import { describe, expect, it, vi } from 'vitest';
import { openLocalDiskSpool } from '../src/index.js';
import { READ_AHEAD_LIMIT } from '../src/walk.js';
import {
  collect,
  countingFs,
  future,
  makeTempDir,
  openFdCount,
  openSpool,
} from './helpers.js';

async function fillSpool(count: number) {
  const dir = makeTempDir();
  const spool = await openSpool({ path: dir });
  await Promise.all(
    Array.from({ length: count }, () =>
      spool.store(SpoolId.generate(), Buffer.from('entry')),
    ),
  );
  return { dir, spool };
}

describe('enumerate release', () => {
  it('releases on early break', async () => {
    const { spool } = await fillSpool(50);
    const baseline = openFdCount();

    let seen = 0;
    for await (const _entry of spool.enumerate({ createdBefore: future() })) {
      seen += 1;
      expect(openFdCount()).toBeGreaterThan(baseline);
      break;
    }

    expect(seen).toBe(1);
    expect(openFdCount()).toBe(baseline);
    await expect(spool.close()).resolves.toBeUndefined();
  });

  it('releases when the loop body throws', async () => {
    const { spool } = await fillSpool(20);
    const baseline = openFdCount();

    const loop = async () => {
      for await (const _entry of spool.enumerate({ createdBefore: future() })) {
        throw new Error('consumer failed');
      }
    };

    await expect(loop()).rejects.toThrow('consumer failed');
    expect(openFdCount()).toBe(baseline);
    await expect(spool.close()).resolves.toBeUndefined();
  });

  it('ends quietly on abort', async () => {
    const { spool } = await fillSpool(50);
    const baseline = openFdCount();
    const controller = new AbortController();

    let seen = 0;
    for await (const _entry of spool.enumerate({
      createdBefore: future(),
      signal: controller.signal,
    })) {
      seen += 1;
      if (seen === 3) {
        controller.abort();
      }
    }

    expect(seen).toBe(3);
    expect(openFdCount()).toBe(baseline);
  });

  it('yields nothing when aborted up front', async () => {
    const { spool } = await fillSpool(5);
    const controller = new AbortController();
    controller.abort();

    expect(
      await collect(
        spool.enumerate({ createdBefore: future(), signal: controller.signal }),
      ),
    ).toEqual([]);
  });

  it('releases a paused walk on abort', async () => {
    const { spool } = await fillSpool(20);
    const baseline = openFdCount();
    const controller = new AbortController();
    const iterator = spool
      .enumerate({ createdBefore: future(), signal: controller.signal })
      [Symbol.asyncIterator]();
    await iterator.next();

    controller.abort();

    await vi.waitFor(() => expect(openFdCount()).toBe(baseline));
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });
});

describe('enumerate bounds', () => {
  it('keeps at most five directories open', async () => {
    const { dir, spool: filler } = await fillSpool(200);
    await filler.close();
    const { faulty, counts } = countingFs();
    const spool = await openSpool({ path: dir, fs: faulty.fs });
    const baseline = openFdCount();
    let maxExtra = 0;

    for await (const _entry of spool.enumerate({ createdBefore: future() })) {
      maxExtra = Math.max(maxExtra, openFdCount() - baseline);
    }

    expect(counts.maxOpenDirs).toBeGreaterThan(0);
    expect(counts.maxOpenDirs).toBeLessThanOrEqual(5);
    expect(counts.openDirs).toBe(0);
    expect(maxExtra).toBeGreaterThan(0);
    // Each entry-file read in flight keeps a descriptor of its own open.
    expect(maxExtra).toBeLessThanOrEqual(5 + READ_AHEAD_LIMIT);
  });
});

describe('close', () => {
  it('waits for stores in flight', async () => {
    const dir = makeTempDir();
    const spool = await openLocalDiskSpool({ name: 'data', path: dir });
    const id = SpoolId.generate();
    const body = Buffer.alloc(4 * 1024 * 1024, 7);

    const stored = spool.store(id, body, { sync: true });
    const closed = spool.close();
    await stored;
    await closed;

    const reopened = await openSpool({ path: dir });
    expect((await reopened.load(id)).equals(body)).toBe(true);
  });

  it('rejects every call afterwards', async () => {
    const dir = makeTempDir();
    const spool = await openLocalDiskSpool({ name: 'data', path: dir });
    const id = SpoolId.generate();
    await spool.close();

    await expect(spool.store(id, Buffer.from('x'))).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
    await expect(spool.load(id)).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
    await expect(spool.remove(id)).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
    await expect(spool.cleanup()).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
    await expect(spool.compact()).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
    await expect(spool.adviseLowMemory()).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
    await expect(collect(spool.enumerate())).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
    const error = await spool.load(id).catch((caught) => caught);
    expect(error.message).toContain(dir);
  });

  it('resolves twice', async () => {
    const spool = await openLocalDiskSpool({
      name: 'data',
      path: makeTempDir(),
    });

    await spool.close();

    await expect(spool.close()).resolves.toBeUndefined();
  });

  it('ends a paused walk', async () => {
    const { spool } = await fillSpool(20);
    const baseline = openFdCount();
    const iterator = spool
      .enumerate({ createdBefore: future() })
      [Symbol.asyncIterator]();
    await iterator.next();

    await spool.close();

    expect(openFdCount()).toBeLessThan(baseline);
    await expect(iterator.next()).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
  });

  it('releases the lock for a reopen', async () => {
    const dir = makeTempDir();
    for (let round = 0; round < 5; round += 1) {
      const spool = await openLocalDiskSpool({ name: 'data', path: dir });
      await spool.close();
    }

    await expect(openSpool({ path: dir })).resolves.toBeDefined();
  });
});
