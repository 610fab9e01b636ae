import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { Coalescer, type Completion } from '../src/coalescer.js';
import { openTestSpool, rejectionOf } from './helpers.js';

/** A coalescer over calls that finish when the test says so. */
function heldCoalescer(maxCalls: number, share = false) {
  const calls: { requests: number[]; done: Completion<number[]> }[] = [];
  const coalescer = new Coalescer<number, number>({
    share,
    runOne: (request, done) => {
      calls.push({
        requests: [request],
        done: (error, results) => done(error, results?.[0]),
      });
    },
    runMany: (requests, done) => {
      calls.push({ requests, done });
    },
    maxCalls,
  });
  return { coalescer, calls };
}

describe('Coalescer', () => {
  it('merges waiting requests into one call', async () => {
    const { coalescer, calls } = heldCoalescer(1);
    const results = [1, 2, 3, 4].map((n) => coalescer.run(n));
    expect(calls.map((call) => call.requests)).toEqual([[1]]);

    calls[0]?.done(undefined, [10]);
    expect(calls.map((call) => call.requests)).toEqual([[1], [2, 3, 4]]);
    calls[1]?.done(undefined, [20, 30, 40]);

    expect(await Promise.all(results)).toEqual([10, 20, 30, 40]);
    expect(coalescer.busy).toBe(false);
  });

  it('starts up to maxCalls alone', () => {
    const { coalescer, calls } = heldCoalescer(2);
    for (const n of [1, 2, 3]) {
      void coalescer.run(n);
    }
    expect(calls.map((call) => call.requests)).toEqual([[1], [2]]);
    expect(coalescer.busy).toBe(true);
  });

  it('shares waiting requests out over the calls', async () => {
    const { coalescer, calls } = heldCoalescer(2, true);
    const numbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const results = numbers.map((n) => coalescer.run(n));
    expect(calls.map((call) => call.requests)).toEqual([[1], [2]]);

    // Eight wait and one runs, so the next call takes half of the nine.
    calls[0]?.done(undefined, [10]);
    expect(calls[2]?.requests).toEqual([3, 4, 5, 6, 7]);
    // Three wait and five run: half of eight is four, so all three go.
    calls[1]?.done(undefined, [20]);
    expect(calls[3]?.requests).toEqual([8, 9, 10]);
    expect(coalescer.busy).toBe(true);

    calls[2]?.done(undefined, [30, 40, 50, 60, 70]);
    calls[3]?.done(undefined, [80, 90, 100]);
    expect(await Promise.all(results)).toEqual(numbers.map((n) => n * 10));
    expect(calls).toHaveLength(4);
    expect(coalescer.busy).toBe(false);
  });

  it('rejects every request of a failed call', async () => {
    const { coalescer, calls } = heldCoalescer(1);
    const first = coalescer.run(1);
    const merged = [2, 3].map((n) => rejectionOf(coalescer.run(n)));
    calls[0]?.done(undefined, [10]);
    calls[1]?.done(new Error('IO error: disk failed'));

    expect(await first).toBe(10);
    for (const error of await Promise.all(merged)) {
      expect(error.message).toBe('IO error: disk failed');
    }
  });

  it('rejects when the binding throws', async () => {
    const coalescer = new Coalescer<number, number>({
      runOne: () => {
        throw new Error('database is not open');
      },
      runMany: () => {},
      maxCalls: 1,
    });
    const error = await rejectionOf(coalescer.run(1));
    expect(error.message).toBe('database is not open');
    expect(coalescer.busy).toBe(false);
  });
});

describe('concurrent calls', () => {
  it('stores keep the bytes at call time', async () => {
    const spool = await openTestSpool();
    const ids = Array.from({ length: 64 }, () => SpoolId.generate());
    const buffer = Buffer.alloc(1024);
    const stores = ids.map((id, index) => {
      buffer.fill(index);
      return spool.store(id, buffer);
    });
    buffer.fill(0xff);
    await Promise.all(stores);

    for (const [index, id] of ids.entries()) {
      expect((await spool.load(id)).equals(Buffer.alloc(1024, index))).toBe(
        true,
      );
    }
  });

  it('loads and removes in one burst', async () => {
    const spool = await openTestSpool();
    const ids = Array.from({ length: 64 }, () => SpoolId.generate());
    await Promise.all(
      ids.map((id, index) => spool.store(id, Buffer.from(`entry ${index}`))),
    );
    const missing = SpoolId.generate();

    // The missing id comes last, so it waits and runs inside a getMany.
    const [loads, missingError] = await Promise.all([
      Promise.all(ids.map((id) => spool.load(id))),
      rejectionOf(spool.load(missing)),
    ]);
    expect(loads.map(String)).toEqual(ids.map((_, index) => `entry ${index}`));
    expect(missingError.code).toBe('SPOOL_NOT_FOUND');

    await Promise.all(ids.map((id) => spool.remove(id)));
    const afterRemove = await Promise.all(
      ids.map((id) => rejectionOf(spool.load(id))),
    );
    expect(new Set(afterRemove.map((error) => error.code))).toEqual(
      new Set(['SPOOL_NOT_FOUND']),
    );
  });

  it('removes a burst shared over several batches', async () => {
    const spool = await openTestSpool();
    const ids = Array.from({ length: 1000 }, () => SpoolId.generate());
    await Promise.all(ids.map((id) => spool.store(id, Buffer.from(`${id}`))));
    const untouched = SpoolId.generate();
    await spool.store(untouched, Buffer.from('untouched'));

    await Promise.all(ids.map((id) => spool.remove(id)));

    const left: string[] = [];
    for await (const entry of spool.enumerate({
      createdBefore: new Date(8.64e15),
    })) {
      left.push(entry.type === 'item' ? entry.id.toString() : entry.type);
    }
    expect(left).toEqual([untouched.toString()]);
  });
});
