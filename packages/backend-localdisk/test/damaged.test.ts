import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  type SpoolCorruptEntry,
  SpoolId,
  type SpoolItem,
} from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { openLocalDiskSpool } from '../src/index.js';
import {
  collect,
  faultyFs,
  future,
  listFiles,
  makeTempDir,
  NOBODY,
  openSpool,
  runFixture,
  systemError,
} from './helpers.js';

/** A spool with good entries and one of each kind of damage, and what enumeration should report. */
async function buildDamagedSpool() {
  const dir = makeTempDir();
  const dataDir = path.join(dir, 'data');
  const spool = await openLocalDiskSpool({ name: 'data', path: dir });
  const good = Array.from({ length: 5 }, () => SpoolId.generate());
  for (const id of good) {
    await spool.store(id, Buffer.from(`good ${id}`));
  }
  const truncated = SpoolId.generate();
  await spool.store(truncated, Buffer.from('0123456789'));
  await spool.close();

  const entryPath = (id: SpoolId) => path.join(dataDir, id.relativePath());
  const place = (id: SpoolId) => {
    mkdirSync(path.dirname(entryPath(id)), { recursive: true });
    return entryPath(id);
  };

  const empty = SpoolId.generate();
  writeFileSync(place(empty), '');
  truncateSync(entryPath(truncated), 4);

  const directoryId = SpoolId.generate();
  mkdirSync(place(directoryId));
  writeFileSync(path.join(entryPath(directoryId), 'inner'), 'x');

  const random = SpoolId.parse(randomUUID());
  writeFileSync(place(random), 'version 4 id');

  const linked = SpoolId.generate();
  symlinkSync(entryPath(good[0] as SpoolId), place(linked));

  const unreadable = SpoolId.generate();
  writeFileSync(place(unreadable), 'secret');
  chmodSync(entryPath(unreadable), 0o000);

  mkdirSync(path.join(dataDir, 'zz'));
  mkdirSync(path.join(dataDir, 'AB'));
  writeFileSync(path.join(dataDir, 'README'), 'not an entry');
  mkdirSync(path.join(dataDir, '0a'), { recursive: true });
  writeFileSync(path.join(dataDir, '0a', 'notes.txt'), 'not an entry');
  mkdirSync(path.join(dataDir, '0b', '0c', '0d', '0e'), { recursive: true });
  writeFileSync(
    path.join(dataDir, '0b', '0c', '0d', '0e', 'short-name'),
    'not an entry',
  );

  return {
    dir,
    dataDir,
    good,
    empty,
    truncated,
    unreadable,
    entryPath,
    corruptWithId: new Map([
      [entryPath(directoryId), directoryId],
      [entryPath(random), random],
      [entryPath(linked), linked],
    ]),
    corruptWithoutId: [
      path.join(dataDir, 'zz'),
      path.join(dataDir, 'AB'),
      path.join(dataDir, 'README'),
      path.join(dataDir, '0a', 'notes.txt'),
      path.join(dataDir, '0b', '0c', '0d', '0e', 'short-name'),
    ],
  };
}

