import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BUILT_IN_BACKENDS,
  type NormalizedSpoolDefinition,
  readInteger,
  type Spool,
  type SpoolBackend,
  SpoolErrorCode,
  SpoolId,
  SpoolRegistry,
} from '../src/index.js';
import { referenceBackend } from './support/reference-backend.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-registry-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function withCode(code: string) {
  return expect.objectContaining({ code });
}

/** A reference backend that reads `rocks_params.level` and counts calls. */
function countingBackend(kind: string) {
  const calls: string[] = [];
  const backend: SpoolBackend<{ level: number }> = {
    kind,
    validate(definition: NormalizedSpoolDefinition) {
      calls.push(`validate ${definition.name}`);
      const level = definition.rocksParams?.level ?? 1;
      return {
        level: readInteger(
          level,
          `rocks_params.level of spool '${definition.name}'`,
          {
            min: 0,
          },
        ),
      };
    },
    async open(definition, options, context) {
      calls.push(`open ${definition.name} level ${options.level}`);
      return referenceBackend.open(definition, undefined, context);
    },
  };
  return { backend, calls };
}

describe('SpoolRegistry.register', () => {
  it('adds kinds', () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    registry.register(countingBackend('B').backend);
    expect(registry.kinds()).toEqual(['A', 'B']);
  });

  it('rejects a duplicate kind', () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    expect(() => registry.register(countingBackend('A').backend)).toThrowError(
      withCode(SpoolErrorCode.InvalidDefinition),
    );
  });

  it('rejects a backend without a kind', () => {
    const registry = new SpoolRegistry();
    const nameless = { ...referenceBackend, kind: '' };
    expect(() => registry.register(nameless)).toThrowError(
      withCode(SpoolErrorCode.InvalidArgument),
    );
  });

  it('rejects a backend without methods', () => {
    const registry = new SpoolRegistry();
    const half = { kind: 'Half', validate: () => ({}) } as never;

    expect(() => registry.register(half)).toThrowError(
      withCode(SpoolErrorCode.InvalidArgument),
    );
    expect(() => registry.register(half)).toThrowError(
      "the backend for kind 'Half' has no open() method",
    );
    expect(registry.kinds()).toEqual([]);
  });
});

