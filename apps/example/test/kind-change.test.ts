import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SpoolId, SpoolRegistry } from '@spoolkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-kind-change-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Stores one entry in a spool of `kind` at `spoolPath`, then closes it. */
async function storeOne(kind: string, spoolPath: string): Promise<void> {
  const registry = new SpoolRegistry();
  await registry.define({ name: 'data', path: spoolPath, kind });
  const spool = await registry.open('data');
  await spool.store(SpoolId.generate(), Buffer.from('kept'));
  await registry.closeAll();
}

/** Opens a spool of `kind` at `spoolPath` and returns the rejection. */
async function openFails(kind: string, spoolPath: string) {
  const registry = new SpoolRegistry();
  await registry.define({ name: 'data', path: spoolPath, kind });
  return registry.open('data').then(
    async () => {
      await registry.closeAll();
      throw new Error(`${kind} opened over the other kind's spool`);
    },
    (error: { code?: string; message: string }) => error,
  );
}

describe('changing a spool kind in place', () => {
  it.each([
    ['LocalDisk', 'RocksDB'],
    ['RocksDB', 'LocalDisk'],
  ])('refuses %s data opened as %s', async (before, after) => {
    const spoolPath = path.join(directory, 'data');
    await storeOne(before, spoolPath);

    const error = await openFails(after, spoolPath);

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain(`contains a ${before}`);
    expect(error.message).toContain(`set kind = '${before}'`);
  });
});