describe('damaged tree', () => {
  it('reports each odd entry and yields the rest', async () => {
    const tree = await buildDamagedSpool();
    const faulty = faultyFs();
    faulty.faults.readFile = async (target) => {
      if (target === tree.entryPath(tree.unreadable)) {
        throw systemError('EACCES', 'open', target);
      }
      return (await import('node:fs/promises')).readFile(target);
    };
    const spool = await openSpool({ path: tree.dir, fs: faulty.fs });

    const entries = await collect(spool.enumerate({ createdBefore: future() }));

    const items = entries.filter(
      (entry): entry is SpoolItem => entry.type === 'item',
    );
    const corrupt = entries.filter(
      (entry): entry is SpoolCorruptEntry => entry.type === 'corrupt',
    );
    const itemsById = new Map(
      items.map((item) => [item.id.toString(), item.data.toString()]),
    );
    for (const id of tree.good) {
      expect(itemsById.get(id.toString())).toBe(`good ${id}`);
    }
    expect(itemsById.get(tree.empty.toString())).toBe('');
    expect(itemsById.get(tree.truncated.toString())).toBe('0123');
    expect(items).toHaveLength(tree.good.length + 2);

    for (const entry of corrupt) {
      expect(entry.error.code).toBe('SPOOL_CORRUPT');
      expect(entry.error.message).toContain(entry.path);
      expect(entry.error.path).toBe(entry.path);
    }
    const byPath = new Map(corrupt.map((entry) => [entry.path, entry]));
    for (const [entryPath, id] of tree.corruptWithId) {
      expect(byPath.get(entryPath)?.id?.toString(), entryPath).toBe(
        id.toString(),
      );
    }
    for (const entryPath of tree.corruptWithoutId) {
      expect(byPath.has(entryPath), entryPath).toBe(true);
      expect(byPath.get(entryPath)?.id).toBeUndefined();
    }
    const unreadable = byPath.get(tree.entryPath(tree.unreadable));
    expect(unreadable?.id?.toString()).toBe(tree.unreadable.toString());
    expect(unreadable?.error.message).toContain('cannot be read');
    expect(corrupt).toHaveLength(
      tree.corruptWithId.size + tree.corruptWithoutId.length + 1,
    );
  });

  it('explains each kind of damage', async () => {
    const tree = await buildDamagedSpool();
    const spool = await openSpool({ path: tree.dir });

    const entries = await collect(spool.enumerate({ createdBefore: future() }));

    const messages = entries.flatMap((entry) =>
      entry.type === 'corrupt' ? [entry.error.message] : [],
    );
    expect(
      messages.some((message) =>
        message.includes('is a directory where an entry file should be'),
      ),
    ).toBe(true);
    expect(
      messages.some((message) =>
        message.includes('version 4 UUID, which carries no creation time'),
      ),
    ).toBe(true);
    expect(
      messages.some((message) => message.includes('is not a regular file')),
    ).toBe(true);
    expect(
      messages.some((message) => message.includes('is not a spool id')),
    ).toBe(true);
    expect(
      messages.some((message) => message.includes('is not a hash directory')),
    ).toBe(true);
  });

  it('reports unreadable files to an unprivileged user', async () => {
    const tree = await buildDamagedSpool();
    // A first level no entry uses: one the entries share would hide them.
    const used = new Set(readdirSync(tree.dataDir));
    const level = Array.from({ length: 256 }, (_, byte) =>
      byte.toString(16).padStart(2, '0'),
    ).find((name) => !used.has(name)) as string;
    const blocked = path.join(tree.dataDir, level);
    mkdirSync(path.join(blocked, '00'), { recursive: true });
    chownTree(tree.dir);
    chmodSync(tree.dir, 0o755);
    chmodSync(blocked, 0o000);

    const entries: {
      type: string;
      id?: string;
      path?: string;
      code?: string;
      message?: string;
    }[] = await runFixture('enumerate-spool.mjs', [tree.dir], NOBODY);

    const unreadable = entries.find(
      (entry) => entry.path === tree.entryPath(tree.unreadable),
    );
    expect(unreadable?.type).toBe('corrupt');
    expect(unreadable?.code).toBe('SPOOL_CORRUPT');
    expect(unreadable?.id).toBe(tree.unreadable.toString());
    expect(unreadable?.message).toContain('EACCES');
    expect(unreadable?.message).toContain('give the spool process read access');
    expect(unreadable?.message).not.toContain('or delete it');
    const unlistable = entries.find((entry) => entry.path === blocked);
    expect(unlistable?.type).toBe('corrupt');
    expect(unlistable?.message).toContain('cannot be listed');
    expect(unlistable?.message).toContain('do not delete it');
    const goodIds = entries
      .filter((entry) => entry.type === 'item')
      .map((entry) => entry.id);
    for (const id of tree.good) {
      expect(goodIds).toContain(id.toString());
    }
  });

  it('loads and removes a directory entry', async () => {
    const tree = await buildDamagedSpool();
    const spool = await openSpool({ path: tree.dir });
    const [directoryPath, directoryId] = [...tree.corruptWithId][0] as [
      string,
      SpoolId,
    ];

    await expect(spool.load(directoryId)).rejects.toMatchObject({
      code: 'SPOOL_CORRUPT',
      path: directoryPath,
    });
    await spool.remove(directoryId);

    await expect(spool.load(directoryId)).rejects.toMatchObject({
      code: 'SPOOL_NOT_FOUND',
    });
    expect(
      listFiles(tree.dataDir).some((file) =>
        file.startsWith(directoryId.relativePath()),
      ),
    ).toBe(false);
  });
});

describe('symbolic link entry', () => {
  it('refuses to load through a link', async () => {
    const dir = makeTempDir();
    const outside = path.join(makeTempDir(), 'outside');
    writeFileSync(outside, 'not a spooled message');
    const id = SpoolId.generate();
    const linkPath = path.join(dir, 'data', id.relativePath());
    mkdirSync(path.dirname(linkPath), { recursive: true });
    symlinkSync(outside, linkPath);
    const spool = await openSpool({ path: dir });

    const error = await spool.load(id).catch((caught) => caught);

    expect(error.code).toBe('SPOOL_CORRUPT');
    expect(error.path).toBe(linkPath);
    expect(error.message).toContain('is a symbolic link');
    expect(error.message).toContain('remove(id)');
  });

  it('removes the link, not its target', async () => {
    const dir = makeTempDir();
    const outside = path.join(makeTempDir(), 'outside');
    writeFileSync(outside, 'kept');
    const id = SpoolId.generate();
    const linkPath = path.join(dir, 'data', id.relativePath());
    mkdirSync(path.dirname(linkPath), { recursive: true });
    symlinkSync(outside, linkPath);
    const spool = await openSpool({ path: dir });

    await spool.remove(id);

    await expect(spool.load(id)).rejects.toMatchObject({
      code: 'SPOOL_NOT_FOUND',
    });
    expect(readFileSync(outside, 'utf8')).toBe('kept');
  });
});

