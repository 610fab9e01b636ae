import { SpoolErrorCode, SpoolId, SpoolRegistry } from '@spoolkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { discardMemorySpool, memoryBackend } from '../src/index.js';

const paths = ['/spoolkit-example/data', '/spoolkit-example/meta'];

afterEach(() => {
  for (const spoolPath of paths) {
    discardMemorySpool(spoolPath);
  }
});

describe('Memory backend in a registry', () => {
  it('opens spools defined with its kind', async () => {
    const registry = new SpoolRegistry().register(memoryBackend);
    await registry.define({
      name: 'data',
      path: paths[0] as string,
      kind: 'Memory',
    });
    const spool = await registry.open('data');
    expect(spool.kind).toBe('Memory');
    expect(spool.path).toBe(paths[0]);

    const id = SpoolId.generate();
    await spool.store(id, Buffer.from('hello'));
    expect((await registry.get('data').load(id)).toString()).toBe('hello');
    await registry.closeAll();
  });

  it('keeps data across closeAll and open', async () => {
    const registry = new SpoolRegistry().register(memoryBackend);
    await registry.define({
      name: 'meta',
      path: paths[1] as string,
      kind: 'Memory',
    });
    const id = SpoolId.generate();
    await (await registry.open('meta')).store(id, Buffer.from('{"queue":"x"}'));
    await registry.closeAll();
    expect((await (await registry.open('meta')).load(id)).toString()).toBe(
      '{"queue":"x"}',
    );
    await registry.closeAll();
  });

  it('rejects rocks_params', async () => {
    const registry = new SpoolRegistry().register(memoryBackend);
    await expect(
      registry.define({
        name: 'data',
        path: paths[0] as string,
        kind: 'Memory',
        rocks_params: { paranoid_checks: true },
      }),
    ).rejects.toMatchObject({ code: SpoolErrorCode.InvalidDefinition });
  });

  it('suggests the kind for a typo', async () => {
    const registry = new SpoolRegistry().register(memoryBackend);
    await expect(
      registry.define({
        name: 'data',
        path: paths[0] as string,
        kind: 'memory',
      }),
    ).rejects.toThrow(/did you mean "Memory"/);
  });

  it('discard keeps an open spool', async () => {
    const registry = new SpoolRegistry().register(memoryBackend);
    await registry.define({
      name: 'data',
      path: paths[0] as string,
      kind: 'Memory',
    });
    await registry.open('data');
    expect(discardMemorySpool(paths[0] as string)).toBe(false);
    await registry.closeAll();
    expect(discardMemorySpool(paths[0] as string)).toBe(true);
  });
});
