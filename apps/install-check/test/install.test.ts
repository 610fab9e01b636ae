import { existsSync } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run, runWithStderr } from './support.js';

// Packs the built packages with `npm pack` and installs the tarballs into
// a fresh project under the temp dir, as a user would install them from
// the registry. It needs `turbo run build` first, and npm reaches the
// registry (or its cache) for third-party dependencies.

const PACKAGES = [
  '@spoolkit/core',
  '@spoolkit/config-lua',
  '@spoolkit/backend-localdisk',
];

let root: string;
let project: string;

/** The part of `npm pack --json` output this test reads. */
interface PackedPackage {
  name: string;
  filename: string;
  files: Array<{ path: string }>;
}

let packedPackages: PackedPackage[] = [];

async function installFromTarballs(): Promise<void> {
  const tarballs = path.join(root, 'tarballs');
  await mkdir(tarballs);
  const packed = JSON.parse(
    await run(
      'npm',
      [
        'pack',
        '--json',
        '--pack-destination',
        tarballs,
        ...PACKAGES.flatMap((name) => ['-w', name]),
      ],
      repoRoot,
    ),
  ) as PackedPackage[];
  packedPackages = packed;

  const dependencies: Record<string, string> = {};
  for (const { name, filename } of packed) {
    dependencies[name] = `file:${path.join(tarballs, path.basename(filename))}`;
  }
  await mkdir(project);
  await writeFile(
    path.join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'spoolkit-install-check',
        private: true,
        type: 'module',
        dependencies,
        // npm 11 runs no install scripts unless listed, and fs-ext compiles its addon in one.
        allowScripts: { 'fs-ext': true },
      },
      null,
      2,
    ),
  );
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund'],
    project,
    // Within the 300 s hook limit: an install may fetch from the registry.
    280_000,
  );
}

/** Writes a policy that defines `data` and `meta` of `kind` under `SPOOL_ROOT`. */
async function writePolicy(file: string, kind: string): Promise<string> {
  const policy = path.join(project, file);
  await writeFile(
    policy,
    `local kumo = require 'kumo'

kumo.on('init', function()
  kumo.define_spool {
    name = 'data',
    path = os.getenv('SPOOL_ROOT') .. '/data',
    kind = '${kind}',
  }
  kumo.define_spool {
    name = 'meta',
    path = os.getenv('SPOOL_ROOT') .. '/meta',
    kind = '${kind}',
  }
end)
`,
  );
  return policy;
}

/** Script function: collects the code and message of an error and of each cause below it. */
const ERROR_CHAIN = `function errorChain(error) {
  const codes = [];
  const messages = [];
  for (let current = error; current; current = current.cause) {
    codes.push(current.code);
    messages.push(String(current.message));
  }
  return { codes, messages };
}`;

/** Script body: applies a policy, stores and loads one entry, and prints the outcome as JSON. */
const RUN_POLICY_BODY = `${ERROR_CHAIN}

async function main() {
  const [policy, spoolRoot] = process.argv.slice(2);
  const registry = new SpoolRegistry();
  try {
    await applyPolicy(registry, policy, { env: { SPOOL_ROOT: spoolRoot } });
    const data = await registry.open('data');
    const id = SpoolId.generate();
    await data.store(id, Buffer.from('Subject: installed\\r\\n\\r\\nhello\\r\\n'));
    const loaded = (await data.load(id)).toString();
    await registry.closeAll();
    console.log(JSON.stringify({ kind: data.kind, loaded, file: id.relativePath() }));
  } catch (error) {
    console.log(JSON.stringify(errorChain(error)));
  }
}
`;

/** `RUN_POLICY_BODY` as an ES module. */
const RUN_POLICY_ESM = `import { applyPolicy } from '@spoolkit/config-lua';
import { SpoolId, SpoolRegistry } from '@spoolkit/core';

${RUN_POLICY_BODY}
await main();
`;

/** `RUN_POLICY_BODY` as a CommonJS script, which gets the packages' CommonJS builds. */
const RUN_POLICY_CJS = `const { applyPolicy } = require('@spoolkit/config-lua');
const { SpoolId, SpoolRegistry } = require('@spoolkit/core');

${RUN_POLICY_BODY}
main();
`;

