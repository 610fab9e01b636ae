import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it, vi } from 'vitest';
import { openRocksDbSpool, type RocksDbSpool } from '../src/index.js';
import { rejectionOf, tempDir } from './helpers.js';

/** Mounts a small tmpfs, which needs root and mount rights; returns false where that fails. */
function tryMount(target: string, size: string, extra = ''): boolean {
  try {
    execFileSync(
      'mount',
      ['-t', 'tmpfs', '-o', `size=${size}${extra}`, 'tmpfs', target],
      {
        stdio: 'ignore',
      },
    );
    return true;
  } catch {
    return false;
  }
}

const probeDir = join(await tempDir(), 'probe');
await mkdir(probeDir);
const canMount = tryMount(probeDir, '1m');
if (canMount) {
  execFileSync('umount', [probeDir]);
}

/**
 * Stores until the latch has opened and RocksDB has resumed. A store made
 * after the latch opens but before RocksDB resumes fails and closes the
 * latch again, so this retries until one succeeds.
 */
async function storeWhenRecovered(spool: RocksDbSpool): Promise<void> {
  await vi.waitFor(
    async () => {
      expect(spool.unhealthyReason()).toBeUndefined();
      await spool.store(SpoolId.generate(), Buffer.from('after'), {
        sync: true,
      });
    },
    { timeout: 20_000, interval: 50 },
  );
}

describe('full disk', () => {
  // NOTE: needs root (or CAP_SYS_ADMIN) to mount a tmpfs; skipped otherwise.
  // A large memtable fills the disk while appending to the write-ahead log.
  // With a small one, a flush or a log append fails first, by timing.
  it.skipIf(!canMount).each([
    ['small memtable', 256 * 1024, /\.(sst|log): No space left/],
    ['large memtable', 64 * 1024 * 1024, /\.log: No space left/],
  ])('recovers from full disk, %s', async (_case, writeBufferSize, file) => {
    const mountPoint = join(await tempDir(), 'mnt');
    await mkdir(mountPoint);
    expect(tryMount(mountPoint, '6m')).toBe(true);
    const spool = await openRocksDbSpool({
      name: 'data',
      path: join(mountPoint, 'spool'),
      rocksParams: {
        write_buffer_size: writeBufferSize,
        error_unlatch_duration: '500ms',
      },
      minFreeSpace: { kind: 'percent', percent: 0 },
      healthCheckIntervalMs: 20,
    });
    try {
      const filler = join(mountPoint, 'filler');
      await writeFile(filler, randomBytes(3 * 1024 * 1024));

      const stored: Array<[SpoolId, Buffer]> = [];
      let failure: { code?: string; message: string } | undefined;
      while (failure === undefined) {
        const id = SpoolId.generate();
        const value = randomBytes(64 * 1024);
        failure = await spool.store(id, value, { sync: true }).then(
          () => {
            stored.push([id, value]);
            return undefined;
          },
          (error) => error,
        );
      }
      expect(failure.code).toBe('SPOOL_NO_SPACE');
      expect(failure.message).toContain('No space left on device');
      expect(failure.message).toMatch(file);
      expect(spool.unhealthyReason()).toBe('the spool is not accepting writes');
      expect(
        (await rejectionOf(spool.store(SpoolId.generate(), Buffer.from('x'))))
          .code,
      ).toBe('SPOOL_UNHEALTHY');

      await rm(filler);
      await storeWhenRecovered(spool);
      for (const [id, value] of stored) {
        expect((await spool.load(id)).equals(value)).toBe(true);
      }
    } finally {
      await spool.close();
      execFileSync('umount', [mountPoint]);
    }
  });
});

/** Creates files in `dir` until the file system refuses with ENOSPC, using bytes or inodes. */
function fillUp(dir: string, chunk: number): void {
  for (let index = 0; ; index += 1) {
    try {
      writeFileSync(join(dir, `filler-${index}`), randomBytes(chunk));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
        return;
      }
      throw error;
    }
  }
}

/** Mounts a tmpfs on a new temp dir, runs `body` with it and unmounts it. */
async function withTmpfs(
  size: string,
  extra: string,
  body: (mountPoint: string) => Promise<void>,
): Promise<void> {
  const mountPoint = join(await tempDir(), 'mnt');
  await mkdir(mountPoint);
  expect(tryMount(mountPoint, size, extra)).toBe(true);
  try {
    await body(mountPoint);
  } finally {
    execFileSync('umount', [mountPoint]);
  }
}

// NOTE: needs root (or CAP_SYS_ADMIN) to mount a tmpfs; skipped otherwise.
describe.skipIf(!canMount)('opening on a full file system', () => {
  it('rejects without space', async () => {
    await withTmpfs('2m', '', async (mountPoint) => {
      const path = join(mountPoint, 'spool');
      await (await openRocksDbSpool({ name: 'data', path })).close();
      fillUp(mountPoint, 4096);

      const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));

      expect(error.code).toBe('SPOOL_NO_SPACE');
      expect(error.spool).toBe('data');
      expect(error.message).toContain(`cannot open spool 'data' at ${path}`);
      expect(error.message).toContain('free disk space on the file system');
    });
  });

  it('rejects without inodes', async () => {
    await withTmpfs('10m', ',nr_inodes=40', async (mountPoint) => {
      const path = join(mountPoint, 'spool');
      await (await openRocksDbSpool({ name: 'data', path })).close();
      fillUp(mountPoint, 0);

      const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));

      expect(error.code).toBe('SPOOL_NO_INODES');
      expect(error.message).toContain(`cannot open spool 'data' at ${path}`);
      expect(error.message).toContain('no free inodes left');
    });
  });

  it('names a read-only mount for a missing folder', async () => {
    await withTmpfs('1m', '', async (mountPoint) => {
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      const path = join(mountPoint, 'new', 'spool');

      const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));

      expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
      expect(error.message).toContain('(EROFS)');
      expect(error.message).toContain('mounted read-only');
    });
  });
});
