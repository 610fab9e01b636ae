import { randomBytes } from 'node:crypto';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { CopyPool } from '../src/copy-pool.js';
import { openSpool } from './helpers.js';

const KiB = 1024;

describe('CopyPool', () => {
  it('copies into an unshared buffer', () => {
    const pool = new CopyPool();
    const data = randomBytes(20 * KiB);

    const copy = pool.copy(data);
    const expected = Buffer.from(data);
    data.fill(0);

    expect(copy.equals(expected)).toBe(true);
    expect(copy.length).toBe(20 * KiB);
  });

  it('reuses a released buffer', () => {
    const pool = new CopyPool();
    const first = pool.copy(randomBytes(20 * KiB));
    const backing = first.buffer;
    expect(backing.byteLength).toBe(32 * KiB);

    pool.release(first);
    expect(pool.idleBytes).toBe(32 * KiB);
    const second = pool.copy(Buffer.alloc(30 * KiB, 7));

    expect(second.buffer).toBe(backing);
    expect(second.length).toBe(30 * KiB);
    expect(second.every((byte) => byte === 7)).toBe(true);
    expect(pool.idleBytes).toBe(0);
  });

  it('ignores a second release', () => {
    const pool = new CopyPool();
    const copy = pool.copy(randomBytes(64 * KiB));

    pool.release(copy);
    pool.release(copy);
    const firstCopy = pool.copy(randomBytes(64 * KiB));
    const secondCopy = pool.copy(randomBytes(64 * KiB));

    expect(firstCopy.buffer).not.toBe(secondCopy.buffer);
    expect(pool.lent(firstCopy)).toBe(true);
    expect(pool.lent(copy)).toBe(true);
  });

  it('skips sizes outside the range', () => {
    const pool = new CopyPool();
    for (const size of [0, 100, 16 * KiB - 1, 1024 * KiB + 1]) {
      const copy = pool.copy(Buffer.alloc(size, 1));
      expect(copy.length).toBe(size);
      expect(pool.lent(copy)).toBe(false);
      pool.release(copy);
    }
    expect(pool.idleBytes).toBe(0);
  });

  it('makes room for another size', () => {
    const pool = new CopyPool();
    const large = Array.from({ length: 16 }, () =>
      pool.copy(Buffer.alloc(1024 * KiB)),
    );
    for (const copy of large) {
      pool.release(copy);
    }
    expect(pool.idleBytes).toBe(16 * 1024 * KiB);

    const small = pool.copy(Buffer.alloc(20 * KiB));
    pool.release(small);
    const again = pool.copy(Buffer.alloc(20 * KiB));

    expect(again.buffer).toBe(small.buffer);
    expect(pool.idleBytes).toBe(15 * 1024 * KiB);
  });

  it('caps idle buffers at 16 MiB', () => {
    const pool = new CopyPool();
    const copies = Array.from({ length: 20 }, () =>
      pool.copy(Buffer.alloc(1024 * KiB)),
    );
    for (const copy of copies) {
      pool.release(copy);
    }
    expect(pool.idleBytes).toBe(16 * 1024 * KiB);

    pool.clear();
    expect(pool.idleBytes).toBe(0);
  });
});

describe('pooled copies in LocalDisk stores', () => {
  it('keeps 64 concurrent values intact', async () => {
    const spool = await openSpool();
    const values = new Map<SpoolId, Buffer>();
    for (let round = 0; round < 4; round++) {
      const stores: Promise<void>[] = [];
      for (let i = 0; i < 64; i++) {
        const id = SpoolId.generate();
        // Sizes spread over one size class, so buffers pass between values of different lengths.
        const value = randomBytes(130 * KiB + ((i * 977) % (120 * KiB)));
        values.set(id, Buffer.from(value));
        stores.push(spool.store(id, value));
        // The caller reuses its buffer at once, as the store contract allows.
        value.fill(round);
      }
      await Promise.all(stores);
    }

    for (const [id, value] of values) {
      expect((await spool.load(id)).equals(value)).toBe(true);
    }
  });

  it('keeps an earlier entry intact', async () => {
    const spool = await openSpool();
    const first = SpoolId.generate();
    const second = SpoolId.generate();
    await spool.store(first, Buffer.alloc(200 * KiB, 1));

    await spool.store(second, Buffer.alloc(200 * KiB, 2));

    expect((await spool.load(first)).every((byte) => byte === 1)).toBe(true);
    expect((await spool.load(second)).every((byte) => byte === 2)).toBe(true);
  });

  it('keeps stores of one id ordered', async () => {
    const spool = await openSpool();
    const id = SpoolId.generate();
    const stores = Array.from({ length: 32 }, (_, i) =>
      spool.store(id, Buffer.alloc(40 * KiB, i)),
    );
    await Promise.all(stores);

    expect((await spool.load(id)).every((byte) => byte === 31)).toBe(true);
  });
});
