import path from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { defaultLocalDiskFs, type LocalDiskFs } from '../src/fs-layer.js';
import { makeTempDir, openSpool } from './helpers.js';

/** An fs layer that records which paths get fsync and fdatasync, and otherwise does the real calls. */
function recordingFs() {
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
