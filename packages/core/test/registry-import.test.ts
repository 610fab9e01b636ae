import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// These tests run the built package (dist/) in a child Node process, so
// the registry's own import() (ESM build) or require (CommonJS build)
// resolves packages the way it does in an application. They need
// `turbo run build` first.

const run = promisify(execFile);
const packageRoot = path.resolve(fileURLToPath(import.meta.url), '../..');
const require = createRequire(import.meta.url);
let project: string;

/** Where a dependency of core is installed, for linking into the project. */
function installedDir(name: string): string {
  const entry = require.resolve(`${name}/package.json`, {
    paths: [packageRoot],
  });
  return path.dirname(entry);
}

beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-import-'));
  const modules = path.join(project, 'node_modules');
  const core = path.join(modules, '@spoolkit', 'core');
  await mkdir(core, { recursive: true });
  await cp(path.join(packageRoot, 'dist'), path.join(core, 'dist'), {
    recursive: true,
  });
  await cp(
    path.join(packageRoot, 'package.json'),
    path.join(core, 'package.json'),
  );
  for (const dependency of ['uuid', 'fastest-levenshtein']) {
    await symlink(
      installedDir(dependency),
      path.join(modules, dependency),
      'dir',
    );
  }

  // A stand-in LocalDisk package, so the built-in import has something to find.
  const localdisk = path.join(modules, '@spoolkit', 'backend-localdisk');
  await mkdir(localdisk, { recursive: true });
  await writeFile(
    path.join(localdisk, 'package.json'),
    JSON.stringify({
      name: '@spoolkit/backend-localdisk',
      type: 'module',
      main: 'index.js',
    }),
  );
  await writeFile(
    path.join(localdisk, 'index.js'),
    `export const backend = {
  kind: 'LocalDisk',
  validate: () => 'validated',
  open: async (definition, options) => {
    const spool = { name: definition.name, kind: 'LocalDisk', options };
    for (const method of ['store', 'load', 'remove', 'enumerate', 'cleanup', 'compact', 'adviseLowMemory', 'unhealthyReason', 'close']) {
      spool[method] = async () => undefined;
    }
    return spool;
  },
};\n`,
  );

  const script = (loader: string) => `${loader}
const registry = new SpoolRegistry();
const result = {};
try {
  await registry.define({ name: 'meta', path: 'meta', kind: 'RocksDB' });
  result.rocksdb = 'defined';
} catch (error) {
  result.rocksdb = { code: error.code, message: error.message };
}
await registry.define({ name: 'data', path: 'data' });
const spool = await registry.open('data');
result.localdisk = { kind: spool.kind, options: spool.options };
console.log(JSON.stringify(result));
`;
  await writeFile(
    path.join(project, 'esm.mjs'),
    script("import { SpoolRegistry } from '@spoolkit/core';"),
  );
  await writeFile(
    path.join(project, 'cjs.mjs'),
    script(
      "import { createRequire } from 'node:module';\nconst { SpoolRegistry } = createRequire(import.meta.url)('@spoolkit/core');",
    ),
  );
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe.each(['esm', 'cjs'])('registry import from the %s build', (format) => {
  it('finds an installed built-in backend', async () => {
    const { stdout } = await run(process.execPath, [`${format}.mjs`], {
      cwd: project,
    });
    const result = JSON.parse(stdout);
    expect(result.localdisk).toEqual({
      kind: 'LocalDisk',
      options: 'validated',
    });
  });

  it('names the missing backend package', async () => {
    const { stdout } = await run(process.execPath, [`${format}.mjs`], {
      cwd: project,
    });
    const result = JSON.parse(stdout);
    expect(result.rocksdb.code).toBe('SPOOL_BACKEND_MISSING');
    expect(result.rocksdb.message).toContain(
      "spool 'meta' uses kind 'RocksDB', which needs the package @spoolkit/backend-rocksdb, which is not installed; run: npm install @spoolkit/backend-rocksdb",
    );
  });
});

describe('registry import of a backend with a missing dependency', () => {
  beforeAll(async () => {
    // A RocksDB package that is installed but whose own dependency is not.
    const rocksdb = path.join(
      project,
      'node_modules',
      '@spoolkit',
      'backend-rocksdb',
    );
    await mkdir(rocksdb, { recursive: true });
    await writeFile(
      path.join(rocksdb, 'package.json'),
      JSON.stringify({
        name: '@spoolkit/backend-rocksdb',
        type: 'module',
        main: 'index.js',
      }),
    );
    await writeFile(
      path.join(rocksdb, 'index.js'),
      "export { default as backend } from 'rocksdb-binding-not-installed';\n",
    );
  });

  it('reports a load failure, not a missing backend', async () => {
    const { stdout } = await run(process.execPath, ['esm.mjs'], {
      cwd: project,
    });
    const result = JSON.parse(stdout);
    expect(result.rocksdb.code).toBe('SPOOL_IO');
    expect(result.rocksdb.message).toContain(
      'needs the package @spoolkit/backend-rocksdb, which failed to load',
    );
    expect(result.rocksdb.message).toContain("'rocksdb-binding-not-installed'");
  });
});

describe('registry import of a backend whose native addon is missing', () => {
  beforeAll(async () => {
    // An installed RocksDB package whose addon was never built, as after `npm install --ignore-scripts`.
    await writeFile(
      path.join(
        project,
        'node_modules',
        '@spoolkit',
        'backend-rocksdb',
        'index.js',
      ),
      "import { createRequire } from 'node:module';\ncreateRequire(import.meta.url)('./build/Release/binding.node');\nexport const backend = {};\n",
    );
  });

  it('suggests npm rebuild', async () => {
    const { stdout } = await run(process.execPath, ['esm.mjs'], {
      cwd: project,
    });
    const result = JSON.parse(stdout);
    expect(result.rocksdb.code).toBe('SPOOL_IO');
    expect(result.rocksdb.message).toContain('binding.node');
    expect(result.rocksdb.message).toContain('run `npm rebuild`');
  });
});
