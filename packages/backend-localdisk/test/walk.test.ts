import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type SpoolCorruptEntry,
  type SpoolEntry,
  SpoolId,
} from '@spoolkit/core';
import { describe, expect, it, vi } from 'vitest';
import { READ_AHEAD_LIMIT } from '../src/walk.js';
import {
  collect,
  countingFs,
  future,
  makeTempDir,
  openSpool,
  recordUnhandledRejections,
  systemError,
} from './helpers.js';

/** Stores `count` entries in a new spool directory and closes the spool, so a test can reopen it. */
async function fillDirectory(count: number): Promise<string> {
  const dir = makeTempDir();
  const spool = await openSpool({ path: dir });
  await Promise.all(
    Array.from({ length: count }, () =>
      spool.store(SpoolId.generate(), Buffer.from('entry')),
    ),
  );
  await spool.close();
  return dir;
}

function entryPath(dir: string, entry: SpoolEntry): string {
  return path.join(dir, 'data', (entry.id as SpoolId).relativePath());
}

/** Makes a gate that reads wait on until the test opens it. */
function makeGate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

const unhandled = recordUnhandledRejections();

describe('walk read-ahead', () => {
  it('stops at the limit while paused', async () => {
    const dir = await fillDirectory(50);
    const { faulty, counts } = countingFs();
    const spool = await openSpool({ path: dir, fs: faulty.fs });
    const iterator = spool
      .enumerate({ createdBefore: future() })
      [Symbol.asyncIterator]();

    await iterator.next();
    await sleep(50);

    expect(counts.readsStarted).toBe(READ_AHEAD_LIMIT);
    await iterator.next();
    expect(counts.readsStarted).toBe(READ_AHEAD_LIMIT + 1);
    await iterator.return?.();
  });

  it('keeps reads in flight bounded', async () => {
    const dir = await fillDirectory(100);
    const { faulty, counts } = countingFs(undefined, () => sleep(5));
    const spool = await openSpool({ path: dir, fs: faulty.fs });
    let seen = 0;
    let maxAhead = 0;

    for await (const entry of spool.enumerate({ createdBefore: future() })) {
      expect(entry.type).toBe('item');
      seen += 1;
      maxAhead = Math.max(maxAhead, counts.readsStarted - seen);
      await sleep(1);
    }

    expect(seen).toBe(100);
    expect(counts.maxReadsInFlight).toBeGreaterThan(1);
    expect(counts.maxReadsInFlight).toBeLessThanOrEqual(READ_AHEAD_LIMIT);
    expect(maxAhead).toBeLessThanOrEqual(READ_AHEAD_LIMIT);
  });

  it('yields a failed read in its place', async () => {
    const dir = await fillDirectory(30);
    const plain = await openSpool({ path: dir });
    const expected = await collect(
      plain.enumerate({ createdBefore: future() }),
    );
    await plain.close();
    const failing = expected[4] as SpoolEntry;
    const { faulty } = countingFs(undefined, async (target) => {
      if (target === entryPath(dir, failing)) {
        // Fail after the reads queued behind it have finished.
        await sleep(30);
        throw systemError('EACCES', 'open', target);
      }
    });
    const spool = await openSpool({ path: dir, fs: faulty.fs });

    const entries = await collect(spool.enumerate({ createdBefore: future() }));

    expect(entries.map((entry) => entry.id?.toString())).toEqual(
      expected.map((entry) => entry.id?.toString()),
    );
    expect(entries.map((entry) => entry.type)).toEqual(
      expected.map((_entry, index) => (index === 4 ? 'corrupt' : 'item')),
    );
    const corrupt = entries[4] as SpoolCorruptEntry;
    expect(corrupt.error.message).toContain('cannot be read');
    expect(corrupt.path).toBe(entryPath(dir, failing));
  });

  it('skips a file removed after listing', async () => {
    const dir = await fillDirectory(30);
    const plain = await openSpool({ path: dir });
    const expected = await collect(
      plain.enumerate({ createdBefore: future() }),
    );
    await plain.close();
    const removed = expected[4] as SpoolEntry;
    const { faulty } = countingFs(undefined, async (target) => {
      if (target === entryPath(dir, removed)) {
        await sleep(30);
        throw systemError('ENOENT', 'open', target);
      }
    });
    const spool = await openSpool({ path: dir, fs: faulty.fs });

    const entries = await collect(spool.enumerate({ createdBefore: future() }));

    expect(entries.map((entry) => entry.id?.toString())).toEqual(
      expected
        .filter((entry) => entry !== removed)
        .map((entry) => entry.id?.toString()),
    );
    expect(entries.every((entry) => entry.type === 'item')).toBe(true);
  });
});

