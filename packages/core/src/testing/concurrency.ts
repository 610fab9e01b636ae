import { expect } from 'vitest';
import { SpoolErrorCode } from '../errors.js';
import type { Spool } from '../spool.js';
import { SpoolId } from '../spool-id.js';
import {
  type ConformanceFamily,
  collect,
  expectBytes,
  expectRejectsWithCode,
  FAR_FUTURE,
} from './harness.js';

/** Value `n` of a series: `(n + 1)` KiB, every byte `n`, so a mix of two is visible. */
function seriesValue(n: number): Buffer {
  return Buffer.alloc((n + 1) * 1024, n);
}

/** Returns the series number of a whole series value, or throws naming what is wrong. */
function seriesNumber(value: Buffer, what: string): number {
  const n = value[0] ?? -1;
  expect(value.length, `${what}: length of a whole value`).toBe((n + 1) * 1024);
  expect(
    value.every((byte) => byte === n),
    `${what}: bytes from two values`,
  ).toBe(true);
  return n;
}

/** Loads `id`, returning `undefined` when it has no entry yet. */
async function loadIfPresent(
  spool: Spool,
  id: SpoolId,
): Promise<Buffer | undefined> {
  try {
    return await spool.load(id);
  } catch (error) {
    if ((error as { code?: unknown }).code === SpoolErrorCode.NotFound) {
      return undefined;
    }
    throw error;
  }
}

/** Calls in flight at once, on many ids and on one. */
export const concurrency: ConformanceFamily = {
  name: 'concurrency',
  cases: [
    {
      name: 'concurrent stores of many ids',
      async run({ open, options }) {
        const spool = await open();
        const ids = Array.from({ length: options.concurrentIds }, () =>
          SpoolId.generate(),
        );
        await Promise.all(
          ids.map((id) => spool.store(id, Buffer.from(id.toString()))),
        );
        const loaded = await Promise.all(ids.map((id) => spool.load(id)));
        loaded.forEach((value, index) => {
          expectBytes(
            value,
            Buffer.from(String(ids[index])),
            `load(${ids[index]})`,
          );
        });
        const { items } = await collect(spool, { createdBefore: FAR_FUTURE });
        expect(items.size, 'entries enumerated').toBe(ids.length);
      },
    },
    {
      name: 'concurrent stores of one id',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        const stores: Promise<void>[] = [];
        const loads: Promise<Buffer | undefined>[] = [];
        for (let n = 0; n < 20; n += 1) {
          stores.push(spool.store(id, seriesValue(n)));
          loads.push(loadIfPresent(spool, id));
        }
        await Promise.all(stores);
        for (const [index, value] of (await Promise.all(loads)).entries()) {
          if (value !== undefined)
            seriesNumber(value, `load ${index} during the stores`);
        }
        expect(
          seriesNumber(await spool.load(id), 'final value'),
          'the last store wins',
        ).toBe(19);
      },
    },
    {
      name: 'store racing remove on one id',
      async run({ open }) {
        const spool = await open();
        const removedLast = SpoolId.generate();
        const storedLast = SpoolId.generate();
        const calls: Promise<void>[] = [];
        for (let n = 0; n < 5; n += 1) {
          calls.push(
            spool.store(removedLast, seriesValue(n)),
            spool.remove(removedLast),
          );
          calls.push(
            spool.remove(storedLast),
            spool.store(storedLast, seriesValue(n)),
          );
        }
        await Promise.all(calls);
        await expectRejectsWithCode(
          spool.load(removedLast),
          SpoolErrorCode.NotFound,
          'load after store, remove',
        );
        expect(
          seriesNumber(await spool.load(storedLast), 'after remove, store'),
          'the last store wins',
        ).toBe(4);
      },
    },
    {
      name: 'loads see the calls made before them',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        // Nothing is awaited, so every call is in flight before the first settles.
        const calls = [
          spool.store(id, seriesValue(0)),
          loadIfPresent(spool, id),
          spool.store(id, seriesValue(1)),
          loadIfPresent(spool, id),
          spool.remove(id),
          loadIfPresent(spool, id),
          spool.store(id, seriesValue(2)),
          loadIfPresent(spool, id),
        ];
        const results = await Promise.all(calls);
        const seen = [1, 3, 5, 7].map((index) => {
          const value = results[index] as Buffer | undefined;
          return value === undefined
            ? 'none'
            : seriesNumber(value, `load ${index}`);
        });
        expect(seen, 'what each load saw').toEqual([0, 1, 'none', 2]);
      },
    },
  ],
};
