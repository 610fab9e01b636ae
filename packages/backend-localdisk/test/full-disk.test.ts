import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openLocalDiskSpool } from '../src/index.js';
import { IS_ROOT, makeTempDir } from './helpers.js';

const mounted: string[] = [];

afterEach(() => {
  for (const target of mounted.splice(0)) {
    execFileSync('umount', [target]);
  }
});

/** Mounts a tmpfs with `options` (such as `size=2m`) on a new temp dir; needs root. */
function mountTmpfs(options: string): string {
  const target = path.join(makeTempDir(), 'mnt');
  mkdirSync(target);
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', target]);
  mounted.push(target);
  return target;
}

/** Creates files in `dir` until the file system refuses with ENOSPC, using bytes or inodes. */
function fillUp(dir: string, chunk: number): string[] {
  const created: string[] = [];
  for (let index = 0; ; index += 1) {
    const file = path.join(dir, `filler-${index}`);
    try {
      writeFileSync(file, randomBytes(chunk));
      created.push(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') {
        throw error;
      }
      rmSync(file, { force: true });
      return created;
    }
  }
}

/** Stores 64 KiB values until one is rejected; returns that error. */
async function storeUntilRejected(spool: {
  store(id: SpoolId, data: Uint8Array): Promise<void>;
}): Promise<{ code?: string }> {
  for (;;) {
    const failure = await spool
      .store(SpoolId.generate(), randomBytes(64 * 1024))
      .then(
        () => undefined,
        (error: { code?: string }) => error,
      );
    if (failure !== undefined) {
      return failure;
    }
  }
}

async function openError(dir: string) {
  return openLocalDiskSpool({ name: 'data', path: dir }).then(
    async (spool) => {
      await spool.close();
      throw new Error(`the spool at ${dir} opened`);
    },
    (error) => error,
  );
}

// NOTE: mounting a tmpfs needs root; skipped otherwise.
describe.skipIf(!IS_ROOT)('full file system', () => {
  it('reports the shortfall when a store rejects', async () => {
    const mount = mountTmpfs('size=2m');
    const dir = path.join(mount, 'spool');
    // A timer this slow cannot be what sets the reason.
    const spool = await openLocalDiskSpool({
      name: 'data',
      path: dir,
      diskCheckIntervalMs: 600_000,
    });
    expect(spool.unhealthyReason()).toBeUndefined();
    const failure = await storeUntilRejected(spool);

    expect(failure.code).toBe('SPOOL_NO_SPACE');
    expect(spool.unhealthyReason()).toMatch(
      new RegExp(
        `^free disk space at ${dir} is \\d+ bytes \\(\\d+%\\), below min_free_space 10%$`,
      ),
    );
    await spool.close();
  });

  it('rejects reopening without space', async () => {
    const mount = mountTmpfs('size=2m');
    const dir = path.join(mount, 'spool');
    const spool = await openLocalDiskSpool({ name: 'data', path: dir });
    const failure = await storeUntilRejected(spool);
    expect(failure.code).toBe('SPOOL_NO_SPACE');
    await spool.close();
    fillUp(mount, 4096);

    const error = await openError(dir);

    expect(error.code).toBe('SPOOL_NO_SPACE');
    expect(error.spool).toBe('data');
    expect(error.message).toContain(`cannot open spool 'data'`);
    expect(error.message).toContain(dir);
    expect(error.message).toContain('out of space (ENOSPC)');
    expect(error.message).toContain('free disk space on the file system');
  });

  it('rejects reopening without inodes', async () => {
    const mount = mountTmpfs('size=10m,nr_inodes=40');
    const dir = path.join(mount, 'spool');
    await (await openLocalDiskSpool({ name: 'data', path: dir })).close();
    fillUp(mount, 0);

    const error = await openError(dir);

    expect(error.code).toBe('SPOOL_NO_INODES');
    expect(error.message).toContain(`cannot open spool 'data'`);
    expect(error.message).toContain(dir);
    expect(error.message).toContain('no free inodes left');
  });

  it('stores without inodes for directories', async () => {
    const mount = mountTmpfs('size=10m,nr_inodes=40');
    const spool = await openLocalDiskSpool({
      name: 'data',
      path: path.join(mount, 'spool'),
    });
    try {
      // One free inode: the temp file gets it, the entry's directories cannot.
      rmSync(fillUp(mount, 0).at(-1) as string);

      const error = await spool
        .store(SpoolId.generate(), Buffer.from('x'))
        .catch((caught) => caught);

      expect(error.code).toBe('SPOOL_NO_INODES');
      expect(error.message).toContain('ENOSPC while creating the directory');
    } finally {
      await spool.close();
    }
  });

  it('names a read-only mount for a missing folder', async () => {
    const mount = mountTmpfs('size=1m');
    execFileSync('mount', ['-o', 'remount,ro', mount]);
    const dir = path.join(mount, 'new', 'spool');

    const error = await openError(dir);

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain('EROFS');
    expect(error.message).toContain('mounted read-only');
    expect(error.message).not.toContain('permissions');
  });
});
