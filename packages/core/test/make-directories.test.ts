import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('finds the errno behind ENOENT', async () => {
    const root = tempRoot();
    const full = path.join(root, 'full');
    const calls: string[] = [];
    // Node's recursive mkdir reports ENOENT where a level fails with
    // ENOSPC; this layer forces that pair of errnos on `full`.
    const faulty: MkdirFunction = async (target, options) => {
      calls.push(`${options.recursive ? 'recursive ' : ''}${target}`);
      if (target.startsWith(full)) {
        throw errnoError(options.recursive ? 'ENOENT' : 'ENOSPC', target);
      }
      return mkdir(target, options);
    };

    await expect(
      makeDirectories(path.join(full, 'x'), { mkdir: faulty }),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(calls[0]).toBe(`recursive ${path.join(full, 'x')}`);
    expect(calls.at(-1)).toBe(full);
  });
});
