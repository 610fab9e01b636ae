import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { makeTempDir, openSpool } from './helpers.js';

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Version `n` of an entry: a size that varies with `n`, every byte equal to `n % 251`, so a mix shows. */
function version(n: number): Buffer {
  return Buffer.alloc(1 + ((n * 7919) % 65_536), n % 251);
}

function describeContent(data: Buffer | undefined): string {
  if (data === undefined) {
    return 'missing';
  }
  return `${data.length} bytes of ${data[0]}`;
}

describe('same-id races', () => {
  it('follows issue order', { timeout: 120_000 }, async () => {
    const seed = Date.now() % 1_000_000;
    const random = mulberry32(seed);
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    let operations = 0;

    for (let round = 0; round < 300; round += 1) {
      const id = SpoolId.generate();
      let model: Buffer | undefined;
      const checks: Promise<void>[] = [];
      for (let step = 0; step < 12; step += 1) {
        const choice = random();
        const where = `seed ${seed}, round ${round}, step ${step}`;
        if (choice < 0.45) {
          const data = version(round * 16 + step);
          model = data;
          checks.push(spool.store(id, data, { sync: random() < 0.1 }));
        } else if (choice < 0.7) {
          model = undefined;
          checks.push(spool.remove(id));
        } else {
          const expected = describeContent(model);
          checks.push(
            spool.load(id).then(
              (data) => expect(describeContent(data), where).toBe(expected),
              (error) =>
                expect(`${error.code}`, where).toBe(
                  expected === 'missing' ? 'SPOOL_NOT_FOUND' : expected,
                ),
            ),
          );
        }
        operations += 1;
        if (random() < 0.3) {
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      await Promise.all(checks);
      const final = await spool.load(id).catch(() => undefined);
      expect(
        describeContent(final),
        `seed ${seed}, round ${round}, final`,
      ).toBe(describeContent(model));
    }

    expect(operations).toBeGreaterThanOrEqual(3000);
  });

  it('never shows a mix to a raw reader', { timeout: 120_000 }, async () => {
    const dir = makeTempDir();
    const spool = await openSpool({ path: dir });
    const id = SpoolId.generate();
    const file = path.join(dir, 'data', id.relativePath());
    let writing = true;
    let reads = 0;
    let whole = 0;

    const reader = (async () => {
      while (writing) {
        reads += 1;
        try {
          const data = await readFile(file);
          // One boolean per read: vitest's deep equality is too slow for a tight loop over 64 KiB buffers.
          const isWholeVersion =
            data.length > 0 && data.equals(version(data[0] as number));
          expect(
            isWholeVersion,
            `a read returned ${data.length} bytes that are not one version`,
          ).toBe(true);
          whole += 1;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
            throw error;
          }
        }
      }
    })();

    const writes: Promise<void>[] = [];
    for (let n = 0; n < 2000; n += 1) {
      writes.push(
        n % 5 === 4 ? spool.remove(id) : spool.store(id, version(n % 251)),
      );
      if (n % 20 === 0) {
        await Promise.all(writes.splice(0));
      }
    }
    await Promise.all(writes);
    writing = false;
    await reader;

    expect(reads).toBeGreaterThan(0);
    expect(whole).toBeGreaterThan(0);
  });
});
