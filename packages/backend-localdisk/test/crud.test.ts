import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SpoolError, SpoolId, type SpoolItem } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { openLocalDiskSpool } from '../src/index.js';
import {
  collect,
  future,
  listFiles,
  listNames,
  makeTempDir,
  openSpool,
} from './helpers.js';

describe('store and load', () => {
  it('round-trips bytes', async () => {
    const spool = await openSpool();
    const id = SpoolId.generate();

    await spool.store(id, Buffer.from('hello spool'));

    expect((await spool.load(id)).toString()).toBe('hello spool');
  });

  it('writes the layout with mode 0600', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const id = SpoolId.generate();
    const bytes = Buffer.from([0, 1, 2, 255, 254]);

    await spool.store(id, bytes);

    const file = path.join(dir, 'data', id.relativePath());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(listFiles(path.join(dir, 'data'))).toEqual([id.relativePath()]);
    expect(statSync(file).size).toBe(bytes.length);
    expect(listNames(path.join(dir, 'new'))).toEqual([]);
    expect(listNames(dir).sort()).toEqual(['data', 'lock', 'new']);
  });

  it('overwrites an entry', async () => {
    const spool = await openSpool();
    const id = SpoolId.generate();

    await spool.store(id, Buffer.from('first version, longer'));
    await spool.store(id, Buffer.from('second'));

    expect((await spool.load(id)).toString()).toBe('second');
  });

  it('stores an empty entry', async () => {
    const spool = await openSpool();
    const id = SpoolId.generate();

    await spool.store(id, new Uint8Array(0));

    expect((await spool.load(id)).length).toBe(0);
  });

  it('copies the caller buffer', async () => {
    const spool = await openSpool();
    const id = SpoolId.generate();
    const buffer = Buffer.from('original');

    const pending = spool.store(id, buffer);
    buffer.fill(0x78);
    await pending;
    buffer.write('changed!');

    expect((await spool.load(id)).toString()).toBe('original');
  });

  it('returns a buffer the caller owns', async () => {
    const spool = await openSpool();
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('abc'));

    const first = await spool.load(id);
    first.fill(0);

    expect((await spool.load(id)).toString()).toBe('abc');
  });

  it('rejects a missing id with SPOOL_NOT_FOUND', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const id = SpoolId.generate();

    const error = await spool.load(id).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SpoolError);
    expect((error as SpoolError).code).toBe('SPOOL_NOT_FOUND');
    expect((error as SpoolError).message).toContain(id.toString());
    expect((error as SpoolError).message).toContain(
      path.join(dir, 'data', id.relativePath()),
    );
    expect((error as SpoolError).id).toBe(id.toString());
  });

  it('syncs with flush and with the sync option', async () => {
    const flushed = await openSpool({ flush: true });
    const plain = await openSpool();
    const first = SpoolId.generate();
    const second = SpoolId.generate();

    await flushed.store(first, Buffer.from('flushed'));
    await plain.store(second, Buffer.from('synced'), {
      sync: true,
      deadline: Date.now() + 1000,
    });

    expect((await flushed.load(first)).toString()).toBe('flushed');
    expect((await plain.load(second)).toString()).toBe('synced');
  });

  it('stores many ids concurrently', async () => {
    const spool = await openSpool();
    const ids = Array.from({ length: 300 }, () => SpoolId.generate());

    await Promise.all(
      ids.map((id, index) => spool.store(id, Buffer.from(`entry ${index}`))),
    );

    for (const [index, id] of ids.entries()) {
      expect((await spool.load(id)).toString()).toBe(`entry ${index}`);
    }
  });
});

describe('remove', () => {
  it('deletes an entry', async () => {
    const spool = await openSpool();
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('x'));

    await spool.remove(id);

    await expect(spool.load(id)).rejects.toMatchObject({
      code: 'SPOOL_NOT_FOUND',
    });
  });

  it('is idempotent', async () => {
    const spool = await openSpool({ flush: true });
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('x'));

    await spool.remove(id);
    await spool.remove(id);
    await spool.remove(SpoolId.generate());

    await expect(spool.load(id)).rejects.toMatchObject({
      code: 'SPOOL_NOT_FOUND',
    });
  });
});