describe('SpoolRegistry.define', () => {
  it('validates common keys before the backend', async () => {
    const { backend, calls } = countingBackend('A');
    const registry = new SpoolRegistry().register(backend);
    await expect(
      registry.define({
        name: 'data',
        path: root,
        kind: 'A',
        flush: 1 as never,
      }),
    ).rejects.toThrowError(withCode(SpoolErrorCode.InvalidDefinition));
    expect(calls).toEqual([]);
  });

  it('runs backend validation', async () => {
    const { backend, calls } = countingBackend('A');
    const registry = new SpoolRegistry().register(backend);
    await expect(
      registry.define({
        name: 'data',
        path: root,
        kind: 'A',
        rocks_params: { level: 1.5 },
      }),
    ).rejects.toThrow(/rocks_params\.level of spool 'data' must be an integer/);
    expect(calls).toEqual(['validate data']);
    expect(registry.definitions()).toEqual([]);
  });

  it('records definitions in order', async () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    await registry.define({
      name: 'data',
      path: path.join(root, 'd'),
      kind: 'A',
    });
    await registry.define({
      name: 'meta',
      path: path.join(root, 'm'),
      kind: 'A',
    });
    expect(registry.definitions().map((d) => d.name)).toEqual(['data', 'meta']);
  });

  it('rejects a duplicate name', async () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    await registry.define({
      name: 'data',
      path: path.join(root, 'a'),
      kind: 'A',
    });
    await expect(
      registry.define({ name: 'data', path: path.join(root, 'b'), kind: 'A' }),
    ).rejects.toThrowError(withCode(SpoolErrorCode.DuplicateName));
  });

  it('rejects a duplicate name defined concurrently', async () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    const results = await Promise.allSettled([
      registry.define({ name: 'data', path: path.join(root, 'a'), kind: 'A' }),
      registry.define({ name: 'data', path: path.join(root, 'b'), kind: 'A' }),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
    ]);
  });

  it('rejects a duplicate path', async () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    await registry.define({ name: 'data', path: root, kind: 'A' });
    const error = await registry
      .define({ name: 'meta', path: `${root}/./`, kind: 'A' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: SpoolErrorCode.DuplicatePath,
      spool: 'meta',
      path: root,
    });
    expect((error as Error).message).toContain("spools 'data' and 'meta'");
  });

  it('rejects a spool nested in another', async () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    await registry.define({ name: 'data', path: root, kind: 'A' });
    const inner = path.join(root, 'data', 'meta');
    const error = await registry
      .define({ name: 'meta', path: inner, kind: 'A' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: SpoolErrorCode.DuplicatePath,
      spool: 'meta',
      path: inner,
    });
    expect((error as Error).message).toContain('nested');
  });

  it('rejects a spool that contains another', async () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    await registry.define({
      name: 'meta',
      path: path.join(root, 'meta'),
      kind: 'A',
    });
    const error = await registry
      .define({ name: 'data', path: root, kind: 'A' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: SpoolErrorCode.DuplicatePath });
  });

  it('accepts sibling paths with a shared prefix', async () => {
    const registry = new SpoolRegistry().register(countingBackend('A').backend);
    await registry.define({ name: 'data', path: `${root}/spool`, kind: 'A' });
    await registry.define({
      name: 'meta',
      path: `${root}/spool-meta`,
      kind: 'A',
    });
    expect(registry.definitions()).toHaveLength(2);
  });

  it('rejects an unknown kind with a hint', async () => {
    const registry = new SpoolRegistry().register(
      countingBackend('Memory').backend,
    );
    const error = await registry
      .define({ name: 'data', path: root, kind: 'Memroy' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: SpoolErrorCode.UnknownKind,
      spool: 'data',
    });
    expect((error as Error).message).toContain('(did you mean "Memory"?)');
    expect((error as Error).message).toContain('LocalDisk, RocksDB, Memory');
  });

  it('rejects a wrong-case built-in kind', async () => {
    const registry = new SpoolRegistry();
    await expect(
      registry.define({ name: 'data', path: root, kind: 'rocksdb' }),
    ).rejects.toThrow(/did you mean "RocksDB"/);
  });
});

describe('SpoolRegistry built-in kinds', () => {
  it('names their packages', () => {
    expect(BUILT_IN_BACKENDS).toEqual({
      LocalDisk: '@spoolkit/backend-localdisk',
      RocksDB: '@spoolkit/backend-rocksdb',
    });
  });

  it('imports a built-in kind once', async () => {
    const imported: string[] = [];
    const registry = new SpoolRegistry({
      importBackend: async (name) => {
        imported.push(name);
        return { backend: { ...referenceBackend, kind: 'LocalDisk' } };
      },
    });
    await registry.define({ name: 'data', path: path.join(root, 'd') });
    await registry.define({ name: 'meta', path: path.join(root, 'm') });
    expect(imported).toEqual(['@spoolkit/backend-localdisk']);
    expect(registry.kinds()).toEqual(['LocalDisk']);
    const spool = await registry.open('data');
    expect(spool.kind).toBe('Reference');
    await registry.closeAll();
  });

  it('uses a backend registered under a built-in kind before any definition', async () => {
    const imported: string[] = [];
    const { backend, calls } = countingBackend('LocalDisk');
    const registry = new SpoolRegistry({
      importBackend: async (name) => {
        imported.push(name);
        return { backend: { ...referenceBackend, kind: 'LocalDisk' } };
      },
    }).register(backend);
    await registry.define({ name: 'data', path: path.join(root, 'd') });
    await registry.open('data');
    expect(imported).toEqual([]);
    expect(calls).toEqual(['validate data', 'open data level 1']);
    await registry.closeAll();
  });

  it('refuses to register a built-in kind a definition has imported', async () => {
    const registry = new SpoolRegistry({
      importBackend: async () => ({
        backend: { ...referenceBackend, kind: 'LocalDisk' },
      }),
    });
    await registry.define({ name: 'data', path: path.join(root, 'd') });
    expect(() =>
      registry.register(countingBackend('LocalDisk').backend),
    ).toThrowError(withCode(SpoolErrorCode.InvalidDefinition));
    expect(() =>
      registry.register(countingBackend('LocalDisk').backend),
    ).toThrowError(
      "kind 'LocalDisk' already has the built-in backend from @spoolkit/backend-localdisk, imported by a definition of that kind or by applyPolicy; register a replacement before either runs",
    );
  });

  it('names the package when it is missing', async () => {
    const registry = new SpoolRegistry({
      // Resolves from a folder with no node_modules, so the package is not found.
      importBackend: async (name) =>
        createRequire(path.join(os.tmpdir(), 'no-packages', 'x.js'))(name),
    });
    const error = await registry
      .define({ name: 'meta', path: root, kind: 'RocksDB' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: SpoolErrorCode.BackendMissing,
      spool: 'meta',
    });
    expect((error as Error).message).toContain(
      'run: npm install @spoolkit/backend-rocksdb',
    );
  });

  it('reports a package without a backend', async () => {
    const registry = new SpoolRegistry({ importBackend: async () => ({}) });
    await expect(
      registry.define({ name: 'data', path: root, kind: 'RocksDB' }),
    ).rejects.toThrow(/@spoolkit\/backend-rocksdb does not export a backend/);
  });

  it('reports a package that fails to load as I/O', async () => {
    const broken = new Error('native binding failed');
    const registry = new SpoolRegistry({
      importBackend: async () => {
        throw broken;
      },
    });
    const error = await registry
      .define({ name: 'data', path: root, kind: 'RocksDB' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: SpoolErrorCode.Io });
    expect((error as Error).cause).toBe(broken);
  });
});

