import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { defaultLocalDiskFs, type LocalDiskFs } from '../src/fs-layer.js';
import { makeTempDir, openSpool, systemError } from './helpers.js';

/**
 * Wraps the real fs layer to record which paths get fsync and fdatasync.
 * Each directory fsync first waits `directoryDelayMs`, so that concurrent
 * stores overlap there, and the first fsync of `failOnce` then fails with
 * EIO.
 */
function recordingFs(directoryDelayMs = 0, failOnce?: string) {
  let failed = false;
  const calls = { fsync: [] as string[], fdatasync: [] as string[] };
  const fs: LocalDiskFs = {
    ...defaultLocalDiskFs,
    open: async (target, flags, mode) => {
      const handle = await defaultLocalDiskFs.open(target, flags, mode);
      return new Proxy(handle, {
        get(real, property) {
          if (property === 'sync' || property === 'datasync') {
            return async () => {
              calls[property === 'sync' ? 'fsync' : 'fdatasync'].push(target);
              if (property === 'sync' && directoryDelayMs > 0) {
                await setTimeout(directoryDelayMs);
              }
              if (property === 'sync' && target === failOnce && !failed) {
                failed = true;
                throw systemError('EIO', 'fsync', target);
              }
              await real[property]();
            };
          }
          const value = Reflect.get(real, property);
          return typeof value === 'function' ? value.bind(real) : value;
        },
      });
    },
  };
  const reset = () => {
    calls.fsync.length = 0;
    calls.fdatasync.length = 0;
  };
  return { fs, calls, reset };
}

/** The directories from the entry's own up to the spool root, deepest first. */
function chainUp(dir: string, id: SpoolId): string[] {
  const chain: string[] = [];
  for (
    let current = path.dirname(path.join(dir, 'data', id.relativePath()));
    current !== path.dirname(dir);
  ) {
    chain.push(current);
    current = path.dirname(current);
  }
  return chain;
}

/** An id in the same `aa/bb/cc/` directory as `id` but another `dd/`. */
function sibling(id: SpoolId): SpoolId {
  const text = id.toString();
  const last = ((Number.parseInt(text.slice(6, 8), 16) + 1) % 256)
    .toString(16)
    .padStart(2, '0');
  return SpoolId.parse(text.slice(0, 6) + last + text.slice(8));
}

describe('directory fsync', () => {
  it('syncs nothing without sync', async () => {
    const recorder = recordingFs();
    const spool = await openSpool({ fs: recorder.fs });
    recorder.reset();

    await spool.store(SpoolId.generate(), Buffer.from('x'));

    expect(recorder.calls).toEqual({ fsync: [], fdatasync: [] });
  });

  it('syncs the file and every new name', async () => {
    const dir = makeTempDir();
    const recorder = recordingFs();
    const spool = await openSpool({ path: dir, fs: recorder.fs });
    recorder.reset();
    const id = SpoolId.generate();

    await spool.store(id, Buffer.from('x'), { sync: true });

    expect(recorder.calls.fdatasync).toHaveLength(1);
    expect(recorder.calls.fdatasync[0]?.startsWith(path.join(dir, 'new'))).toBe(
      true,
    );
    expect(recorder.calls.fsync).toEqual(chainUp(dir, id));
  });

  it('syncs only the names not yet durable', async () => {
    const dir = makeTempDir();
    const recorder = recordingFs();
    const spool = await openSpool({ path: dir, fs: recorder.fs, flush: true });
    const first = SpoolId.generate();
    await spool.store(first, Buffer.from('x'));
    recorder.reset();
    const second = sibling(first);

    await spool.store(second, Buffer.from('y'));

    expect(recorder.calls.fsync).toEqual(chainUp(dir, second).slice(0, 2));
  });

  it('syncs names another store created', async () => {
    const dir = makeTempDir();
    const recorder = recordingFs();
    const spool = await openSpool({ path: dir, fs: recorder.fs });
    const first = SpoolId.generate();
    await spool.store(first, Buffer.from('x'));
    recorder.reset();

    await spool.store(first, Buffer.from('y'), { sync: true });

    expect(recorder.calls.fsync).toEqual(chainUp(dir, first));
  });

  it('shares the fsync of a parent with a concurrent store', async () => {
    const dir = makeTempDir();
    const recorder = recordingFs(50);
    const spool = await openSpool({ path: dir, fs: recorder.fs });
    recorder.reset();
    const first = SpoolId.generate();
    const second = sibling(first);

    await Promise.all([
      spool.store(first, Buffer.from('x'), { sync: true }),
      spool.store(second, Buffer.from('y'), { sync: true }),
    ]);

    // Each entry's own directory and its parent (the new `dd/`'s name) are
    // synced for each store; the shared levels above are synced once.
    const [own, parent, ...shared] = chainUp(dir, first);
    const [secondOwn] = chainUp(dir, second);
    expect([...recorder.calls.fsync].sort()).toEqual(
      [own, secondOwn, parent, parent, ...shared].sort(),
    );
    expect((await spool.load(first)).toString()).toBe('x');
    expect((await spool.load(second)).toString()).toBe('y');
  });

  it('makes its own fsync when the shared one fails', async () => {
    const dir = makeTempDir();
    const first = SpoolId.generate();
    const second = sibling(first);
    const [, , shared] = chainUp(dir, first);
    const recorder = recordingFs(50, shared);
    const spool = await openSpool({ path: dir, fs: recorder.fs });
    recorder.reset();

    const results = await Promise.allSettled([
      spool.store(first, Buffer.from('x'), { sync: true }),
      spool.store(second, Buffer.from('y'), { sync: true }),
    ]);

    // The store whose fsync failed rejects; the one that waited for it
    // syncs the same directory again and succeeds.
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect((failed[0] as PromiseRejectedResult).reason.code).toBe('SPOOL_IO');
    expect(recorder.calls.fsync.filter((p) => p === shared)).toHaveLength(2);
  });

  it('syncs a removal with flush', async () => {
    const dir = makeTempDir();
    const recorder = recordingFs();
    const spool = await openSpool({ path: dir, fs: recorder.fs, flush: true });
    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('x'));
    recorder.reset();

    await spool.remove(id);

    expect(recorder.calls.fsync).toEqual(chainUp(dir, id).slice(0, 1));
  });
});
