import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { SpoolError, SpoolId } from '@spoolkit/core';
import { describe, expect, it, vi } from 'vitest';
import { collect, makeTempDir, openSpool } from './helpers.js';

/** Opens a spool that checks its layout every 10 ms, with one entry in it. */
async function openChecked() {
  const dir = makeTempDir();
  const spool = await openSpool({ path: dir, diskCheckIntervalMs: 10 });
  await spool.store(SpoolId.generate(), Buffer.from('entry'));
  return { dir, spool, dataDir: path.join(dir, 'data') };
}

async function rejection(promise: Promise<unknown>): Promise<SpoolError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SpoolError);
  return error as SpoolError;
}

describe('deleted data/ directory', () => {
  it('rejects enumerate()', async () => {
    const { spool, dataDir } = await openChecked();
    rmSync(dataDir, { recursive: true });

    const error = await rejection(collect(spool.enumerate()));

    expect(error.code).toBe('SPOOL_IO');
    expect(error.spool).toBe('data');
    expect(error.path).toBe(dataDir);
    expect(error.message).toContain(
      `${dataDir} was deleted, moved or unmounted while the spool was open`,
    );
    expect(error.message).toContain('close and reopen the spool');
  });

  it('rejects cleanup()', async () => {
    const { spool, dataDir } = await openChecked();
    rmSync(dataDir, { recursive: true });

    const error = await rejection(spool.cleanup());

    expect(error.code).toBe('SPOOL_IO');
    expect(error.path).toBe(dataDir);
    expect(error.message).toMatch(/^failed to clean up spool 'data'/);
    expect(error.message).toContain('was deleted, moved or unmounted');
  });

  it('is unhealthy until moved back', async () => {
    const { spool, dataDir } = await openChecked();
    await vi.waitFor(() => expect(spool.unhealthyReason()).toBeUndefined());
    renameSync(dataDir, `${dataDir}.moved`);

    await vi.waitFor(() =>
      expect(spool.unhealthyReason()).toBe(
        `${dataDir} of spool 'data' is missing: it was deleted, moved or unmounted while the spool was open, and the entries in it cannot be reached; move it back or remount its file system, otherwise close and reopen the spool, which creates it again empty`,
      ),
    );
    renameSync(`${dataDir}.moved`, dataDir);
    await vi.waitFor(() => expect(spool.unhealthyReason()).toBeUndefined());
    const everything = { createdBefore: new Date(8.64e15) };
    expect(await collect(spool.enumerate(everything))).toHaveLength(1);
  });
});

describe('writes after data/ moved away', () => {
  it('do not create data/ again before the check', async () => {
    const dir = makeTempDir();
    // The default 5 s interval: no check runs during the test.
    const spool = await openSpool({ path: dir });
    const storedBefore = SpoolId.generate();
    await spool.store(storedBefore, Buffer.from('kept'));
    const dataDir = path.join(dir, 'data');
    renameSync(dataDir, `${dataDir}.moved`);
    const id = SpoolId.generate();

    const error = await rejection(spool.store(id, Buffer.from('late')));

    expect(error.code).toBe('SPOOL_IO');
    expect(error.id).toBe(id.toString());
    expect(error.path).toBe(dataDir);
    expect(error.message).toContain(
      `${dataDir} is missing, so it was deleted, moved or unmounted while the spool was open, and the store did not create it again`,
    );
    expect(existsSync(dataDir)).toBe(false);
    expect(readdirSync(path.join(dir, 'new'))).toEqual([]);
    renameSync(`${dataDir}.moved`, dataDir);
    expect((await spool.load(storedBefore)).toString()).toBe('kept');
  });

  it('do not create data/ again with 64 in flight', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const dataDir = path.join(dir, 'data');
    renameSync(dataDir, `${dataDir}.moved`);
    const ids = Array.from({ length: 64 }, () => SpoolId.generate());

    const results = await Promise.allSettled(
      ids.map((id) => spool.store(id, Buffer.from('late'))),
    );

    const codes = results.map((result) =>
      result.status === 'rejected' ? result.reason.code : 'resolved',
    );
    expect(codes).toEqual(ids.map(() => 'SPOOL_IO'));
    expect(existsSync(dataDir)).toBe(false);
  });

  it('do not report a remove done', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('kept'));
    const dataDir = path.join(dir, 'data');
    renameSync(dataDir, `${dataDir}.moved`);

    const error = await rejection(spool.remove(id));

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain(
      `${dataDir} is missing, so it was deleted, moved or unmounted while the spool was open, and the entry may still be in it`,
    );
    renameSync(`${dataDir}.moved`, dataDir);
    expect((await spool.load(id)).toString()).toBe('kept');
    await spool.remove(id);
    await expect(spool.load(id)).rejects.toMatchObject({
      code: 'SPOOL_NOT_FOUND',
    });
  });

  it('fail with SPOOL_UNHEALTHY once checked', async () => {
    const { spool, dataDir } = await openChecked();
    const id = SpoolId.generate();
    renameSync(dataDir, `${dataDir}.moved`);
    await vi.waitFor(() => expect(spool.unhealthyReason()).toBeDefined());

    const stored = await rejection(spool.store(id, Buffer.from('late')));
    const removed = await rejection(spool.remove(id));

    expect(stored.code).toBe('SPOOL_UNHEALTHY');
    expect(stored.message).toBe(
      `spool 'data' rejected the store of ${id}: ${spool.unhealthyReason()}`,
    );
    expect(removed.code).toBe('SPOOL_UNHEALTHY');
    const loaded = await rejection(spool.load(id));
    expect(loaded.code).toBe('SPOOL_UNHEALTHY');
    expect(loaded.message).toMatch(/^spool 'data' rejected the load of /);
    renameSync(`${dataDir}.moved`, dataDir);
    await vi.waitFor(() => expect(spool.unhealthyReason()).toBeUndefined());
    await spool.store(id, Buffer.from('after'));
    expect((await spool.load(id)).toString()).toBe('after');
  });
});

