import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { openRocksDbSpool } from '../src/index.js';
import { rejectionOf, tempDir } from './helpers.js';

describe('openRocksDbSpool', () => {
  it('second open in this process is SPOOL_LOCKED', async () => {
    const path = join(await tempDir(), 'spool');
    const first = await openRocksDbSpool({ name: 'data', path });
    try {
      const error = await rejectionOf(openRocksDbSpool({ name: 'meta', path }));
      expect(error.code).toBe('SPOOL_LOCKED');
      expect(error.spool).toBe('meta');
      expect(error.message).toContain(`spool 'meta' at ${path} is locked`);
      expect(error.message).toContain(join(path, 'LOCK'));
      expect(error.message).toContain('close that spool');
      if (existsSync('/proc/locks')) {
        expect(error.message).toContain(
          `another open spool in this process (pid ${process.pid})`,
        );
      }
    } finally {
      await first.close();
    }
    const again = await openRocksDbSpool({ name: 'meta', path });
    await again.close();
  });

  it('corrupt CURRENT is SPOOL_CORRUPT', async () => {
    const path = join(await tempDir(), 'spool');
    const spool = await openRocksDbSpool({ name: 'data', path });
    await spool.store(SpoolId.generate(), Buffer.from('x'), { sync: true });
    await spool.close();
    await writeFile(join(path, 'CURRENT'), 'no newline here');
    const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));
    expect(error.code).toBe('SPOOL_CORRUPT');
    expect(error.message).toContain('is corrupt');
    expect(error.message).toContain(path);
    expect(error.message).toContain('move it aside');
  });

  it('path below a file is SPOOL_DIRECTORY_UNUSABLE', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), '');
    const path = join(dir, 'file', 'spool');
    const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));
    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain(`spool directory ${path}`);
    expect(error.message).toContain('ENOTDIR');
    expect(error.message).toContain(
      `its nearest existing parent ${join(dir, 'file')} has owner`,
    );
  });

  it('probe leaves no files', async () => {
    const path = join(await tempDir(), 'spool');
    const spool = await openRocksDbSpool({ name: 'data', path });
    await spool.close();
    const names = await readdir(path);
    expect(names.filter((name) => name.includes('probe'))).toEqual([]);
    expect(names).toContain('CURRENT');
  });

  it('invalid rocks_params rejects before opening', async () => {
    const path = join(await tempDir(), 'spool');
    const error = await rejectionOf(
      openRocksDbSpool({
        name: 'data',
        path,
        rocksParams: { compression_type: 'Zstd' },
      }),
    );
    expect(error.code).toBe('SPOOL_INVALID_DEFINITION');
    await expect(readdir(path)).rejects.toThrow(/ENOENT/);
  });
});

describe('openRocksDbSpool on paths the file system rejects', () => {
  // Node's recursive mkdir never returns for a path under /proc.
  it.skipIf(!existsSync('/proc/self'))('folder under /proc', async () => {
    const path = `/proc/spoolkit-test-${process.pid}/spool`;
    const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));
    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.path).toBe(path);
    expect(error.message).toContain('ENOENT');
    expect(error.message).toContain('takes no new directories');
  });

  it('name that is too long', async () => {
    const path = join(await tempDir(), 'x'.repeat(300));
    const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));
    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain('ENAMETOOLONG');
    expect(error.message).toContain('choose a shorter path');
  });
});

describe('openRocksDbSpool over another kind', () => {
  it('refuses a directory with a LocalDisk spool', async () => {
    const path = join(await tempDir(), 'spool');
    await mkdir(join(path, 'data'), { recursive: true });
    await writeFile(join(path, 'lock'), `${process.pid}\n`);

    const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.spool).toBe('data');
    expect(error.message).toContain('contains a LocalDisk spool');
    expect(error.message).toContain("set kind = 'LocalDisk'");
    expect((await readdir(path)).sort()).toEqual(['data', 'lock']);
  });
});