describe('walk end with reads in flight', () => {
  it.each(['break', 'throw', 'abort'] as const)(
    'closes everything on %s',
    async (ending) => {
      const dir = await fillDirectory(50);
      let reads = 0;
      const { faulty, counts } = countingFs(undefined, async (target) => {
        reads += 1;
        if (reads > 1) {
          // Rejects after the consumer has left the loop.
          await sleep(30);
          throw systemError('EIO', 'read', target);
        }
      });
      const spool = await openSpool({ path: dir, fs: faulty.fs });
      const controller = new AbortController();
      let seen = 0;

      const loop = async () => {
        for await (const _entry of spool.enumerate({
          createdBefore: future(),
          signal: controller.signal,
        })) {
          seen += 1;
          if (ending === 'break') {
            break;
          }
          if (ending === 'throw') {
            throw new Error('consumer failed');
          }
          controller.abort();
        }
      };
      if (ending === 'throw') {
        await expect(loop()).rejects.toThrow('consumer failed');
      } else {
        await loop();
      }

      expect(seen).toBe(1);
      expect(counts.readsStarted).toBe(READ_AHEAD_LIMIT);
      expect(counts.readsInFlight).toBe(0);
      expect(counts.openDirs).toBe(0);
      expect(counts.closed).toBe(counts.opened);
      await sleep(50);
      expect(unhandled).toEqual([]);
      await expect(spool.close()).resolves.toBeUndefined();
    },
  );

  it('rejects with SPOOL_CLOSED on close', async () => {
    const dir = await fillDirectory(50);
    const gate = makeGate();
    let reads = 0;
    const { faulty, counts } = countingFs(undefined, (_target) => {
      reads += 1;
      return reads > 1 ? gate.wait : undefined;
    });
    const spool = await openSpool({ path: dir, fs: faulty.fs });
    const iterator = spool
      .enumerate({ createdBefore: future() })
      [Symbol.asyncIterator]();
    await iterator.next();
    let closed = false;

    const closing = spool.close().then(() => {
      closed = true;
    });
    await vi.waitFor(() => expect(counts.openDirs).toBe(0));
    await sleep(20);

    expect(counts.readsInFlight).toBe(READ_AHEAD_LIMIT - 1);
    expect(closed).toBe(false);
    gate.open();
    await closing;
    expect(counts.readsInFlight).toBe(0);
    expect(counts.closed).toBe(counts.opened);
    await expect(iterator.next()).rejects.toMatchObject({
      code: 'SPOOL_CLOSED',
    });
    expect(unhandled).toEqual([]);
  });
  it('waits for the awaited read on close', async () => {
    const dir = await fillDirectory(20);
    const gate = makeGate();
    let reads = 0;
    const { faulty, counts } = countingFs(undefined, () => {
      reads += 1;
      return reads === 1 ? gate.wait : undefined;
    });
    const spool = await openSpool({ path: dir, fs: faulty.fs });
    const iterator = spool
      .enumerate({ createdBefore: future() })
      [Symbol.asyncIterator]();
    const first = iterator.next();
    // Caught at once, so its rejection during close() is never unhandled.
    const firstOutcome = first.catch((error: unknown) => error);
    await vi.waitFor(() => expect(counts.readsStarted).toBe(READ_AHEAD_LIMIT));
    let closed = false;

    const closing = spool.close().then(() => {
      closed = true;
    });
    await sleep(20);

    expect(counts.readsInFlight).toBe(1);
    expect(closed).toBe(false);
    gate.open();
    await closing;
    expect(counts.readsInFlight).toBe(0);
    expect(await firstOutcome).toMatchObject({ code: 'SPOOL_CLOSED' });
  });
});

describe('walk listing faults', () => {
  it('rejects an unlistable data directory', async () => {
    const dir = await fillDirectory(5);
    const { faulty } = countingFs();
    const spool = await openSpool({ path: dir, fs: faulty.fs });
    const dataDir = path.join(dir, 'data');
    faulty.faults.opendir = async (target) => {
      throw systemError('EACCES', 'opendir', target);
    };

    const error = await collect(
      spool.enumerate({ createdBefore: future() }),
    ).catch((caught) => caught);

    expect(error.code).toBe('SPOOL_IO');
    expect(error.path).toBe(dataDir);
    expect(error.message).toContain(
      `failed to enumerate spool 'data': cannot list ${dataDir}`,
    );
    await expect(spool.close()).resolves.toBeUndefined();
  });

  it('reports a listing that fails midway', async () => {
    const dir = await fillDirectory(30);
    const plain = await openSpool({ path: dir });
    const expected = await collect(
      plain.enumerate({ createdBefore: future() }),
    );
    await plain.close();
    const { faulty, counts } = countingFs();
    const countingOpendir = faulty.faults.opendir as NonNullable<
      typeof faulty.faults.opendir
    >;
    const spool = await openSpool({ path: dir, fs: faulty.fs });
    const dataDir = path.join(dir, 'data');
    faulty.faults.opendir = async (target, options) => {
      const opened = await countingOpendir(target, options);
      if (target !== dataDir) {
        return opened;
      }
      let reads = 0;
      return {
        read: async () => {
          reads += 1;
          if (reads > 1) {
            throw systemError('EIO', 'scandir', target);
          }
          return opened.read();
        },
        close: () => opened.close(),
      };
    };

    const entries = await collect(spool.enumerate({ createdBefore: future() }));

    const last = entries.at(-1) as SpoolCorruptEntry;
    expect(last.type).toBe('corrupt');
    expect(last.path).toBe(dataDir);
    expect(last.error.message).toContain('could not be listed to the end');
    const items = entries.slice(0, -1);
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((entry) => entry.type === 'item')).toBe(true);
    expect(items.map((entry) => entry.id?.toString())).toEqual(
      expected.slice(0, items.length).map((entry) => entry.id?.toString()),
    );
    expect(counts.openDirs).toBe(0);
    expect(counts.closed).toBe(counts.opened);
  });
});
