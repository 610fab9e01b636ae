import path from 'node:path';
import { SpoolError, SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import type { LocalDiskFs } from '../src/fs-layer.js';
import {
  type FaultyFs,
  faultyFs,
  listFiles,
  listNames,
  makeTempDir,
  openSpool,
  systemError,
} from './helpers.js';

async function openFaulty(flush = false) {
  const dir = makeTempDir();
  const faulty = faultyFs();
  const spool = await openSpool({ path: dir, fs: faulty.fs, flush });
  return { dir, faulty, spool };
}

/** Stores, expecting a rejection; returns the error. */
async function failStore(
  spool: Awaited<ReturnType<typeof openSpool>>,
  id: SpoolId,
  sync = false,
) {
  const error = await spool.store(id, Buffer.alloc(2048, 1), { sync }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the store should have rejected').toBeInstanceOf(SpoolError);
  return error as SpoolError;
}

/** Checks that nothing of a failed store is left, then that the spool works once the fault is cleared. */
async function expectCleanAndRecovered(
  dir: string,
  faulty: FaultyFs,
  spool: Awaited<ReturnType<typeof openSpool>>,
  id: SpoolId,
) {
  expect(listNames(path.join(dir, 'new'))).toEqual([]);
  expect(listFiles(path.join(dir, 'data'))).toEqual([]);
  await expect(spool.load(id)).rejects.toMatchObject({
    code: 'SPOOL_NOT_FOUND',
  });

  faulty.faults = {};
  faulty.handleFaults = {};
  await spool.store(id, Buffer.from('after the fault'), { sync: true });
  expect((await spool.load(id)).toString()).toBe('after the fault');
}

function expectNamesEverything(error: SpoolError, dir: string, id: SpoolId) {
  expect(error.spool).toBe('data');
  expect(error.id).toBe(id.toString());
  expect(error.path).toBe(path.join(dir, 'data', id.relativePath()));
  expect(error.message).toContain(
    `failed to store ${id} in spool 'data' at ${error.path}`,
  );
  expect(error.cause).toBeDefined();
}

describe('store faults', () => {
  it('maps ENOSPC on write', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.handleFaults.writeFile = async () => {
      throw systemError('ENOSPC', 'write');
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_NO_SPACE');
    expect(error.message).toContain('out of space');
    expect(error.message).toContain('free disk space');
    expectNamesEverything(error, dir, id);
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('maps EDQUOT', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.handleFaults.writeFile = async () => {
      throw systemError('EDQUOT', 'write');
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_NO_SPACE');
    expect(error.message).toContain('quota');
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('maps EIO on fdatasync', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.handleFaults.datasync = async () => {
      throw systemError('EIO', 'fdatasync');
    };

    const error = await failStore(spool, id, true);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('fdatasync');
    expect(error.message).toContain('dmesg');
    expectNamesEverything(error, dir, id);
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('skips fdatasync without sync', async () => {
    const { faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.handleFaults.datasync = async () => {
      throw systemError('EIO', 'fdatasync');
    };

    await spool.store(id, Buffer.from('unsynced'));

    expect((await spool.load(id)).toString()).toBe('unsynced');
  });

  it('names new/ for EACCES on the temp file', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.open = async (target) => {
      throw systemError('EACCES', 'open', String(target));
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('creating the temp file');
    expect(error.message).toContain(`may write ${path.join(dir, 'new')}`);
    expect(error.message).not.toContain('immutable');
  });

  it('mentions file attributes for EPERM', async () => {
    const { faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.open = async (target) => {
      throw systemError('EPERM', 'open', String(target));
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('immutable or append-only');
  });

  it('maps EACCES on a hash directory', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.mkdir = async (target) => {
      throw systemError('EACCES', 'mkdir', target);
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('creating the directory');
    // The advice names the directory mkdir failed on (the highest hash level), not the entry.
    const highest = path.join(dir, 'data', id.relativePath().slice(0, 2));
    expect(error.message).toContain(`may write ${highest} and`);
    expectNamesEverything(error, dir, id);
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('maps a lasting ENOENT on rename', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    let attempts = 0;
    faulty.faults.rename = async (from) => {
      attempts += 1;
      throw systemError('ENOENT', 'rename', from);
    };

    const error = await failStore(spool, id);

    expect(attempts).toBeGreaterThan(1);
    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('renaming');
    expect(error.message).toContain('disappeared');
    expectNamesEverything(error, dir, id);
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('retries one ENOENT on rename', async () => {
    const { faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.rename = async (from) => {
      faulty.faults = {};
      throw systemError('ENOENT', 'rename', from);
    };

    await spool.store(id, Buffer.from('retried'));

    expect((await spool.load(id)).toString()).toBe('retried');
  });

  it('maps EIO on rename', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.rename = async (from) => {
      throw systemError('EIO', 'rename', from);
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('EIO');
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('maps EMFILE', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.open = async (target) => {
      throw systemError('EMFILE', 'open', String(target));
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('ulimit -n');
    expectNamesEverything(error, dir, id);
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('maps EIO on a directory fsync', async () => {
    const { dir, faulty, spool } = await openFaulty(true);
    const id = SpoolId.generate();
    // Stores only fdatasync files, so fsync is called for directories alone.
    faulty.handleFaults.sync = async () => {
      throw systemError('EIO', 'fsync');
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('syncing the directory');
    expect(listNames(path.join(dir, 'new'))).toEqual([]);
  });

  it('keeps the old version when an overwrite fails', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('old version'));
    faulty.handleFaults.writeFile = async () => {
      throw systemError('ENOSPC', 'write');
    };

    await failStore(spool, id);

    expect((await spool.load(id)).toString()).toBe('old version');
    expect(listNames(path.join(dir, 'new'))).toEqual([]);
  });
});

/** Returns a `statfs` that reads the real file system, then replaces `fields`. */
function realStatfsWith(fields: Record<string, number>): LocalDiskFs['statfs'] {
  return async (target) => {
    const real = await import('node:fs/promises').then((fsp) =>
      fsp.statfs(target),
    );
    return Object.assign(
      Object.create(Object.getPrototypeOf(real)),
      real,
      fields,
    );
  };
}

describe('inode exhaustion', () => {
  const noInodes = realStatfsWith({ ffree: 0, files: 1000 });

  it('names inodes when statfs shows none free', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.statfs = noInodes;
    faulty.handleFaults.writeFile = async () => {
      throw systemError('ENOSPC', 'write');
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_NO_INODES');
    expect(error.message).toContain('no free inodes');
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('names inodes when creating a file fails with bytes free', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.open = async (target) => {
      throw systemError('ENOSPC', 'open', String(target));
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_NO_INODES');
    expect(error.message).toContain('inodes');
    expect(error.message).toContain('bytes still free');
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('names inodes when mkdir fails with bytes free', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    faulty.faults.mkdir = async (target) => {
      throw systemError('ENOSPC', 'mkdir', target);
    };

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_NO_INODES');
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });
});

describe('free-space check after a full disk', () => {
  const noBytes = realStatfsWith({ bavail: 0, bfree: 0 });

  it('reports the shortfall when the store rejects', async () => {
    const { dir, faulty, spool } = await openFaulty();
    expect(spool.unhealthyReason()).toBeUndefined();
    faulty.faults.statfs = noBytes;
    faulty.handleFaults.writeFile = async () => {
      throw systemError('ENOSPC', 'write');
    };

    const error = await failStore(spool, SpoolId.generate());

    expect(error.code).toBe('SPOOL_NO_SPACE');
    // The monitor's timer ticks every 5 s, so only the recheck can have set the reason.
    expect(spool.unhealthyReason()).toBe(
      `free disk space at ${dir} is 0 bytes (0%), below min_free_space 10%`,
    );
    await spool.close();
  });
});

describe('recursive mkdir reporting ENOENT', () => {
  /** Fails every recursive mkdir with ENOENT, as Node reports a failed level, and plain ones with `plain`. */
  function failMkdir(faulty: FaultyFs, plain: string | undefined) {
    const calls = { recursive: 0, plain: 0 };
    faulty.faults.mkdir = async (target, options) => {
      if (options?.recursive) {
        calls.recursive += 1;
        throw systemError('ENOENT', 'mkdir', target);
      }
      calls.plain += 1;
      if (plain !== undefined) {
        throw systemError(plain, 'mkdir', target);
      }
      const { mkdir } = await import('node:fs/promises');
      return mkdir(target, options);
    };
    return calls;
  }

  it('finds ENOSPC one level at a time', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    failMkdir(faulty, 'ENOSPC');

    const error = await failStore(spool, id);

    expect(error.code).toBe('SPOOL_NO_INODES');
    expect(error.message).toContain('ENOSPC while creating the directory');
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });

  it('creates the levels after a pruned parent', async () => {
    const { faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    const calls = failMkdir(faulty, undefined);

    await spool.store(id, Buffer.from('created'));

    // The highest hash level, then after the failed recursive mkdir the
    // four hash levels one at a time (the first exists by then).
    expect(calls).toEqual({ recursive: 1, plain: 5 });
    expect((await spool.load(id)).toString()).toBe('created');
  });

  it('retries a lasting ENOENT', async () => {
    const { dir, faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    const calls = failMkdir(faulty, 'ENOENT');

    const error = await failStore(spool, id);

    // The highest level is made without `recursive`, and data/ exists, so each attempt fails there.
    expect(calls.plain).toBeGreaterThan(1);
    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain('disappeared');
    await expectCleanAndRecovered(dir, faulty, spool, id);
  });
});

describe('open faults', () => {
  it('maps EDQUOT on the pid write', async () => {
    const dir = makeTempDir();
    const faulty = faultyFs();
    faulty.handleFaults.write = async () => {
      throw systemError('EDQUOT', 'write');
    };

    const error = await openSpool({ path: dir, fs: faulty.fs }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_NO_SPACE');
    expect(error.path).toBe(path.join(dir, 'lock'));
    expect(error.message).toContain(
      'the disk quota is exceeded (EDQUOT); delete files that count against the quota',
    );
  });
});

describe('load and remove faults', () => {
  it('maps EIO on load', async () => {
    const { faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('x'));
    faulty.faults.readFile = async (target) => {
      throw systemError('EIO', 'read', target);
    };

    const error = await spool.load(id).catch((caught) => caught);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain(`failed to load ${id}`);
  });

  it('maps EACCES on load to read advice', async () => {
    const { faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('x'));
    faulty.faults.readFile = async (target) => {
      throw systemError('EACCES', 'open', target);
    };

    const error = await spool.load(id).catch((caught) => caught);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain(`may read ${error.path}`);
    expect(error.message).toContain('search its parent directories');
    expect(error.message).not.toContain('may write');
  });

  it('maps EACCES on remove', async () => {
    const { faulty, spool } = await openFaulty();
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('x'));
    faulty.faults.unlink = async (target) => {
      throw systemError('EACCES', 'unlink', target);
    };

    const error = await spool.remove(id).catch((caught) => caught);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.message).toContain(`failed to remove ${id}`);
    faulty.faults = {};
    await spool.remove(id);
    await expect(spool.load(id)).rejects.toMatchObject({
      code: 'SPOOL_NOT_FOUND',
    });
  });
});