/** ES module: applies a LocalDisk policy, then a RocksDB one, and prints each outcome as JSON. */
const UNBUILT_ESM = `import { applyPolicy } from '@spoolkit/config-lua';
import { SpoolRegistry } from '@spoolkit/core';

${ERROR_CHAIN}

const [localdisk, rocksdb, spoolRoot] = process.argv.slice(2);
const outcome = {};
for (const [kind, policy] of [['LocalDisk', localdisk], ['RocksDB', rocksdb]]) {
  const registry = new SpoolRegistry();
  try {
    await applyPolicy(registry, policy, { env: { SPOOL_ROOT: spoolRoot + '/' + kind } });
    await registry.open('data');
    outcome[kind] = { opened: true };
    await registry.closeAll();
  } catch (error) {
    outcome[kind] = errorChain(error);
  }
}
console.log(JSON.stringify(outcome));
// A failed open must leave nothing that keeps the process alive. If
// something does, name it on stderr and fail now, not at the 90 s kill.
setTimeout(() => {
  console.error('still running 20 s after the output; active resources: ' + process.getActiveResourcesInfo().join(', '));
  process.exit(3);
}, 20_000).unref();
`;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-install-'));
  project = path.join(root, 'project');
  await installFromTarballs();
  await writeFile(path.join(project, 'run-policy.mjs'), RUN_POLICY_ESM);
  await writeFile(path.join(project, 'run-policy.cjs'), RUN_POLICY_CJS);
  await writeFile(path.join(project, 'unbuilt.mjs'), UNBUILT_ESM);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Finds every folder named `name` under `dir`, recursively and following no links. */
async function findDirs(dir: string, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const child = path.join(dir, entry.name);
    if (entry.name === name) found.push(child);
    found.push(...(await findDirs(child, name)));
  }
  return found;
}

describe('packed tarballs', () => {
  it('contain only dist and metadata', () => {
    expect(packedPackages.map((packed) => packed.name).sort()).toEqual(
      [...PACKAGES].sort(),
    );
    for (const packed of packedPackages) {
      const stray = packed.files
        .map((file) => file.path)
        .filter(
          (file) =>
            !file.startsWith('dist/') &&
            !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(file),
        );
      expect(stray, packed.name).toEqual([]);
    }
  });

  it('include the license text', () => {
    for (const packed of packedPackages) {
      expect(
        packed.files.map((file) => file.path),
        packed.name,
      ).toContain('LICENSE');
    }
  });

  it('include the testing entry of core', () => {
    const core = packedPackages.find(
      (packed) => packed.name === '@spoolkit/core',
    );
    const files = core?.files.map((file) => file.path) ?? [];
    for (const entry of [
      'index.js',
      'index.cjs',
      'index.d.ts',
      'index.d.cts',
    ]) {
      expect(files).toContain(`dist/testing/${entry}`);
    }
  });
});

