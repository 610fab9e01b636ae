import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRocksDbSpool, type RocksDbSpoolOptions } from '../src/index.js';
import { rejectionOf, tempDir } from './helpers.js';

/** Opens with `options` as a plain JS caller could pass them, and returns the rejection. */
async function openFails(options: unknown) {
  return rejectionOf(openRocksDbSpool(options as RocksDbSpoolOptions));
}

describe('openRocksDbSpool options', () => {
  it.each([
    ['null', null, 'must be an object, got null'],
    ['a string', 'spool', 'must be an object, got a string'],
  ])('rejects %s as options', async (_label, options, text) => {
    const error = await openFails(options);

    expect(error.code).toBe('SPOOL_INVALID_ARGUMENT');
    expect(error.message).toContain(text);
  });

  it('rejects an empty path without touching the disk', async () => {
    const before = await readdir(process.cwd());

    const error = await openFails({ name: 'data', path: '' });

    expect(error.code).toBe('SPOOL_INVALID_ARGUMENT');
    expect(error.spool).toBe('data');
    expect(error.message).toContain(
      "path of spool 'data' must be a non-empty string, got an empty string",
    );
    expect(await readdir(process.cwd())).toEqual(before);
  });

  it('rejects a missing name', async () => {
    const error = await openFails({ path: join(await tempDir(), 'spool') });

    expect(error.code).toBe('SPOOL_INVALID_ARGUMENT');
    expect(error.message).toContain('name of a RocksDB spool');
  });

  it.each([
    ['flsuh', true, 'flush'],
    ['rocks_params', {}, 'rocksParams'],
    ['min_free_space', '10%', 'minFreeSpace'],
  ])('rejects the unknown key %s', async (key, value, hint) => {
    const path = join(await tempDir(), 'spool');

    const error = await openFails({ name: 'data', path, [key]: value });

    expect(error.code).toBe('SPOOL_INVALID_ARGUMENT');
    expect(error.message).toContain(
      `unknown RocksDB spool option "${key}" (did you mean "${hint}"?)`,
    );
    expect(error.message).toContain('rocksParams');
    expect(await readdir(join(path, '..'))).toEqual([]);
  });

  it.each([
    [
      'flush',
      'yes',
      "flush of spool 'data' must be true or false, got a string",
    ],
    ['rocksParams', 5, "rocksParams of spool 'data' must be an object"],
    ['minFreeSpace', '200%', "minFreeSpace of spool 'data'"],
    ['diskCheckIntervalMs', 0, 'must be a positive integer of milliseconds'],
  ])('rejects a bad %s', async (key, value, text) => {
    const path = join(await tempDir(), 'spool');

    const error = await openFails({ name: 'data', path, [key]: value });

    expect(error.code).toBe('SPOOL_INVALID_ARGUMENT');
    expect(error.spool).toBe('data');
    expect(error.message).toContain(text);
  });

  it('opens with every option given', async () => {
    const path = join(await tempDir(), 'spool');

    const spool = await openRocksDbSpool({
      name: 'data',
      path,
      flush: true,
      rocksParams: { compression_type: 'None' },
      minFreeSpace: { kind: 'percent', percent: 1 },
      minFreeInodes: { kind: 'count', count: 10 },
      healthCheckIntervalMs: 1000,
      diskCheckIntervalMs: 1000,
    });
    await spool.close();

    expect(spool.name).toBe('data');
  });
});
