import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it, vi } from 'vitest';
import { openTestSpool, rejectionOf, tempDir } from './helpers.js';

/** Opens a spool that checks its directory every 10 ms, with one entry in it. */
async function openChecked() {
  const path = join(await tempDir(), 'spool');
  const spool = await openTestSpool({ path, diskCheckIntervalMs: 10 });
  await spool.store(SpoolId.generate(), Buffer.from('entry'));
  await vi.waitFor(() => expect(spool.unhealthyReason()).toBeUndefined());
  return { path, spool };
}

describe('unhealthyReason() after directory changes', () => {
  it('reports a moved directory', async () => {
    const { path, spool } = await openChecked();
    await rename(path, `${path}.moved`);
    try {
      await vi.waitFor(() =>
        expect(spool.unhealthyReason()).toBe(
          `${path} of spool 'data' is missing: it was deleted, moved or unmounted while the spool was open, so stores from now on go to files that the next open of this path will not find; move it back or remount its file system, otherwise close and reopen the spool, which creates an empty database`,
        ),
      );
    } finally {
      await rename(`${path}.moved`, path);
    }
    await vi.waitFor(() => expect(spool.unhealthyReason()).toBeUndefined());
  });

  it('rejects writes until moved back', async () => {
    const { path, spool } = await openChecked();
    const id = SpoolId.generate();
    await rename(path, `${path}.moved`);
    try {
      await vi.waitFor(() => expect(spool.unhealthyReason()).toBeDefined());

      const stored = await rejectionOf(spool.store(id, Buffer.from('late')));
      expect(stored.code).toBe('SPOOL_UNHEALTHY');
      expect(stored.message).toBe(
        `spool 'data' rejected the store of ${id}: ${spool.unhealthyReason()}`,
      );
      const removed = await rejectionOf(spool.remove(id));
      expect(removed.code).toBe('SPOOL_UNHEALTHY');
    } finally {
      await rename(`${path}.moved`, path);
    }
    await vi.waitFor(() => expect(spool.unhealthyReason()).toBeUndefined());
    await spool.store(id, Buffer.from('after'));
    expect((await spool.load(id)).toString()).toBe('after');
  });

  it('reports a replaced directory', async () => {
    const { path, spool } = await openChecked();
    await rename(path, `${path}.old`);
    await mkdir(path);
    try {
      await vi.waitFor(() =>
        expect(spool.unhealthyReason()).toMatch(
          `${path} of spool 'data' was replaced by another file or directory`,
        ),
      );
    } finally {
      await rm(path, { recursive: true });
      await rename(`${path}.old`, path);
    }
  });

  it('warns of a deleted or replaced LOCK', async () => {
    const { path, spool } = await openChecked();
    const lockFile = join(path, 'LOCK');
    await rm(lockFile);

    await vi.waitFor(() =>
      expect(spool.unhealthyReason()).toBe(
        `RocksDB lock file ${lockFile} of spool 'data' was deleted while the spool held it, so another process can open the same database at the same time and damage it; stop anything else that uses the directory, then close and reopen the spool to lock it again`,
      ),
    );
    await writeFile(lockFile, '');
    await vi.waitFor(() =>
      expect(spool.unhealthyReason()).toMatch(
        `RocksDB lock file ${lockFile} of spool 'data' was replaced while the spool held it`,
      ),
    );
  });
});