describe('installed from tarballs', () => {
  it('has no rocksdb', async () => {
    const modules = path.join(project, 'node_modules');
    expect(existsSync(path.join(modules, '@spoolkit', 'core'))).toBe(true);
    expect(await findDirs(modules, 'rocksdb')).toEqual([]);
    expect(await findDirs(modules, 'backend-rocksdb')).toEqual([]);
  });

  it.each([
    ['ESM', 'run-policy.mjs'],
    ['CommonJS', 'run-policy.cjs'],
  ])('loads a LocalDisk policy and stores from %s', async (_system, script) => {
    const policy = await writePolicy('localdisk.lua', 'LocalDisk');
    const spoolRoot = path.join(root, `spool-localdisk-${script}`);
    const output = JSON.parse(
      await run(process.execPath, [script, policy, spoolRoot], project),
    );
    expect(output.kind).toBe('LocalDisk');
    expect(output.loaded).toBe('Subject: installed\r\n\r\nhello\r\n');
    // LocalDisk keeps KumoMTA's layout: data/aa/bb/cc/dd/<24 hex digits>.
    expect(existsSync(path.join(spoolRoot, 'data', 'data', output.file))).toBe(
      true,
    );
  });

  it('names the missing RocksDB package', async () => {
    const policy = await writePolicy('rocksdb.lua', 'RocksDB');
    const spoolRoot = path.join(root, 'spool-rocksdb');
    const output = JSON.parse(
      await run(
        process.execPath,
        ['run-policy.mjs', policy, spoolRoot],
        project,
      ),
    );
    // config-lua reports the definition as invalid, with the registry's error as its cause.
    expect(output.codes).toContain('SPOOL_BACKEND_MISSING');
    expect(output.messages[0]).toContain('@spoolkit/backend-rocksdb');
    expect(output.messages.join('\n')).toContain(
      'npm install @spoolkit/backend-rocksdb',
    );
  });

  it('warns in check-policy about the missing RocksDB package', async () => {
    const policy = await writePolicy('check-rocksdb.lua', 'RocksDB');
    const cli = path.join(
      project,
      'node_modules',
      '@spoolkit',
      'config-lua',
      'dist',
      'cli.js',
    );
    const { stdout, stderr } = await runWithStderr(
      process.execPath,
      [cli, policy],
      project,
      { SPOOL_ROOT: path.join(root, 'spool-check') },
    );

    expect(JSON.parse(stdout)).toHaveLength(2);
    expect(stderr).toContain(
      "warning: kind 'RocksDB' (spool 'data', 'meta') needs the package @spoolkit/backend-rocksdb, which is not installed here",
    );
    expect(stderr).toContain('run: npm install @spoolkit/backend-rocksdb');
    expect(stderr).not.toContain('backend-localdisk');
  });

  it('reports an unbuilt fs-ext and keeps running', async () => {
    // As after `npm install --ignore-scripts`, or a Node upgrade without
    // `npm rebuild`: fs-ext is installed but its addon is missing.
    const build = path.join(project, 'node_modules', 'fs-ext', 'build');
    await rename(build, `${build}.off`);
    try {
      const localdisk = await writePolicy('unbuilt-localdisk.lua', 'LocalDisk');
      const rocksdb = await writePolicy('unbuilt-rocksdb.lua', 'RocksDB');
      const spoolRoot = path.join(root, 'spool-unbuilt');
      // While fs-ext was imported statically, Node 20 threw the first
      // failure again from the next import(), uncaught, and exited 1.
      const output = JSON.parse(
        await run(
          process.execPath,
          ['unbuilt.mjs', localdisk, rocksdb, spoolRoot],
          project,
        ),
      );

      expect(output.LocalDisk.codes).toContain('SPOOL_BACKEND_MISSING');
      expect(output.LocalDisk.messages.join('\n')).toContain('fs-ext');
      expect(output.LocalDisk.messages.join('\n')).toContain(
        'npm rebuild fs-ext',
      );
      // Node's require stack stays in the cause, off the message.
      expect(output.LocalDisk.messages[0]).not.toContain('\n');
      expect(output.RocksDB.codes).toContain('SPOOL_BACKEND_MISSING');
      expect(output.RocksDB.messages.join('\n')).toContain(
        'npm install @spoolkit/backend-rocksdb',
      );
    } finally {
      await rename(`${build}.off`, build);
    }
  });

  it('names npm install when fs-ext is missing', async () => {
    const fsExt = path.join(project, 'node_modules', 'fs-ext');
    await rename(fsExt, `${fsExt}.off`);
    try {
      const localdisk = await writePolicy('missing-localdisk.lua', 'LocalDisk');
      const rocksdb = await writePolicy('missing-rocksdb.lua', 'RocksDB');
      const output = JSON.parse(
        await run(
          process.execPath,
          ['unbuilt.mjs', localdisk, rocksdb, path.join(root, 'spool-missing')],
          project,
        ),
      );

      expect(output.LocalDisk.codes).toContain('SPOOL_BACKEND_MISSING');
      expect(output.LocalDisk.messages.join('\n')).toContain(
        'fs-ext, which is not installed; run `npm install`',
      );
      expect(output.LocalDisk.messages.join('\n')).not.toContain('npm rebuild');
      expect(output.RocksDB.codes).toContain('SPOOL_BACKEND_MISSING');
    } finally {
      await rename(`${fsExt}.off`, fsExt);
    }
  });

  it('loads the CommonJS build of core', async () => {
    const script = `const { SpoolId } = require('@spoolkit/core');
console.log(SpoolId.parse('d7ef132b-5d77-11ee-a8c8-000c29c33806').created.toISOString());`;
    await writeFile(path.join(project, 'cjs.cjs'), script);
    const output = await run(process.execPath, ['cjs.cjs'], project);
    expect(output.trim()).toBe('2023-09-27T20:53:00.032Z');
  });

  it('passes the conformance suite with LocalDisk', async () => {
    // vitest comes from this workspace, linked in, so that the project
    // installs nothing beyond the three tarballs.
    await symlink(
      path.join(repoRoot, 'node_modules', 'vitest'),
      path.join(project, 'node_modules', 'vitest'),
      'dir',
    );
    await writeFile(
      path.join(project, 'localdisk-conformance.test.mjs'),
      `import { SpoolRegistry } from '@spoolkit/core';
import { describeSpoolConformance } from '@spoolkit/core/testing';

describeSpoolConformance({
  name: 'Installed LocalDisk',
  async create(dir) {
    const registry = new SpoolRegistry();
    await registry.define({ name: 'data', path: dir, kind: 'LocalDisk' });
    return registry.open('data');
  },
});
`,
    );
    const report = path.join(root, 'conformance.json');
    const vitestBin = path.join(
      repoRoot,
      'node_modules',
      'vitest',
      'vitest.mjs',
    );
    await run(
      process.execPath,
      [
        vitestBin,
        'run',
        '--root',
        project,
        '--reporter=json',
        `--outputFile=${report}`,
      ],
      project,
    );
    const result = JSON.parse(await readFile(report, 'utf8'));
    expect(result.numFailedTests).toBe(0);
    expect(result.numPassedTests).toBeGreaterThanOrEqual(29);
  });
});
