import {
  invalidDefinition,
  isSpoolError,
  type NormalizedSpoolDefinition,
  type SpoolBackend,
  SpoolErrorCode,
  SpoolRegistry,
} from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { applyPolicy, loadPolicy } from '../src/index.js';
import { inInit, rejection, writePolicy } from './helpers.js';

/** Builds a third-party backend that keeps nothing and rejects `flush = true`. */
function memoryBackend(seen: NormalizedSpoolDefinition[] = []): SpoolBackend {
  return {
    kind: 'Memory',
    validate(definition) {
      seen.push(definition);
      if (definition.flush) {
        throw invalidDefinition(
          `spool '${definition.name}' has kind Memory, which cannot flush; remove flush = true`,
        );
      }
      return {};
    },
    open() {
      throw new Error('this test never opens spools');
    },
  };
}

/** Builds a backend for a built-in kind that accepts every definition. */
function acceptingBackend(kind: string): SpoolBackend {
  return {
    kind,
    validate: () => ({}),
    open() {
      throw new Error('this test never opens spools');
    },
  };
}

/** `importBackend` that finds no package, the way Node reports it. */
async function packageMissing(name: string): Promise<unknown> {
  const error = new Error(`Cannot find package '${name}' imported from /app`);
  (error as NodeJS.ErrnoException).code = 'ERR_MODULE_NOT_FOUND';
  throw error;
}

/** `importBackend` that provides both built-in kinds. */
async function builtInsPresent(name: string): Promise<unknown> {
  const kind = name.endsWith('rocksdb') ? 'RocksDB' : 'LocalDisk';
  return { backend: acceptingBackend(kind) };
}

describe('loadPolicy with a registry', () => {
  it('reports a backend rejection at the call', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend());
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'Memory', flush = true }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {}, registry }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(/^init\.lua:2: /);
    expect(error.message).toContain('cannot flush; remove flush = true');
    expect(isSpoolError(error.cause, SpoolErrorCode.InvalidDefinition)).toBe(
      true,
    );
  });

  it('passes the normalized definition to validate', async () => {
    const seen: NormalizedSpoolDefinition[] = [];
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend(seen));
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s/../data', kind = 'Memory', min_free_space = '5%' }`,
      ),
    });
    const { spools } = await loadPolicy(policy, { env: {}, registry });
    expect(spools[0]?.path).toBe('/s/../data');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe('/data');
    expect(seen[0]?.minFreeSpace).toEqual({ kind: 'percent', percent: 5 });
  });

  it('accepts a registered kind', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend());
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'Memory' }`,
      ),
    });
    const { spools } = await loadPolicy(policy, { env: {}, registry });
    expect(spools[0]?.kind).toBe('Memory');
  });

  it('suggests a registered kind', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend());
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'memory' }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {}, registry }));
    expect(error.message).toMatch(/^init\.lua:2: /);
    expect(error.message).toContain('did you mean "Memory"?');
  });

  it('names the missing backend package', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'RocksDB' }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {}, registry }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(/^init\.lua:2: /);
    expect(error.message).toContain('@spoolkit/backend-rocksdb');
    expect(error.message).toContain('npm install @spoolkit/backend-rocksdb');
    expect(isSpoolError(error.cause, SpoolErrorCode.BackendMissing)).toBe(true);
  });

  it('ignores missing packages of unused kinds', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend());
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'Memory' }`,
      ),
    });
    const { spools } = await loadPolicy(policy, { env: {}, registry });
    expect(spools).toHaveLength(1);
  });

  it('accepts both built-in kinds', async () => {
    const registry = new SpoolRegistry({ importBackend: builtInsPresent });
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool { name = 'data', path = '/s/data' }
kumo.define_spool { name = 'meta', path = '/s/meta', kind = 'RocksDB', rocks_params = { write_buffer_size = 4096 } }`),
    });
    const { spools } = await loadPolicy(policy, { env: {}, registry });
    expect(spools.map((spool) => spool.kind)).toEqual(['LocalDisk', 'RocksDB']);
  });

  it('leaves rocks_params keys to the backend', async () => {
    const registry = new SpoolRegistry({ importBackend: builtInsPresent });
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { backend_only_key = true } }`,
      ),
    });
    const { spools } = await loadPolicy(policy, { env: {}, registry });
    expect(spools[0]?.rocks_params).toEqual({ backend_only_key: true });
  });

  it('rejects rocks floats before the backend', async () => {
    const registry = new SpoolRegistry({ importBackend: builtInsPresent });
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'RocksDB', rocks_params = { max_open_files = 2^10 } }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {}, registry }));
    expect(error.message).toMatch(/^init\.lua:2: rocks_params\.max_open_files/);
    expect(error.message).toContain('Lua float 1024.0');
  });

  it('leaves rocks_params to a third-party backend', async () => {
    const seen: NormalizedSpoolDefinition[] = [];
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend(seen));
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'Memory', rocks_params = { cache_mb = 64 } }`,
      ),
    });

    const { spools } = await loadPolicy(policy, { env: {}, registry });

    expect(spools[0]?.rocks_params).toEqual({ cache_mb: 64 });
    expect(seen[0]?.rocksParams).toEqual({ cache_mb: 64 });
  });

  it('checks rocks_params of a LocalDisk spool', async () => {
    const registry = new SpoolRegistry({ importBackend: builtInsPresent });
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', rocks_params = { log_level = 'Verbose' } }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {}, registry }));
    expect(error.message).toMatch(/^init\.lua:2: rocks_params\.log_level/);
  });

  it('rejects a name the registry holds', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend());
    await registry.define({ name: 'data', path: '/elsewhere', kind: 'Memory' });
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'Memory' }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {}, registry }));
    expect(error.message).toMatch(
      /^init\.lua:2: spool 'data' is defined twice/,
    );
  });

  it('rejects a path the registry holds', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend());
    await registry.define({ name: 'other', path: '/s', kind: 'Memory' });
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', kind = 'Memory' }`,
      ),
    });
    const error = await rejection(loadPolicy(policy, { env: {}, registry }));
    expect(error.message).toMatch(/^init\.lua:2: spools 'other' and 'data'/);
  });
});