describe('data/ moved away during a walk', () => {
  it('ends the walk with SPOOL_IO', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    await Promise.all(
      Array.from({ length: 300 }, () =>
        spool.store(SpoolId.generate(), Buffer.from('entry')),
      ),
    );
    const dataDir = path.join(dir, 'data');
    let seen = 0;

    const walk = async () => {
      for await (const entry of spool.enumerate({
        createdBefore: new Date(8.64e15),
      })) {
        expect(entry.type).toBe('item');
        seen += 1;
        if (seen === 20) {
          renameSync(dataDir, `${dataDir}.moved`);
        }
      }
    };
    const error = await rejection(walk());

    expect(error.code).toBe('SPOOL_IO');
    expect(error.path).toBe(dataDir);
    expect(error.message).toContain(`${dataDir} went missing during the walk`);
    expect(seen).toBeLessThan(300);
  });
});

describe('unhealthyReason() after layout changes', () => {
  it('names a replaced spool directory', async () => {
    const { dir, spool } = await openChecked();
    renameSync(dir, `${dir}.old`);
    mkdirSync(dir);
    try {
      await vi.waitFor(() =>
        expect(spool.unhealthyReason()).toMatch(
          `${dir} of spool 'data' was replaced by another file or directory`,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true });
      renameSync(`${dir}.old`, dir);
    }
  });

  it('names a file in place of data/', async () => {
    const { spool, dataDir } = await openChecked();
    rmSync(dataDir, { recursive: true });
    writeFileSync(dataDir, '');

    await vi.waitFor(() =>
      expect(spool.unhealthyReason()).toMatch(
        `${dataDir} of spool 'data' was replaced by another file or directory`,
      ),
    );
  });

  it('names a deleted new/', async () => {
    const { dir, spool } = await openChecked();
    rmSync(path.join(dir, 'new'), { recursive: true });

    await vi.waitFor(() =>
      expect(spool.unhealthyReason()).toMatch(
        `${path.join(dir, 'new')} of spool 'data' is missing`,
      ),
    );
  });

  it('warns of a deleted lock file', async () => {
    const { dir, spool } = await openChecked();
    const lockPath = path.join(dir, 'lock');
    rmSync(lockPath);

    await vi.waitFor(() =>
      expect(spool.unhealthyReason()).toBe(
        `lock file ${lockPath} of spool 'data' was deleted while the spool held it, so another process (kumod too) can lock the spool at the same time; stop anything else that uses the spool directory, then close and reopen the spool to lock it again`,
      ),
    );
    // What the reason warns of: a second spool locks the same directory.
    const second = await openSpool({ path: dir });
    expect(second.unhealthyReason()).toBeUndefined();
  });

  it('warns of a replaced lock file', async () => {
    const { dir, spool } = await openChecked();
    const lockPath = path.join(dir, 'lock');
    rmSync(lockPath);
    writeFileSync(lockPath, '');

    await vi.waitFor(() =>
      expect(spool.unhealthyReason()).toMatch(
        `lock file ${lockPath} of spool 'data' was replaced while the spool held it`,
      ),
    );
  });

  it('comes before a free-space shortfall', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({
      path: dir,
      diskCheckIntervalMs: 10,
      minFreeSpace: '100%',
    });
    expect(spool.unhealthyReason()).toContain('min_free_space 100%');
    rmSync(path.join(dir, 'data'), { recursive: true });

    await vi.waitFor(() =>
      expect(spool.unhealthyReason()).toMatch(
        /data of spool 'data' is missing/,
      ),
    );
  });
});
