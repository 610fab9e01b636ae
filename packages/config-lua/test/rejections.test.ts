import { SpoolErrorCode } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/index.js';
import { inInit, rejection, writePolicy } from './helpers.js';

/** Loads a policy whose line 2 (inside init) defines `table`. */
async function rejectDefinition(table: string) {
  const policy = writePolicy({
    'init.lua': inInit(`kumo.define_spool ${table}`),
  });
  const error = await rejection(loadPolicy(policy, { env: {} }));
  expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
  expect(error.message).toMatch(/^init\.lua:2: /);
  expect(error.path).toBe(policy);
  return error;
}

describe('loadPolicy rejections', () => {
  it('unknown key with a suggestion', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', flsuh = true }`,
    );
    expect(error.message).toContain('unknown key "flsuh"');
    expect(error.message).toContain('did you mean "flush"?');
    expect(error.spool).toBe('data');
  });

  it('unknown rocks_params key', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { write_bufer_size = 1 } }`,
    );
    expect(error.message).toContain('"write_bufer_size"');
    expect(error.message).toContain('did you mean "write_buffer_size"?');
  });

  it('wrong type of flush', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', flush = 'yes' }`,
    );
    expect(error.message).toContain('flush');
    expect(error.message).toContain('"yes"');
  });

  it('wrong type of name', async () => {
    const error = await rejectDefinition(`{ name = 42, path = '/s' }`);
    expect(error.message).toContain('name');
  });

  it('non-table argument', async () => {
    const error = await rejectDefinition(`'data'`);
    expect(error.message).toContain('expects a table');
  });

  it('positional value', async () => {
    const error = await rejectDefinition(`{ 'data', path = '/s' }`);
    expect(error.message).toContain('positional value');
  });

  it('function value', async () => {
    const error = await rejectDefinition(`{ name = 'data', path = print }`);
    expect(error.message).toContain('path is a function');
  });

  it('Lua float as rocks integer', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { limit_concurrent_loads = 8 / 2 } }`,
    );
    expect(error.message).toContain('limit_concurrent_loads');
    expect(error.message).toContain('Lua float 4.0');
  });

  it('power operator as rocks integer', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { write_buffer_size = 2^26 } }`,
    );
    expect(error.message).toContain('write_buffer_size');
    expect(error.message).toContain('Lua float 67108864.0');
  });

  it('Lua float as min_free_space', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', min_free_space = 1e9 }`,
    );
    expect(error.message).toContain('min_free_space');
    expect(error.message).toContain('Lua float 1000000000.0');
  });

  it('negative rocks integer', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { max_open_files = -1 } }`,
    );
    expect(error.message).toContain('max_open_files');
  });

  it('i32 rocks integer out of range', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { increase_parallelism = 1 << 40 } }`,
    );
    expect(error.message).toContain('increase_parallelism');
  });

  it('wrong-case kind', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'rocksdb' }`,
    );
    expect(error.message).toContain("kind 'rocksdb'");
    expect(error.message).toContain('did you mean "RocksDB"?');
  });

  it('unregistered kind', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'Memory' }`,
    );
    expect(error.message).toContain("kind 'Memory'");
  });

  it('missing name', async () => {
    const error = await rejectDefinition(`{ path = '/s' }`);
    expect(error.message).toContain('"name"');
  });

  it('empty path', async () => {
    const error = await rejectDefinition(`{ name = 'data', path = '' }`);
    expect(error.message).toContain('path');
    expect(error.message).toContain('empty');
  });

  it('bad duration', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { store_deadline = '30 parsecs' } }`,
    );
    expect(error.message).toContain('store_deadline');
    expect(error.message).toContain('"30 parsecs"');
  });

  it('negative duration', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { error_latch_duration = -5 } }`,
    );
    expect(error.message).toContain('error_latch_duration');
  });

  it('bad min_free_space text', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', min_free_space = '10 GB' }`,
    );
    expect(error.message).toContain('min_free_space');
    expect(error.message).toContain('"10 GB"');
  });

  it('percentage over 100', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', min_free_inodes = '150%' }`,
    );
    expect(error.message).toContain('min_free_inodes');
    expect(error.message).toContain('150%');
  });

  it('bad compression_type', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { compression_type = 'snappy' } }`,
    );
    expect(error.message).toContain('compression_type');
    expect(error.message).toContain('did you mean "Snappy"?');
  });

  it('both optimize keys', async () => {
    const error = await rejectDefinition(
      `{ name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { optimize_level_style_compaction = 1, optimize_universal_style_compaction = 1 } }`,
    );
    expect(error.message).toContain('optimize_level_style_compaction');
    expect(error.message).toContain('optimize_universal_style_compaction');
  });

  it('string with a NUL byte', async () => {
    const error = await rejectDefinition(`{ name = 'da\\0ta', path = '/s' }`);
    expect(error.message).toContain('NUL');
  });

  it('rocks_params that contains itself', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `local params = {} params.params = params kumo.define_spool { name = 'data', path = '/s', rocks_params = params }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:2: /);
    expect(error.message).toContain('contains itself');
  });

  it('same name twice', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/a' }\nkumo.define_spool { name = 'data', path = '/b' }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(/^init\.lua:3: /);
    expect(error.message).toContain("spool 'data' is defined twice");
  });

  it('two spools on one path', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s/x' }\nkumo.define_spool { name = 'meta', path = '/s/./x/' }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:3: /);
    expect(error.message).toContain("'data' and 'meta' both use the path /s/x");
  });

  it('one spool nested in another', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s/nest' }\nkumo.define_spool { name = 'meta', path = '/s/nest/data/meta' }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:3: /);
    expect(error.message).toContain('nested');
  });

  it('define_spool at the top level', async () => {
    const policy = writePolicy({
      'init.lua': `local kumo = require 'kumo'\nkumo.define_spool { name = 'data', path = '/s' }\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:2: /);
    expect(error.message).toContain('while the policy file was loading');
  });

  it('define_spool in pre_init', async () => {
    const policy = writePolicy({
      'init.lua': `kumo.on('pre_init', function()\n  kumo.define_spool { name = 'data', path = '/s' }\nend)\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:2: /);
    expect(error.message).toContain('pre_init');
  });

  it('rejection caught by pcall', async () => {
    const error = await (async () => {
      const policy = writePolicy({
        'init.lua': inInit(
          `local ok = pcall(kumo.define_spool, { name = 'data', path = '/s', flsuh = true })\nassert(not ok)`,
        ),
      });
      return rejection(loadPolicy(policy, { env: {} }));
    })();
    expect(error.message).toMatch(/^init\.lua:2: /);
    expect(error.message).toContain('"flsuh"');
  });

  it('location of a multi-line call', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `local x = 1\nkumo.define_spool {\n  name = 'data',\n  path = '/s',\n  flsuh = true,\n}`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:3: /);
  });

  it('Lua syntax error', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`kumo.define_spool { name = 'data' path = '/s' }`),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(/^init\.lua:2: '}' expected near 'path'/);
  });

  it('Lua runtime error', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`local settings = nil\nlocal root = settings.root`),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(
      /^init\.lua:3: attempt to index a nil value \(local 'settings'\)/,
    );
  });

  it('nil from a stand-in call', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `local cfg = kumo.toml_load('/etc/kumo.toml')\nkumo.define_spool { name = 'data', path = cfg.spool_root }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(
      /^init\.lua:3: attempt to index a nil value \(local 'cfg'\)/,
    );
    expect(error.message).toContain(
      'such as kumo.toml_load, note that those calls return nil here; give the result a fallback (`or {}`)',
    );
  });

  it('error with a table value', async () => {
    const policy = writePolicy({ 'init.lua': `error({ reason = 'x' })\n` });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toContain('error object is a table value');
  });

  it('missing policy file', async () => {
    const error = await rejection(loadPolicy('/nonexistent/spoolkit/init.lua'));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toContain('/nonexistent/spoolkit/init.lua');
  });

  it('invalid limits option', async () => {
    const policy = writePolicy({ 'init.lua': '' });
    const error = await rejection(loadPolicy(policy, { timeoutMs: 0 }));
    expect(error.code).toBe(SpoolErrorCode.InvalidArgument);
    expect(error.message).toContain('timeoutMs');
  });
});
