import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { applyPolicy, loadPolicy } from '@spoolkit/config-lua';
import { SpoolId, SpoolRegistry } from '@spoolkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardMemorySpool, memoryBackend } from '../src/index.js';

let dir: string;
let policy: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-memory-policy-'));
  policy = path.join(dir, 'policy.lua');
  await writeFile(
    policy,
    `local kumo = require 'kumo'
local root = os.getenv('SPOOL_ROOT')

kumo.on('init', function()
  for _, name in ipairs { 'data', 'meta' } do
    kumo.define_spool {
      name = name,
      path = root .. '/' .. name,
      kind = 'Memory',
    }
  end
end)
`,
  );
});

afterAll(async () => {
  discardMemorySpool(path.join(dir, 'data'));
  discardMemorySpool(path.join(dir, 'meta'));
  await rm(dir, { recursive: true, force: true });
});

describe('Memory kind from a Lua policy', () => {
  it('loads both spools', async () => {
    const registry = new SpoolRegistry().register(memoryBackend);
    const { spools } = await loadPolicy(policy, {
      env: { SPOOL_ROOT: dir },
      registry,
    });
    expect(spools.map((spool) => [spool.name, spool.kind, spool.path])).toEqual(
      [
        ['data', 'Memory', path.join(dir, 'data')],
        ['meta', 'Memory', path.join(dir, 'meta')],
      ],
    );
  });

  it('applies and stores', async () => {
    const registry = new SpoolRegistry().register(memoryBackend);
    await applyPolicy(registry, policy, { env: { SPOOL_ROOT: dir } });
    const data = await registry.open('data');
    expect(data.kind).toBe('Memory');
    const id = SpoolId.generate();
    await data.store(id, Buffer.from('Subject: policy\r\n\r\n'));
    await registry.closeAll();

    const again = new SpoolRegistry().register(memoryBackend);
    await applyPolicy(again, policy, { env: { SPOOL_ROOT: dir } });
    const reopened = await again.open('data');
    expect((await reopened.load(id)).toString()).toBe(
      'Subject: policy\r\n\r\n',
    );
    await again.closeAll();
  });

  it('rejects the kind without registration', async () => {
    await expect(
      loadPolicy(policy, {
        env: { SPOOL_ROOT: dir },
        registry: new SpoolRegistry(),
      }),
    ).rejects.toThrow(/Memory/);
  });

  it('reports validate errors at the policy line', async () => {
    const bad = path.join(dir, 'rocks-params.lua');
    await writeFile(
      bad,
      `local kumo = require 'kumo'
kumo.on('init', function()
  kumo.define_spool {
    name = 'data',
    path = '/spool/data',
    kind = 'Memory',
    rocks_params = { paranoid_checks = true },
  }
end)
`,
    );
    const registry = new SpoolRegistry().register(memoryBackend);
    await expect(loadPolicy(bad, { registry })).rejects.toThrow(
      /^rocks-params\.lua:3: spool 'data' of kind 'Memory' takes no rocks_params/,
    );
  });
});