describe('file in place of a hash directory', () => {
  it.each([
    ['the leaf directory', 4],
    ['data/ itself', 0],
  ] as const)(
    'names the file in place of %s on load',
    async (_where, depth) => {
      const dir = makeTempDir();
      const spool = await openSpool({ path: dir });
      const id = SpoolId.generate();
      await spool.store(id, Buffer.from('lost behind a file'));
      const levels = id.relativePath().split('/').slice(0, depth);
      const blocker = path.join(dir, 'data', ...levels);
      rmSync(blocker, { recursive: true });
      writeFileSync(blocker, 'not a directory');

      const error = await spool.load(id).catch((caught) => caught);

      expect(error.code).toBe('SPOOL_CORRUPT');
      expect(error.path).toBe(blocker);
      expect(error.message).toContain(
        `${blocker} is a file where a directory should be, so no entry below it can be loaded or stored; move it out of the spool directory ${dir}`,
      );
      await spool.close();
    },
  );

  it('still reports a missing entry as not found', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });

    await expect(spool.load(SpoolId.generate())).rejects.toMatchObject({
      code: 'SPOOL_NOT_FOUND',
    });
    await spool.close();
  });
});

describe('file in place of a hash directory on store', () => {
  /** Returns an id in the same leaf directory as `id`: only its last hex digit differs. */
  function sameLeaf(id: SpoolId): SpoolId {
    const text = id.toString();
    const last = text.at(-1) === '0' ? '1' : '0';
    return SpoolId.parse(`${text.slice(0, -1)}${last}`);
  }

  it.each([
    ['the leaf directory', ['data', 4]],
    ['the top hash directory', ['data', 1]],
    ['new/', ['new', 0]],
  ] as const)(
    'names the file in place of %s',
    async (_where, [under, depth]) => {
      const dir = makeTempDir();
      const spool = await openSpool({ path: dir });
      const first = SpoolId.generate();
      await spool.store(first, Buffer.from('first'));
      const levels = first.relativePath().split('/').slice(0, depth);
      const blocker = path.join(dir, under, ...levels);
      rmSync(blocker, { recursive: true });
      writeFileSync(blocker, 'not a directory');
      const second = sameLeaf(first);

      const error = await spool
        .store(second, Buffer.from('second'))
        .catch((caught) => caught);

      expect(error.code).toBe('SPOOL_IO');
      expect(error.id).toBe(second.toString());
      expect(error.message).toContain('ENOTDIR');
      expect(error.message).toContain(
        `${blocker} is a file where a directory should be; move it out of the spool directory`,
      );
      rmSync(blocker);
      if (under === 'new') {
        mkdirSync(blocker);
      }
      await spool.store(second, Buffer.from('second'));
      expect((await spool.load(second)).toString()).toBe('second');
      await spool.close();
    },
  );
});

describe('FIFO entry', () => {
  /** Stores two entries, then puts a FIFO in place of the first. */
  async function spoolWithFifo() {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const fifoId = SpoolId.generate();
    const goodId = SpoolId.generate();
    await spool.store(fifoId, Buffer.from('replaced'));
    await spool.store(goodId, Buffer.from('good'));
    const fifoPath = path.join(dir, 'data', fifoId.relativePath());
    unlinkSync(fifoPath);
    execFileSync('mkfifo', [fifoPath]);
    return { spool, fifoId, goodId, fifoPath };
  }

  it('fails the load instead of waiting for a writer', async () => {
    const { spool, fifoId, goodId, fifoPath } = await spoolWithFifo();

    // Four at once would fill libuv's thread pool if they blocked.
    const errors = await Promise.all(
      Array.from({ length: 4 }, () =>
        spool.load(fifoId).catch((caught) => caught),
      ),
    );

    for (const error of errors) {
      expect(error.code).toBe('SPOOL_CORRUPT');
      expect(error.path).toBe(fifoPath);
      expect(error.message).toContain('is not a regular file');
      expect(error.message).toContain('remove(id)');
    }
    expect((await spool.load(goodId)).toString()).toBe('good');
    await spool.remove(fifoId);
    await expect(spool.load(fifoId)).rejects.toMatchObject({
      code: 'SPOOL_NOT_FOUND',
    });
  });

  it('fails the load while a writer holds the FIFO', async () => {
    const { spool, fifoId, fifoPath } = await spoolWithFifo();
    // O_RDWR opens a FIFO at once on Linux, so this process is its writer.
    const writer = openSync(fifoPath, 'r+');
    try {
      const error = await spool.load(fifoId).catch((caught) => caught);

      expect(error.code).toBe('SPOOL_CORRUPT');
      expect(error.message).toContain('is not a regular file');
    } finally {
      closeSync(writer);
    }
  });

  it('still loads an empty entry', async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const id = SpoolId.generate();
    await spool.store(id, Buffer.alloc(0));

    expect((await spool.load(id)).length).toBe(0);
  });
});

function chownTree(dir: string) {
  chownSync(dir, NOBODY.uid, NOBODY.gid);
  for (const file of listFiles(dir).concat(listDirs(dir))) {
    chownSync(path.join(dir, file), NOBODY.uid, NOBODY.gid);
  }
}

function listDirs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) =>
      path.relative(dir, path.join(entry.parentPath, entry.name)),
    );
}
