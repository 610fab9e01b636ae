import { SpoolId, type SpoolLogger, SpoolRegistry } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { backend, LocalDiskSpool } from '../src/index.js';
import { makeTempDir } from './helpers.js';

function recordingLogger() {
  const warnings: string[] = [];
  const ignore = () => undefined;
  const logger: SpoolLogger = {
    debug: ignore,
    info: ignore,
    warn: (_fields, message) => warnings.push(message ?? ''),
    error: ignore,
  };
  return { logger, warnings };
}

describe('backend', () => {
  it('has kind LocalDisk', () => {
    expect(backend.kind).toBe('LocalDisk');
  });

  it('opens through the registry', async () => {
    const dir = makeTempDir();
    const registry = new SpoolRegistry();
    await registry.define({
      name: 'data',
      path: dir,
      kind: 'LocalDisk',
      flush: true,
    });

    const spool = await registry.open('data');
    try {
      const id = SpoolId.generate();
      await spool.store(id, Buffer.from('through the registry'));

      expect(spool.kind).toBe('LocalDisk');
      expect((await spool.load(id)).toString()).toBe('through the registry');
    } finally {
      await registry.closeAll();
    }
  });

  it('warns that rocks_params is ignored', async () => {
    const { logger, warnings } = recordingLogger();
    const registry = new SpoolRegistry({ logger });

    await registry.define({
      name: 'meta',
      path: makeTempDir(),
      rocks_params: { paranoid_checks: true },
    });

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("rocks_params of spool 'meta' is ignored");
  });

  it('accepts a plain definition silently', async () => {
    const { logger, warnings } = recordingLogger();
    const registry = new SpoolRegistry({ logger });

    const definition = await registry.define({
      name: 'data',
      path: makeTempDir(),
    });

    expect(definition.kind).toBe('LocalDisk');
    expect(warnings).toEqual([]);
  });

  it('passes the minimums on', async () => {
    const registry = new SpoolRegistry({
      importBackend: async () => ({ backend }),
    });
    await registry.define({
      name: 'data',
      path: makeTempDir(),
      min_free_space: '100%',
    });

    const spool = await registry.open('data');
    try {
      expect(spool).toBeInstanceOf(LocalDiskSpool);
      expect(spool.unhealthyReason()).toContain('min_free_space 100%');
    } finally {
      await registry.closeAll();
    }
  });
});
