import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/index.js';
import { inInit, writePolicy } from './helpers.js';

describe('loadPolicy definitions', () => {
  it('applies kind and flush defaults', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/var/spool/data' }`,
      ),
    });
    const { spools, locations } = await loadPolicy(policy, { env: {} });
    expect(spools).toEqual([
      {
        name: 'data',
        path: '/var/spool/data',
        kind: 'LocalDisk',
        flush: false,
      },
    ]);
    expect(locations).toEqual(['init.lua:2']);
  });

  it('keeps call order and written values', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool {
  name = 'meta', path = '/s/meta', kind = 'RocksDB', flush = true,
  rocks_params = { store_deadline = '20s', compression_type = 'None' },
  min_free_space = '5%', min_free_inodes = 1000,
}
kumo.define_spool { name = 'data', path = '/s/data', kind = 'LocalDisk' }`),
    });
    const { spools } = await loadPolicy(policy, { env: {} });
    expect(spools.map((spool) => spool.name)).toEqual(['meta', 'data']);
    expect(spools[0]).toEqual({
      name: 'meta',
      path: '/s/meta',
      kind: 'RocksDB',
      flush: true,
      rocks_params: { store_deadline: '20s', compression_type: 'None' },
      min_free_space: '5%',
      min_free_inodes: 1000,
    });
    expect(spools[1]).not.toHaveProperty('rocks_params');
    expect(spools[1]).not.toHaveProperty('min_free_space');
  });

  it('keeps Lua integers exact', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool {
  name = 'data', path = '/s/data', kind = 'RocksDB',
  rocks_params = {
    write_buffer_size = 64 * 1024 * 1024,
    memtable_huge_page_size = math.maxinteger,
    compaction_readahead_size = (1 << 53) + 1,
  },
  min_free_space = 10 * 1024 * 1024 * 1024,
}`),
    });
    const [spool] = (await loadPolicy(policy, { env: {} })).spools;
    const params = spool?.rocks_params as Record<string, unknown>;
    expect(params.write_buffer_size).toBe(67108864);
    expect(params.memtable_huge_page_size).toBe(9223372036854775807n);
    expect(params.compaction_readahead_size).toBe(9007199254740993n);
    expect(spool?.min_free_space).toBe(10737418240);
  });

  it('accepts floats where durations allow them', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool {
  name = 'data', path = '/s/data', kind = 'RocksDB',
  rocks_params = { store_deadline = 1.5, error_latch_duration = 2 },
}`),
    });
    const [spool] = (await loadPolicy(policy, { env: {} })).spools;
    expect(spool?.rocks_params).toEqual({
      store_deadline: 1.5,
      error_latch_duration: 2,
    });
  });

  it('returns available_parallelism as an integer', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
local cores = kumo.available_parallelism()
assert(math.type(cores) == 'integer')
kumo.define_spool {
  name = 'data', path = '/s/data', kind = 'RocksDB',
  rocks_params = { increase_parallelism = cores, limit_concurrent_loads = cores * 2 },
}`),
    });
    const [spool] = (
      await loadPolicy(policy, { env: {}, availableParallelism: 6 })
    ).spools;
    expect(spool?.rocks_params).toEqual({
      increase_parallelism: 6,
      limit_concurrent_loads: 12,
    });
  });

  it('reads os.getenv from the given env', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool { name = 'data', path = os.getenv 'SPOOL_ROOT' .. '/data' }
kumo.define_spool { name = 'meta', path = (os.getenv 'MISSING' or '/default') .. '/meta' }`),
    });
    const { spools } = await loadPolicy(policy, {
      env: { SPOOL_ROOT: '/from/env' },
    });
    expect(spools.map((spool) => spool.path)).toEqual([
      '/from/env/data',
      '/default/meta',
    ]);
  });

  it('reads os.getenv from process.env by default', async () => {
    process.env.SPOOLKIT_CONFIG_LUA_TEST_ROOT = '/from/process';
    try {
      const policy = writePolicy({
        'init.lua': inInit(
          `kumo.define_spool { name = 'data', path = os.getenv 'SPOOLKIT_CONFIG_LUA_TEST_ROOT' }`,
        ),
      });
      const [spool] = (await loadPolicy(policy)).spools;
      expect(spool?.path).toBe('/from/process');
    } finally {
      delete process.env.SPOOLKIT_CONFIG_LUA_TEST_ROOT;
    }
  });

  it('returns no spools for a policy without define_spool', async () => {
    const policy = writePolicy({ 'init.lua': `local x = 1\n` });
    expect((await loadPolicy(policy, { env: {} })).spools).toEqual([]);
  });

  it('accepts Lua 5.4 attributes', async () => {
    const policy = writePolicy({
      'init.lua': `local ROOT <const> = '/s'\n${inInit(`kumo.define_spool { name = 'data', path = ROOT .. '/data' }`)}`,
    });
    const [spool] = (await loadPolicy(policy, { env: {} })).spools;
    expect(spool?.path).toBe('/s/data');
  });
});
