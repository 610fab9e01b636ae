import { join } from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { openRocksDbSpool } from '../src/index.js';
import { openTestSpool, rejectionOf, tempDir } from './helpers.js';

/** A small seeded generator, so a failing interleaving can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Expected = string | undefined;

describe('same-id ordering', () => {
  it.each([1, 2, 3, 4])('follows issue order, seed %i', async (seed) => {
    const spool = await openTestSpool();
    const next = random(seed);
    const ids = Array.from({ length: 500 }, () => SpoolId.generate());
    const expected = new Map<string, Expected>();
    const loads: Array<Promise<void>> = [];
    const writes: Array<Promise<void>> = [];

    // 500 ids with 6 operations each, issued in one random interleaving.
    const plan = ids.flatMap((id) =>
      Array.from({ length: 6 }, (_, step) => ({ id, step })),
    );
    for (let index = plan.length - 1; index > 0; index -= 1) {
      const other = Math.floor(next() * (index + 1));
      [plan[index], plan[other]] = [plan[other], plan[index]] as [
        (typeof plan)[number],
        (typeof plan)[number],
      ];
    }

    for (const { id, step } of plan) {
      const key = id.toString();
      const roll = next();
      if (roll < 0.55) {
        const value = `${key}:${step}:${roll}`;
        expected.set(key, value);
        writes.push(spool.store(id, Buffer.from(value), { sync: roll < 0.05 }));
      } else if (roll < 0.85) {
        expected.set(key, undefined);
        writes.push(spool.remove(id));
      } else {
        const want = expected.get(key);
        loads.push(
          spool.load(id).then(
            (data) => expect(data.toString()).toBe(want),
            (error) => {
              expect(want).toBeUndefined();
              expect(error.code).toBe('SPOOL_NOT_FOUND');
            },
          ),
        );
      }
    }
    await Promise.all(writes);
    await Promise.all(loads);

    for (const id of ids) {
      const want = expected.get(id.toString());
      if (want === undefined) {
        expect((await rejectionOf(spool.load(id))).code).toBe(
          'SPOOL_NOT_FOUND',
        );
      } else {
        expect((await spool.load(id)).toString()).toBe(want);
      }
    }
  });
});

describe('close', () => {
  it('waits for 1000 stores in flight', async () => {
    const path = join(await tempDir(), 'spool');
    const spool = await openRocksDbSpool({ name: 'data', path });
    const ids = Array.from({ length: 1000 }, () => SpoolId.generate());
    const stores = ids.map((id, index) =>
      spool.store(id, Buffer.alloc(1024, index), { sync: index % 10 === 0 }),
    );
    await spool.close();
    const results = await Promise.allSettled(stores);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(
      (await rejectionOf(spool.store(SpoolId.generate(), Buffer.from('x'))))
        .code,
    ).toBe('SPOOL_CLOSED');

    const reopened = await openRocksDbSpool({ name: 'data', path });
    try {
      for (const [index, id] of ids.entries()) {
        expect(
          (await reopened.load(id)).equals(Buffer.alloc(1024, index)),
        ).toBe(true);
      }
    } finally {
      await reopened.close();
    }
  });
});