describe('argument checks', () => {
  it('rejects a text id', async () => {
    const spool = await openSpool();

    const error = await spool
      .store('d7ef132b5d7711eea8c8000c29c33806' as never, Buffer.from('x'))
      .catch((e) => e);

    expect(error.code).toBe('SPOOL_INVALID_ARGUMENT');
    expect(error.message).toContain('SpoolId.parse');
  });

  it('rejects non-binary data', async () => {
    const spool = await openSpool();

    await expect(
      spool.store(SpoolId.generate(), 'text' as never),
    ).rejects.toMatchObject({
      code: 'SPOOL_INVALID_ARGUMENT',
    });
  });

  it('rejects a bad sync option', async () => {
    const spool = await openSpool();

    await expect(
      spool.store(SpoolId.generate(), Buffer.from('x'), {
        sync: 'yes' as never,
      }),
    ).rejects.toMatchObject({
      code: 'SPOOL_INVALID_ARGUMENT',
    });
  });

  it('rejects a bad id on load and remove', async () => {
    const spool = await openSpool();

    await expect(spool.load({} as never)).rejects.toMatchObject({
      code: 'SPOOL_INVALID_ARGUMENT',
    });
    await expect(spool.remove(undefined as never)).rejects.toMatchObject({
      code: 'SPOOL_INVALID_ARGUMENT',
    });
  });

  it('rejects a bad createdBefore', async () => {
    const spool = await openSpool();

    await expect(
      collect(spool.enumerate({ createdBefore: 'yesterday' as never })),
    ).rejects.toMatchObject({
      code: 'SPOOL_INVALID_ARGUMENT',
    });
  });

  it('rejects unknown options', async () => {
    const dir = makeTempDir();

    await expect(
      openLocalDiskSpool({ name: 'data', path: dir, flsh: true } as never),
    ).rejects.toMatchObject({
      code: 'SPOOL_INVALID_ARGUMENT',
      message: expect.stringContaining(
        'unknown LocalDisk spool option "flsh" (did you mean "flush"?)',
      ),
    });
    await expect(
      openLocalDiskSpool({
        name: 'data',
        path: dir,
        min_free_space: '10%',
      } as never),
    ).rejects.toMatchObject({
      message: expect.stringContaining('(did you mean "minFreeSpace"?)'),
    });
    expect(listNames(dir)).toEqual([]);
  });

  it('names the spool in option errors', async () => {
    const dir = makeTempDir();
    const cases = [
      { flush: 'yes' },
      { diskCheckIntervalMs: 0 },
      { minFreeSpace: '200%' },
    ];

    for (const extra of cases) {
      const error = await openLocalDiskSpool({
        name: 'data',
        path: dir,
        ...extra,
      } as never).catch((caught) => caught);

      expect(error.code, JSON.stringify(extra)).toBe('SPOOL_INVALID_ARGUMENT');
      expect(error.spool, JSON.stringify(extra)).toBe('data');
      expect(error.message, JSON.stringify(extra)).toContain("spool 'data'");
    }
  });
});

describe('enumerate', () => {
  it('yields every entry before the cutoff', async () => {
    const spool = await openSpool();
    const ids = Array.from({ length: 100 }, () => SpoolId.generate());
    await Promise.all(
      ids.map((id) => spool.store(id, Buffer.from(id.toString()))),
    );

    const entries = await collect(spool.enumerate({ createdBefore: future() }));

    expect(entries.every((entry) => entry.type === 'item')).toBe(true);
    const items = entries as SpoolItem[];
    expect(items.map((item) => item.id.toString()).sort()).toEqual(
      ids.map(String).sort(),
    );
    for (const item of items) {
      expect(item.data.toString()).toBe(item.id.toString());
    }
  });

  it('filters by createdBefore', async () => {
    const spool = await openSpool();
    const older = SpoolId.generate();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = SpoolId.generate();
    await spool.store(older, Buffer.from('older'));
    await spool.store(newer, Buffer.from('newer'));

    const entries = await collect(spool.enumerate({ createdBefore: cutoff }));

    expect(entries.map((entry) => entry.id?.toString())).toEqual([
      older.toString(),
    ]);
  });

  it('defaults the cutoff to the open time', async () => {
    const dir = makeTempDir();
    const first = await openLocalDiskSpool({ name: 'data', path: dir });
    const before = SpoolId.generate();
    await first.store(before, Buffer.from('before restart'));
    await first.close();

    const spool = await openSpool({ path: dir });
    const after = SpoolId.generate();
    await spool.store(after, Buffer.from('after restart'));
    const entries = await collect(spool.enumerate());

    expect(entries).toHaveLength(1);
    expect(entries[0]?.id?.toString()).toBe(before.toString());
    expect((entries[0] as SpoolItem).data.toString()).toBe('before restart');
  });

  it('finds entries after a restart', async () => {
    const dir = makeTempDir();
    const first = await openLocalDiskSpool({
      name: 'data',
      path: dir,
      flush: true,
    });
    const ids = Array.from({ length: 50 }, () => SpoolId.generate());
    for (const id of ids) {
      await first.store(id, Buffer.from(`body of ${id}`));
    }
    await first.close();

    const spool = await openSpool({ path: dir });
    const items = (await collect(spool.enumerate())) as SpoolItem[];

    expect(items.map((item) => item.id.toString()).sort()).toEqual(
      ids.map(String).sort(),
    );
    for (const item of items) {
      expect(item.data.toString()).toBe(`body of ${item.id}`);
    }
  });

  it('reads an entry KumoMTA wrote', async () => {
    const dir = makeTempDir();
    const entryDir = path.join(dir, 'data', 'd7', 'ef', '13', '2b');
    mkdirSync(entryDir, { recursive: true });
    writeFileSync(
      path.join(entryDir, '5d7711eea8c8000c29c33806'),
      'From: kumod',
    );
    const spool = await openSpool({ path: dir });

    const entries = await collect(spool.enumerate());

    expect(entries).toHaveLength(1);
    expect(entries[0]?.id?.toString()).toBe('d7ef132b5d7711eea8c8000c29c33806');
    expect(entries[0]?.id?.created?.toISOString()).toBe(
      '2023-09-27T20:53:00.032Z',
    );
    expect((entries[0] as SpoolItem).data.toString()).toBe('From: kumod');
  });

  it('yields nothing for an empty spool', async () => {
    const spool = await openSpool();

    expect(await collect(spool.enumerate({ createdBefore: future() }))).toEqual(
      [],
    );
  });

  it('yields an empty file as an empty entry', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const id = SpoolId.generate();
    await spool.store(id, Buffer.alloc(0));

    const entries = await collect(spool.enumerate({ createdBefore: future() }));

    expect(entries).toHaveLength(1);
    expect(entries[0]?.type).toBe('item');
    expect((entries[0] as SpoolItem).data.length).toBe(0);
  });

  it('sees removals made during the walk', async () => {
    const spool = await openSpool();
    const ids = Array.from({ length: 100 }, () => SpoolId.generate());
    await Promise.all(ids.map((id) => spool.store(id, Buffer.from('x'))));

    let seen = 0;
    for await (const entry of spool.enumerate({ createdBefore: future() })) {
      expect(entry.type).toBe('item');
      seen += 1;
      await spool.remove(entry.id as SpoolId);
    }

    expect(seen).toBe(100);
    expect(await collect(spool.enumerate({ createdBefore: future() }))).toEqual(
      [],
    );
    for (const id of ids) {
      await expect(spool.load(id)).rejects.toMatchObject({
        code: 'SPOOL_NOT_FOUND',
      });
    }
  });
});

