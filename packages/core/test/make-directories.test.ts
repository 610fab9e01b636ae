import {
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MkdirFunction, makeDirectories } from '../src/index.js';

const roots: string[] = [];

function tempRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'spoolkit-mkdir-'));
  roots.push(root);
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) {
    rmSync(root, { recursive: true, force: true });
  }
});

/** Builds an errno error as Node raises it. */
function errnoError(code: string, target: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: mkdir '${target}'`);
  error.code = code;
  return error;
}

describe('makeDirectories', () => {
  it('creates missing levels', async () => {
    const target = path.join(tempRoot(), 'a', 'b', 'c');

    await makeDirectories(target, { mode: 0o750 });

    expect(statSync(target).isDirectory()).toBe(true);
    expect(statSync(target).mode & 0o700).toBe(0o700);
  });

  it('reports a file in the way', async () => {
    const file = path.join(tempRoot(), 'file');
    writeFileSync(file, 'x');

    await expect(
      makeDirectories(path.join(file, 'below')),
    ).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('reports a file at the target', async () => {
    const file = path.join(tempRoot(), 'file');
    writeFileSync(file, 'x');

    await expect(makeDirectories(file)).rejects.toMatchObject({
      code: 'EEXIST',
    });
  });

  it('accepts an existing directory', async () => {
    const root = tempRoot();

    await expect(makeDirectories(root)).resolves.toBeUndefined();
  });

  it('reports the real errno of a level', async () => {
    const root = tempRoot();
    const full = path.join(root, 'full');
    const calls: string[] = [];
    // A full disk fails a new level with ENOSPC, which Node's recursive
    // mkdir would report as ENOENT.
    const faulty: MkdirFunction = async (target, options) => {
      calls.push(`${options.recursive ? 'recursive ' : ''}${target}`);
      if (target.startsWith(full)) {
        throw errnoError('ENOSPC', target);
      }
      return mkdir(target, options);
    };

    await expect(
      makeDirectories(path.join(full, 'x'), { mkdir: faulty }),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(calls).toEqual([path.join(full, 'x')]);
  });

  it('stops where a parent takes no new directory', async () => {
    const root = tempRoot();
    const calls: string[] = [];
    // As under /proc: the parent exists, yet mkdir in it reports ENOENT.
    const virtual: MkdirFunction = async (target, options) => {
      calls.push(target);
      if (target.startsWith(path.join(root, 'a'))) {
        throw errnoError('ENOENT', target);
      }
      return mkdir(target, options);
    };

    await expect(
      makeDirectories(path.join(root, 'a', 'b'), { mkdir: virtual }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    expect(calls).toEqual([
      path.join(root, 'a', 'b'),
      path.join(root, 'a'),
      root,
      path.join(root, 'a'),
    ]);
  });

  it('stops below a dangling symbolic link', async () => {
    const root = tempRoot();
    const link = path.join(root, 'link');
    symlinkSync(path.join(root, 'missing'), link);

    await expect(
      makeDirectories(path.join(link, 'a', 'b')),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });

  // Node's recursive mkdir never returns for this path.
  it.skipIf(!existsSync('/proc/self'))('stops under /proc', async () => {
    await expect(
      makeDirectories(`/proc/spoolkit-test-${process.pid}/spool`),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
