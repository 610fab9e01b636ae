import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileIdentity, PathWatch, type WatchedPath } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function watched(target: string, name: string): WatchedPath {
  return {
    path: target,
    identity: fileIdentity(statSync(target)),
    missingReason: `${name} missing`,
    replacedReason: `${name} replaced`,
  };
}

function twoDirectories() {
  const root = mkdtempSync(path.join(tmpdir(), 'spoolkit-watch-'));
  dirs.push(root);
  const first = path.join(root, 'first');
  const second = path.join(root, 'second');
  mkdirSync(first);
  mkdirSync(second);
  return { first, second };
}

describe('PathWatch', () => {
  it('has no reason while nothing changed', async () => {
    const { first, second } = twoDirectories();
    const watch = new PathWatch([
      watched(first, 'first'),
      watched(second, 'second'),
    ]);

    await watch.check();

    expect(watch.reason).toBeUndefined();
  });

  it('reports the first changed path', async () => {
    const { first, second } = twoDirectories();
    const watch = new PathWatch([
      watched(first, 'first'),
      watched(second, 'second'),
    ]);

    renameSync(second, `${second}.moved`);
    mkdirSync(second);
    await watch.check();
    expect(watch.reason).toBe('second replaced');

    renameSync(first, `${first}.moved`);
    await watch.check();
    expect(watch.reason).toBe('first missing');

    renameSync(`${first}.moved`, first);
    rmSync(second, { recursive: true });
    renameSync(`${second}.moved`, second);
    await watch.check();
    expect(watch.reason).toBeUndefined();
  });

  it('tells a file from the directory it replaced', async () => {
    const { first } = twoDirectories();
    const watch = new PathWatch([watched(first, 'first')]);

    // The file may get the deleted directory's inode number.
    rmSync(first, { recursive: true });
    writeFileSync(first, '');
    await watch.check();

    expect(watch.reason).toBe('first replaced');
  });

  it('treats ENOTDIR as missing', async () => {
    const { first } = twoDirectories();
    const inside = path.join(first, 'inside');
    mkdirSync(inside);
    const watch = new PathWatch([watched(inside, 'inside')]);

    rmSync(first, { recursive: true });
    writeFileSync(first, '');
    await watch.check();

    expect(watch.reason).toBe('inside missing');
  });

  it('keeps its reason on other errors', async () => {
    const { first } = twoDirectories();
    let failWith: string | undefined;
    // Only EACCES and EIO are injected: root passes permission checks, and a real EIO needs a failing disk.
    const watch = new PathWatch([watched(first, 'first')], async (target) => {
      if (failWith !== undefined) {
        throw Object.assign(new Error(`${failWith}: ${target}`), {
          code: failWith,
        });
      }
      return statSync(target);
    });

    failWith = 'EACCES';
    await watch.check();
    expect(watch.reason).toBeUndefined();

    renameSync(first, `${first}.moved`);
    failWith = undefined;
    await watch.check();
    expect(watch.reason).toBe('first missing');

    failWith = 'EIO';
    renameSync(`${first}.moved`, first);
    await watch.check();
    expect(watch.reason).toBe('first missing');
  });
});