describe('SpoolRegistry open and close', () => {
  async function defineTwo() {
    const { backend, calls } = countingBackend('A');
    const registry = new SpoolRegistry().register(backend);
    await registry.define({
      name: 'data',
      path: path.join(root, 'd'),
      kind: 'A',
    });
    await registry.define({
      name: 'meta',
      path: path.join(root, 'm'),
      kind: 'A',
      rocks_params: { level: 3 },
    });
    return { registry, calls };
  }

  it('opens once for concurrent calls', async () => {
    const { registry, calls } = await defineTwo();
    const [first, second] = await Promise.all([
      registry.open('data'),
      registry.open('data'),
    ]);
    expect(first).toBe(second);
    expect(registry.get('data')).toBe(first);
    expect(calls.filter((call) => call.startsWith('open'))).toEqual([
      'open data level 1',
    ]);
    await registry.closeAll();
  });

  it('passes validated options to open', async () => {
    const { registry, calls } = await defineTwo();
    await registry.openAll();
    expect(calls).toContain('open meta level 3');
    await registry.closeAll();
  });

  it('get rejects a spool not yet open', async () => {
    const { registry } = await defineTwo();
    expect(() => registry.get('data')).toThrowError(
      withCode(SpoolErrorCode.NotDefined),
    );
    expect(() => registry.get('data')).toThrow(/call open\('data'\) first/);
  });

  it('get rejects an undefined name with a hint', async () => {
    const { registry } = await defineTwo();
    expect(() => registry.get('dta')).toThrow(
      /no spool named 'dta' is defined \(did you mean "data"\?\); defined spools: data, meta/,
    );
    await expect(registry.open('nope')).rejects.toThrowError(
      withCode(SpoolErrorCode.NotDefined),
    );
  });

  it('closeAll closes and allows reopening', async () => {
    const { registry } = await defineTwo();
    const [data] = await registry.openAll();
    const id = SpoolId.generate();
    await data?.store(id, Buffer.from('kept'));
    await registry.closeAll();
    await expect(data?.load(id)).rejects.toThrowError(
      withCode(SpoolErrorCode.Closed),
    );
    expect(() => registry.get('data')).toThrowError(
      withCode(SpoolErrorCode.NotDefined),
    );
    const reopened = await registry.open('data');
    expect((await reopened.load(id)).toString()).toBe('kept');
    await registry.closeAll();
  });

  it('opens a spool closed directly again', async () => {
    const { registry } = await defineTwo();
    const data = await registry.open('data');
    const id = SpoolId.generate();
    await data.store(id, Buffer.from('kept'));
    // Not awaited: open() must wait for this close to release the lock.
    const closing = data.close();
    expect(data.closed).toBe(true);
    expect(() => registry.get('data')).toThrowError(
      withCode(SpoolErrorCode.Closed),
    );
    const [first, second] = await Promise.all([
      registry.open('data'),
      registry.open('data'),
    ]);
    await closing;
    expect(first).not.toBe(data);
    expect(second).toBe(first);
    expect(first.closed).toBe(false);
    expect(registry.get('data')).toBe(first);
    expect((await first.load(id)).toString()).toBe('kept');
    await registry.closeAll();
  });

  it('keeps a closed spool without a closed flag', async () => {
    const registry = new SpoolRegistry().register({
      ...referenceBackend,
      kind: 'NoFlag',
      // A backend written before `closed` joined the contract.
      open: async (definition, options, context) => {
        const inner = await referenceBackend.open(
          definition,
          options as undefined,
          context,
        );
        return {
          name: inner.name,
          kind: inner.kind,
          path: inner.path,
          store: (id, data, storeOptions) =>
            inner.store(id, data, storeOptions),
          load: (id) => inner.load(id),
          remove: (id) => inner.remove(id),
          enumerate: (enumerateOptions) => inner.enumerate(enumerateOptions),
          cleanup: () => inner.cleanup(),
          compact: () => inner.compact(),
          adviseLowMemory: () => inner.adviseLowMemory(),
          unhealthyReason: () => inner.unhealthyReason(),
          close: () => inner.close(),
        } as Spool;
      },
    });
    await registry.define({
      name: 'data',
      path: path.join(root, 'n'),
      kind: 'NoFlag',
    });
    const data = await registry.open('data');
    await data.close();
    expect(await registry.open('data')).toBe(data);
    await registry.closeAll();
    expect(await registry.open('data')).not.toBe(data);
    await registry.closeAll();
  });

  it('closeAll rethrows the first failure after closing the rest', async () => {
    const { registry } = await defineTwo();
    const [data, meta] = await registry.openAll();
    const failure = new Error('close failed');
    if (data === undefined || meta === undefined) throw new Error('not opened');
    const realClose = data.close.bind(data);
    data.close = async () => {
      await realClose();
      throw failure;
    };
    await expect(registry.closeAll()).rejects.toBe(failure);
    await expect(meta.load(SpoolId.generate())).rejects.toThrowError(
      withCode(SpoolErrorCode.Closed),
    );
  });

  it('a failed open can be retried', async () => {
    let attempts = 0;
    const flaky: SpoolBackend<undefined> = {
      ...referenceBackend,
      kind: 'Flaky',
      async open(definition, options, context) {
        attempts += 1;
        if (attempts === 1) throw new Error('first open fails');
        return referenceBackend.open(definition, options, context);
      },
    };
    const registry = new SpoolRegistry().register(flaky);
    await registry.define({ name: 'data', path: root, kind: 'Flaky' });
    await expect(registry.open('data')).rejects.toThrow('first open fails');
    await expect(registry.open('data')).resolves.toMatchObject({
      name: 'data',
    });
    await registry.closeAll();
  });

  it('rejects an open that resolves to no spool', async () => {
    const broken: SpoolBackend<undefined> = {
      ...referenceBackend,
      kind: 'Broken',
      open: async () => ({ name: 'data' }) as never,
    };
    const registry = new SpoolRegistry().register(broken);
    await registry.define({ name: 'data', path: root, kind: 'Broken' });

    const error = await registry.open('data').catch((thrown) => thrown);
    expect(error.code).toBe(SpoolErrorCode.InvalidArgument);
    expect(error.spool).toBe('data');
    expect(error.message).toContain("kind 'Broken'");
    expect(error.message).toContain('an object without store(), load()');
    expect(error.message).toContain('close()');
    expect(() => registry.get('data')).toThrow('not open');
  });

  it('rejects an open that returns no promise', async () => {
    const direct: SpoolBackend<undefined> = {
      ...referenceBackend,
      kind: 'Direct',
      open: (() => undefined) as never,
    };
    const registry = new SpoolRegistry().register(direct);
    await registry.define({ name: 'data', path: root, kind: 'Direct' });

    const error = await registry.open('data').catch((thrown) => thrown);
    expect(error.code).toBe(SpoolErrorCode.InvalidArgument);
    expect(error.message).toContain('as undefined without store()');
  });
});
