import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLocalDiskSpool } from '../src/index.js';
import {
  faultyFs,
  IS_ROOT,
  listNames,
  makeTempDir,
  NOBODY,
  runFixture,
  systemError,
} from './helpers.js';

interface OpenOutcome {
  opened: boolean;
  code?: string;
  message?: string;
  path?: string;
}

/** A spool directory that `nobody` can reach, owned by `owner` with `mode`. */
function spoolDirFor(owner: 'root' | 'nobody', mode: number): string {
  const parent = makeTempDir();
  chmodSync(parent, 0o755);
  const dir = path.join(parent, 'spool');
  mkdirSync(dir);
  if (owner === 'nobody') {
    chownSync(dir, NOBODY.uid, NOBODY.gid);
  }
  chmodSync(dir, mode);
  return dir;
}

/** Adds a subdirectory owned by root with `mode`. */
function rootOwnedSubdir(dir: string, name: string, mode: number): string {
  const sub = path.join(dir, name);
  mkdirSync(sub);
  chmodSync(sub, mode);
  return sub;
}

async function openAsNobody(dir: string): Promise<OpenOutcome> {
  return runFixture('open-spool.mjs', [dir], NOBODY);
}

describe.skipIf(!IS_ROOT)('unusable directory as nobody', () => {
  it('opens for its owner', async () => {
    const dir = spoolDirFor('nobody', 0o755);

    expect(await openAsNobody(dir)).toEqual({ opened: true });
    expect(listNames(dir).sort()).toEqual(['data', 'lock', 'new']);
  });

  it('rejects a folder it cannot write', async () => {
    const dir = spoolDirFor('root', 0o755);

    const outcome = await openAsNobody(dir);

    expect(outcome.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(outcome.path).toBe(path.join(dir, 'lock'));
    expect(outcome.message).toContain(
      `unable to open the lock file at ${path.join(dir, 'lock')}`,
    );
    expect(outcome.message).toContain('EACCES');
    expect(outcome.message).toContain(
      `directory ${dir} has owner uid 0 gid 0 and mode 0755`,
    );
    expect(outcome.message).toContain('this process has uid 65534');
  });

  it('rejects a data folder it cannot write', async () => {
    const dir = spoolDirFor('nobody', 0o755);
    const dataDir = rootOwnedSubdir(dir, 'data', 0o755);

    const outcome = await openAsNobody(dir);

    expect(outcome.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(outcome.message).toContain(
      'unable to rename a file from new/ into data/',
    );
    expect(outcome.path?.startsWith(dataDir)).toBe(true);
    expect(listNames(path.join(dir, 'new'))).toEqual([]);
  });

  it('rejects a new folder it cannot write', async () => {
    const dir = spoolDirFor('nobody', 0o755);
    const newDir = rootOwnedSubdir(dir, 'new', 0o755);

    const outcome = await openAsNobody(dir);

    expect(outcome.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(outcome.message).toContain('unable to create a file');
    expect(outcome.path?.startsWith(newDir)).toBe(true);
  });

  it('rejects a data folder it cannot list', async () => {
    const dir = spoolDirFor('nobody', 0o755);
    const dataDir = rootOwnedSubdir(dir, 'data', 0o333);

    const outcome = await openAsNobody(dir);

    expect(outcome.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(outcome.message).toContain(
      `unable to list the directory at ${dataDir}`,
    );
    expect(outcome.message).toContain('mode 0333');
  });

  it('rejects a spool folder it cannot list', async () => {
    const dir = spoolDirFor('root', 0o733);

    const outcome = await openAsNobody(dir);

    expect(outcome.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(outcome.message).toContain(`unable to list the directory at ${dir}`);
  });
});

describe('unusable directory', () => {
  it('rejects a path that is a file', async () => {
    const file = path.join(makeTempDir(), 'spool');
    writeFileSync(file, 'not a directory');

    const error = await openLocalDiskSpool({ name: 'data', path: file }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain(
      `unable to create the spool directory at ${file}`,
    );
    expect(error.message).toContain(
      'a file is in the way where a directory is needed; move that file or choose another path',
    );
    expect(error.message).not.toContain('permissions');
  });

  it('rejects a path under a file', async () => {
    const file = path.join(makeTempDir(), 'file');
    writeFileSync(file, 'not a directory');
    const under = path.join(file, 'spool');

    const error = await openLocalDiskSpool({ name: 'data', path: under }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.path).toBe(under);
    expect(error.message).toContain('a file is in the way');
  });

  it('rejects a directory named lock', async () => {
    const dir = makeTempDir();
    mkdirSync(path.join(dir, 'lock'));

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.path).toBe(path.join(dir, 'lock'));
    expect(error.message).toContain(
      'a directory is in the way where a file is needed; move that directory or choose another path',
    );
    expect(error.message).not.toContain('permissions');
  });

  it('rejects a failed listing from the fs layer', async () => {
    const dir = makeTempDir();
    const faulty = faultyFs();
    faulty.faults.opendir = async (target) => {
      throw systemError('EACCES', 'opendir', target);
    };

    const error = await openLocalDiskSpool({
      name: 'data',
      path: dir,
      fs: faulty.fs,
    }).catch((caught) => caught);

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain('unable to list the directory');
    faulty.faults = {};
    const spool = await openLocalDiskSpool({
      name: 'data',
      path: dir,
      fs: faulty.fs,
    });
    await spool.close();
  });

  it('names a read-only file system', async () => {
    const dir = makeTempDir();
    const faulty = faultyFs();
    faulty.faults.mkdir = async (target) => {
      throw systemError('EROFS', 'mkdir', String(target));
    };

    const error = await openLocalDiskSpool({
      name: 'data',
      path: dir,
      fs: faulty.fs,
    }).catch((caught) => caught);

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain('mounted read-only');
  });

  it('rejects a failed fsync from the fs layer', async () => {
    const dir = makeTempDir();
    const faulty = faultyFs();
    faulty.handleFaults.sync = async () => {
      throw systemError('EIO', 'fsync');
    };

    const error = await openLocalDiskSpool({
      name: 'data',
      path: dir,
      fs: faulty.fs,
    }).catch((caught) => caught);

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain('unable to fsync a file');
    expect(listNames(path.join(dir, 'new'))).toEqual([]);
  });
});

describe('paths the file system rejects', () => {
  // Node's recursive mkdir never returns for a path under /proc.
  it.skipIf(!existsSync('/proc/self'))(
    'rejects a folder under /proc',
    async () => {
      const dir = `/proc/spoolkit-test-${process.pid}/spool`;

      const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
        (caught) => caught,
      );

      expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
      expect(error.path).toBe(dir);
      expect(error.message).toContain('ENOENT');
      expect(error.message).toContain('takes no new directories');
    },
  );

  it.each(['new', 'data'])(
    'rejects %s/ as a symbolic link and deletes nothing',
    async (name) => {
      const dir = makeTempDir();
      const outside = makeTempDir();
      writeFileSync(path.join(outside, '.tmp1'), 'keep me');
      symlinkSync(outside, path.join(dir, name));

      const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
        (caught) => caught,
      );

      expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
      expect(error.path).toBe(path.join(dir, name));
      expect(error.message).toContain('is a symbolic link');
      expect(listNames(outside)).toEqual(['.tmp1']);
    },
  );

  it('rejects a name that is too long', async () => {
    const dir = path.join(makeTempDir(), 'x'.repeat(300));

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.spool).toBe('data');
    expect(error.message).toContain('ENAMETOOLONG');
    expect(error.message).toContain('choose a shorter path');
  });
});