describe('cleanup', () => {
  it('prunes every empty level in one pass', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const ids = Array.from({ length: 40 }, () => SpoolId.generate());
    await Promise.all(ids.map((id) => spool.store(id, Buffer.from('x'))));
    const kept = ids[0] as SpoolId;
    for (const id of ids.slice(1)) {
      await spool.remove(id);
    }

    await spool.cleanup();

    const dataDir = path.join(dir, 'data');
    expect(listFiles(dataDir)).toEqual([kept.relativePath()]);
    const [a, b, c, d] = kept.relativePath().split('/');
    expect(listNames(dataDir)).toEqual([a]);
    expect(listNames(path.join(dataDir, `${a}`))).toEqual([b]);
    expect(listNames(path.join(dataDir, `${a}`, `${b}`))).toEqual([c]);
    expect(listNames(path.join(dataDir, `${a}`, `${b}`, `${c}`))).toEqual([d]);
  });

  it('keeps the spool usable', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir, flush: true });
    const first = SpoolId.generate();
    await spool.store(first, Buffer.from('x'));
    await spool.remove(first);

    await spool.cleanup();
    expect(listNames(path.join(dir, 'data'))).toEqual([]);
    const second = SpoolId.generate();
    await spool.store(second, Buffer.from('after cleanup'));
    await spool.store(first, Buffer.from('same dirs again'));

    expect((await spool.load(second)).toString()).toBe('after cleanup');
    expect((await spool.load(first)).toString()).toBe('same dirs again');
  });

  it('races stores without losing one', async () => {
    const spool = await openSpool();
    let cleaning = true;
    const cleaner = (async () => {
      let passes = 0;
      while (cleaning) {
        await spool.cleanup();
        passes += 1;
      }
      return passes;
    })();

    const ids: SpoolId[] = [];
    for (let round = 0; round < 40; round += 1) {
      const batch = Array.from({ length: 10 }, () => SpoolId.generate());
      await Promise.all(
        batch.map((id) => spool.store(id, Buffer.from(id.toString()))),
      );
      await Promise.all(batch.slice(0, 5).map((id) => spool.remove(id)));
      ids.push(...batch.slice(5));
    }
    cleaning = false;

    expect(await cleaner).toBeGreaterThan(0);
    for (const id of ids) {
      expect((await spool.load(id)).toString()).toBe(id.toString());
    }
  });
});

describe('maintenance calls', () => {
  it('compacts and frees nothing', async () => {
    const spool = await openSpool();

    await expect(spool.compact()).resolves.toBeUndefined();
    await expect(spool.adviseLowMemory()).resolves.toBe(0);
  });

  it('reports a disk below the minimum', async () => {
    const full = await openSpool({ minFreeSpace: '100%' });
    const roomy = await openSpool({ minFreeSpace: 0, minFreeInodes: 0 });

    expect(full.unhealthyReason()).toMatch(/below min_free_space 100%/);
    expect(roomy.unhealthyReason()).toBeUndefined();
  });

  it('names itself', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir, name: 'meta' });

    expect(spool.name).toBe('meta');
    expect(spool.kind).toBe('LocalDisk');
    expect(spool.path).toBe(dir);
  });

  it('ignores a stray file at the spool root', async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, 'README'), 'not part of the spool');

    const spool = await openSpool({ path: dir });

    expect(await collect(spool.enumerate({ createdBefore: future() }))).toEqual(
      [],
    );
  });
});