describe('applyPolicy', () => {
  it('defines every spool in order', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend());
    const policy = writePolicy({
      'init.lua': inInit(`
for _, name in ipairs { 'meta', 'data' } do
  kumo.define_spool { name = name, path = '/s/' .. name, kind = 'Memory', min_free_inodes = 100 }
end`),
    });
    const defined = await applyPolicy(registry, policy, { env: {} });
    expect(defined.map((definition) => definition.name)).toEqual([
      'meta',
      'data',
    ]);
    expect(defined[0]?.minFreeInodes).toEqual({ kind: 'count', count: 100 });
    expect(registry.definitions().map((definition) => definition.name)).toEqual(
      ['meta', 'data'],
    );
  });

  it('defines nothing when the policy is invalid', async () => {
    const registry = new SpoolRegistry({ importBackend: packageMissing });
    registry.register(memoryBackend());
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool { name = 'meta', path = '/s/meta', kind = 'Memory' }
kumo.define_spool { name = 'data', path = '/s/data', kind = 'Memory', flush = true }`),
    });
    const error = await rejection(applyPolicy(registry, policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:4: /);
    expect(registry.definitions()).toEqual([]);
  });
});

describe('applyPolicy and built-in kinds', () => {
  it('imports every installed built-in backend first', async () => {
    const imported: string[] = [];
    const registry = new SpoolRegistry({
      importBackend: async (name) => {
        imported.push(name);
        return builtInsPresent(name);
      },
    });
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s/data' }`,
      ),
    });

    await applyPolicy(registry, policy);

    expect(imported.sort()).toEqual([
      '@spoolkit/backend-localdisk',
      '@spoolkit/backend-rocksdb',
    ]);
    expect(() => registry.register(acceptingBackend('RocksDB'))).toThrowError(
      /kind 'RocksDB' already has the built-in backend from @spoolkit\/backend-rocksdb/,
    );
  });

  it('uses a backend registered under a built-in kind before it runs', async () => {
    const imported: string[] = [];
    const registry = new SpoolRegistry({
      importBackend: async (name) => {
        imported.push(name);
        return builtInsPresent(name);
      },
    });
    const seen: NormalizedSpoolDefinition[] = [];
    registry.register({ ...memoryBackend(seen), kind: 'LocalDisk' });
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s/data' }`,
      ),
    });

    await applyPolicy(registry, policy);

    expect(imported).toEqual(['@spoolkit/backend-rocksdb']);
    expect(seen.map((definition) => definition.name)).toContain('data');
  });
});
