import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { type SpoolEntry, SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { openRocksDbSpool } from '../src/index.js';
import { toOpenOptions } from '../src/open-options.js';
import { parseRocksParams } from '../src/params.js';
import { BindingStorage } from '../src/storage.js';
import { openTestSpool, rejectionOf, tempDir } from './helpers.js';

async function collect(
  iterable: AsyncIterable<SpoolEntry>,
): Promise<SpoolEntry[]> {
  const entries: SpoolEntry[] = [];
  for await (const entry of iterable) {
    entries.push(entry);
  }
  return entries;
}

async function storeMany(
  spool: { store(id: SpoolId, data: Uint8Array): Promise<void> },
  count: number,
): Promise<SpoolId[]> {
  const ids = Array.from({ length: count }, () => SpoolId.generate());
  await Promise.all(
    ids.map((id) => spool.store(id, Buffer.from(id.toString()))),
  );
  return ids;
}

describe('enumerate', () => {
  it('yields every entry created before', async () => {
    const spool = await openTestSpool();
    const ids = await storeMany(spool, 100);
    const later = new Date(Date.now() + 1000);
    const entries = await collect(spool.enumerate({ createdBefore: later }));
    expect(entries).toHaveLength(100);
    const seen = new Set<string>();
    for (const entry of entries) {
      expect(entry.type).toBe('item');
      if (entry.type === 'item') {
        expect(entry.data.toString()).toBe(entry.id.toString());
        seen.add(entry.id.toString());
      }
    }
    expect(seen).toEqual(new Set(ids.map(String)));
  });

  it('defaults createdBefore to open time', async () => {
    const path = join(await tempDir(), 'spool');
    const first = await openRocksDbSpool({ name: 'data', path });
    await storeMany(first, 10);
    await first.close();
    const spool = await openRocksDbSpool({ name: 'data', path });
    try {
      await storeMany(spool, 5);
      expect(await collect(spool.enumerate())).toHaveLength(10);
    } finally {
      await spool.close();
    }
  });

  it('skips entries created later', async () => {
    const spool = await openTestSpool();
    await storeMany(spool, 10);
    const cutoff = new Date(Date.now() - 60_000);
    expect(await collect(spool.enumerate({ createdBefore: cutoff }))).toEqual(
      [],
    );
  });

  it('reports corrupt keys and continues', async () => {
    const path = join(await tempDir(), 'spool');
    const spool = await openRocksDbSpool({ name: 'data', path });
    const ids = await storeMany(spool, 20);
    await spool.close();

    // Write stray keys straight through the binding, as another tool might.
    const raw = new BindingStorage(path);
    await raw.open(toOpenOptions(parseRocksParams({}, 'data')));
    await raw.put(Buffer.from([1, 2, 3, 4, 5]), Buffer.from('short'), {
      sync: true,
    });
    const v4Bytes = randomBytes(16);
    v4Bytes[6] = ((v4Bytes[6] as number) & 0x0f) | 0x40;
    const v4 = SpoolId.fromBytes(v4Bytes);
    await raw.put(v4.toBytes(), Buffer.from('random'), { sync: true });
    await raw.close();

    const reopened = await openRocksDbSpool({ name: 'data', path });
    try {
      const later = new Date(Date.now() + 1000);
      const entries = await collect(
        reopened.enumerate({ createdBefore: later }),
      );
      const corrupt = entries.filter((entry) => entry.type === 'corrupt');
      const items = entries.filter((entry) => entry.type === 'item');
      expect(items).toHaveLength(ids.length);
      expect(corrupt).toHaveLength(2);
      const short = corrupt.find((entry) => entry.id === undefined);
      expect(short?.error.code).toBe('SPOOL_CORRUPT');
      expect(short?.error.message).toContain('5-byte key 0102030405');
      const timeless = corrupt.find((entry) => entry.id !== undefined);
      expect(timeless?.id?.toString()).toBe(v4.toString());
      expect(timeless?.error.code).toBe('SPOOL_CORRUPT');
      expect(timeless?.error.message).toContain('version 4');
      expect(reopened.unhealthyReason()).toBeUndefined();
    } finally {
      await reopened.close();
    }
  });

  it('releases on break', async () => {
    const spool = await openTestSpool();
    await storeMany(spool, 50);
    const later = new Date(Date.now() + 1000);
    let count = 0;
    for await (const _entry of spool.enumerate({ createdBefore: later })) {
      count += 1;
      if (count === 3) {
        break;
      }
    }
    expect(count).toBe(3);
    // close() waits for open walks, so it only resolves if break released this one.
    await spool.close();
  });

  it('releases on throw', async () => {
    const spool = await openTestSpool();
    await storeMany(spool, 50);
    const later = new Date(Date.now() + 1000);
    const walk = async () => {
      for await (const _entry of spool.enumerate({ createdBefore: later })) {
        throw new Error('consumer failed');
      }
    };
    await expect(walk()).rejects.toThrow('consumer failed');
    await spool.close();
  });

  it('stops on abort', async () => {
    const spool = await openTestSpool();
    await storeMany(spool, 50);
    const controller = new AbortController();
    const later = new Date(Date.now() + 1000);
    let count = 0;
    for await (const _entry of spool.enumerate({
      createdBefore: later,
      signal: controller.signal,
    })) {
      count += 1;
      if (count === 5) {
        controller.abort();
      }
    }
    expect(count).toBe(5);
    await spool.close();
  });

  it('close ends an idle walk', async () => {
    const spool = await openTestSpool();
    await storeMany(spool, 50);
    const walk = spool.enumerate({
      createdBefore: new Date(Date.now() + 1000),
    });
    const iterator = walk[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await spool.close();
    expect((await rejectionOf(iterator.next())).code).toBe('SPOOL_CLOSED');
  });

  it('rejects a walk begun after close', async () => {
    const spool = await openTestSpool();
    await spool.close();
    expect((await rejectionOf(collect(spool.enumerate()))).code).toBe(
      'SPOOL_CLOSED',
    );
  });

  it('keeps memory bounded', async () => {
    const spool = await openTestSpool({
      rocksParams: { write_buffer_size: 1024 * 1024 },
    });
    const value = Buffer.alloc(256 * 1024, 7);
    for (let index = 0; index < 200; index += 1) {
      await spool.store(SpoolId.generate(), value);
    }
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    let count = 0;
    const later = new Date(Date.now() + 1000);
    for await (const _entry of spool.enumerate({ createdBefore: later })) {
      count += 1;
      if (count % 20 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }
    }
    expect(count).toBe(200);
    // 200 entries are 50 MiB; a walk that read ahead without bound would hold most of them.
    expect(peak - before).toBeLessThan(8 * 1024 * 1024);
  });
});
