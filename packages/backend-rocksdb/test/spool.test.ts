import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolId, SpoolRegistry, type StoreOptions } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { backend, openRocksDbSpool } from '../src/index.js';
import { BindingStorage, type WriteOptions } from '../src/storage.js';
import { openTestSpool, rejectionOf, tempDir } from './helpers.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) {
    items.push(item);
  }
  return items;
}

describe('RocksDbSpool', () => {
  it('stores and loads 100 entries', async () => {
    const spool = await openTestSpool();
    const ids = Array.from({ length: 100 }, () => SpoolId.generate());
    for (const [index, id] of ids.entries()) {
      await spool.store(id, Buffer.from(`entry ${index}`));
    }
    for (const [index, id] of ids.entries()) {
      expect((await spool.load(id)).toString()).toBe(`entry ${index}`);
    }
    expect(spool.kind).toBe('RocksDB');
    expect(spool.unhealthyReason()).toBeUndefined();
  });

  it('rejects bad store arguments', async () => {
    const spool = await openTestSpool();
    const id = SpoolId.generate();
    const cases: Array<[unknown, unknown]> = [
      [null, {}],
      ['hello', {}],
      [new ArrayBuffer(8), {}],
      [Buffer.from('x'), { deadline: 'soon' }],
    ];
    for (const [data, options] of cases) {
      const error = await rejectionOf(
        spool.store(id, data as Uint8Array, options as StoreOptions),
      );
      expect(error.code).toBe('SPOOL_INVALID_ARGUMENT');
      expect(error.spool).toBe(spool.name);
    }
    expect((await rejectionOf(spool.load(id))).code).toBe('SPOOL_NOT_FOUND');
    await spool.close();
  });

  it('load of missing id is SPOOL_NOT_FOUND', async () => {
    const spool = await openTestSpool();
    const id = SpoolId.generate();
    const error = await rejectionOf(spool.load(id));
    expect(error.code).toBe('SPOOL_NOT_FOUND');
    expect(error.message).toContain(
      `spool 'data' has no entry ${id} (no key in the database at`,
    );
    expect(error.message).toContain('never stored or has been removed');
    expect(error.id).toBe(id.toString());
    expect(error.spool).toBe('data');
  });

  it('overwrites and removes idempotently', async () => {
    const spool = await openTestSpool();
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('one'));
    await spool.store(id, Buffer.from('two'));
    expect((await spool.load(id)).toString()).toBe('two');
    await spool.remove(id);
    await spool.remove(id);
    expect((await rejectionOf(spool.load(id))).code).toBe('SPOOL_NOT_FOUND');
  });

  it('copies stored and loaded bytes', async () => {
    const spool = await openTestSpool();
    const id = SpoolId.generate();
    const data = Buffer.from('original');
    const stored = spool.store(id, data);
    data.write('mutated!');
    await stored;
    const loaded = await spool.load(id);
    loaded.write('changed!');
    expect((await spool.load(id)).toString()).toBe('original');
  });

  it('persists across reopen', async () => {
    const path = join(await tempDir(), 'spool');
    const first = await openRocksDbSpool({ name: 'data', path });
    const ids = Array.from({ length: 50 }, () => SpoolId.generate());
    for (const id of ids) {
      await first.store(id, Buffer.from(id.toString()), { sync: true });
    }
    await first.remove(ids[0] as SpoolId);
    await first.close();

    const second = await openRocksDbSpool({ name: 'data', path });
    try {
      expect((await rejectionOf(second.load(ids[0] as SpoolId))).code).toBe(
        'SPOOL_NOT_FOUND',
      );
      for (const id of ids.slice(1)) {
        expect((await second.load(id)).toString()).toBe(id.toString());
      }
      await second.compact();
    } finally {
      await second.close();
    }

    const third = await openRocksDbSpool({ name: 'data', path });
    try {
      const entries = await collect(third.enumerate());
      expect(entries).toHaveLength(49);
    } finally {
      await third.close();
    }
  });

  it.each([
    [false, undefined, false],
    [false, true, true],
    [true, undefined, true],
    [true, false, true],
  ])('flush %s with sync %s syncs: %s', async (flush, sync, expected) => {
    const writes: WriteOptions[] = [];
    class RecordingStorage extends BindingStorage {
      override put(key: Buffer, value: Buffer, options: WriteOptions) {
        writes.push(options);
        return super.put(key, value, options);
      }
    }
    const spool = await openTestSpool({
      flush,
      createStorage: (location) => new RecordingStorage(location),
    });
    await spool.store(SpoolId.generate(), Buffer.from('x'), { sync });
    expect(writes).toEqual([{ sync: expected }]);
  });

  it('rejects calls after close with SPOOL_CLOSED', async () => {
    const path = join(await tempDir(), 'spool');
    const spool = await openRocksDbSpool({ name: 'data', path });
    const id = SpoolId.generate();
    await spool.close();
    await spool.close();
    const calls: Array<Promise<unknown>> = [
      spool.store(id, Buffer.from('x')),
      spool.load(id),
      spool.remove(id),
      spool.compact(),
      spool.cleanup(),
      spool.adviseLowMemory(),
      collect(spool.enumerate()),
    ];
    for (const call of calls) {
      expect((await rejectionOf(call)).code).toBe('SPOOL_CLOSED');
    }
    expect(() => spool.metrics()).toThrow(/closed/);
  });

  it('rejects a non-SpoolId', async () => {
    const spool = await openTestSpool();
    const error = await rejectionOf(spool.load('abc' as unknown as SpoolId));
    expect(error.code).toBe('SPOOL_INVALID_ARGUMENT');
  });

  it('reports metrics as numbers', async () => {
    const spool = await openTestSpool();
    await spool.store(SpoolId.generate(), Buffer.alloc(1000, 1));
    const metrics = spool.metrics();
    expect(Object.keys(metrics).sort()).toEqual(
      [
        'actualDelayedWriteRate',
        'backgroundErrors',
        'cacheTotal',
        'compactionPending',
        'estimatePendingCompactionBytes',
        'loadShedActive',
        'memTableReadersTotal',
        'memTableTotal',
        'memTableUnflushed',
        'numRunningCompactions',
        'writeStopped',
      ].sort(),
    );
    for (const value of Object.values(metrics)) {
      expect(typeof value).toBe('number');
    }
    expect(metrics.memTableTotal).toBeGreaterThan(1000);
    expect(metrics.memTableUnflushed).toBeGreaterThan(1000);
    expect(metrics.writeStopped).toBe(0);
    expect(metrics.loadShedActive).toBe(0);
  });

  it('adviseLowMemory flushes the memtable', async () => {
    const spool = await openTestSpool();
    for (let index = 0; index < 200; index += 1) {
      await spool.store(SpoolId.generate(), Buffer.alloc(4096, index));
    }
    const before = spool.metrics().memTableUnflushed;
    const freed = await spool.adviseLowMemory();
    expect(before).toBeGreaterThan(800_000);
    expect(spool.metrics().memTableUnflushed).toBeLessThan(before / 10);
    expect(freed).toBeGreaterThan(0);
    const ssts = (await readdir(spool.path)).filter((name) =>
      name.endsWith('.sst'),
    );
    expect(ssts.length).toBeGreaterThan(0);
  });

  it('applies options to RocksDB', async () => {
    const warnings: Array<{ fields: object; message?: string }> = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn(fields: object, message?: string) {
        warnings.push({ fields, message });
      },
    };
    const spool = await openTestSpool({
      logger,
      rocksParams: {
        write_buffer_size: 123_456,
        max_open_files: 321,
        compression_type: 'None',
        log_level: 'Warn',
        increase_parallelism: 4,
        paranoid_checks: true,
      },
    });
    const files = await readdir(spool.path);
    const optionsFile = files.find((name) => name.startsWith('OPTIONS-'));
    const text = await readFile(
      join(spool.path, optionsFile as string),
      'utf8',
    );
    expect(text).toContain('write_buffer_size=123456');
    expect(text).toContain('max_open_files=321');
    expect(text).toContain('compression=kNoCompression');
    expect(text).toContain('info_log_level=WARN_LEVEL');
    expect(text).toContain('paranoid_checks=false');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({
      spool: 'data',
      keys: ['increase_parallelism', 'paranoid_checks'],
    });
  });

  it('defaults to Snappy and no file limit', async () => {
    const spool = await openTestSpool();
    const files = await readdir(spool.path);
    const optionsFile = files.find((name) => name.startsWith('OPTIONS-'));
    const text = await readFile(
      join(spool.path, optionsFile as string),
      'utf8',
    );
    expect(text).toContain('compression=kSnappyCompression');
    expect(text).toContain('max_open_files=-1');
    expect(text).toContain('write_buffer_size=67108864');
    expect(files).toContain('LOG');
  });

  it('opens through the registry', async () => {
    const registry = new SpoolRegistry();
    registry.register(backend);
    const path = join(await tempDir(), 'spool');
    await registry.define({
      name: 'meta',
      path,
      kind: 'RocksDB',
      rocks_params: { store_deadline: '5s' },
    });
    const spool = await registry.open('meta');
    try {
      const id = SpoolId.generate();
      await spool.store(id, Buffer.from('{}'));
      expect((await spool.load(id)).toString()).toBe('{}');
    } finally {
      await registry.closeAll();
    }
  });
});
