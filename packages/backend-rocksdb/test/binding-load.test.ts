import { execFile } from 'node:child_process';
import {
  cp,
  mkdir,
  mkdtemp,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Runs the built package (dist/) in child Node processes against a copy of
// the real `rocksdb` package without its prebuilt binaries, as after an
// install on a platform with no prebuild and no compiler. It needs
// `turbo run build` first.

const run = promisify(execFile);
const packageRoot = path.resolve(fileURLToPath(import.meta.url), '../..');
const require = createRequire(import.meta.url);
let project: string;

/** Returns the folder of an installed package, resolved from `from`. */
function installedDir(name: string, from: string): string {
  return path.dirname(
    require.resolve(`${name}/package.json`, { paths: [from] }),
  );
}

/** Opens a spool, prints the error's code and message as JSON, then imports another module. */
const SCRIPT_BODY = `
async function main(spoolPath) {
  let outcome;
  try {
    const spool = await openRocksDbSpool({ name: 'data', path: spoolPath });
    await spool.close();
    outcome = { opened: true };
  } catch (error) {
    outcome = { code: error.code, message: error.message };
  }
  // The process goes on loading modules after the failure.
  await import('node:zlib');
  console.log(JSON.stringify(outcome));
}
`;

beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-binding-'));
  const modules = path.join(project, 'node_modules');
  const backend = path.join(modules, '@spoolkit', 'backend-rocksdb');
  await mkdir(backend, { recursive: true });
  await cp(path.join(packageRoot, 'dist'), path.join(backend, 'dist'), {
    recursive: true,
  });
  await cp(
    path.join(packageRoot, 'package.json'),
    path.join(backend, 'package.json'),
  );
  await symlink(
    installedDir('@spoolkit/core', packageRoot),
    path.join(modules, '@spoolkit', 'core'),
    'dir',
  );
  await symlink(
    installedDir('async-mutex', packageRoot),
    path.join(modules, 'async-mutex'),
    'dir',
  );

  // The rocksdb package's JavaScript, without prebuilds/ or a build/.
  const installedRocksdb = installedDir('rocksdb', packageRoot);
  const rocksdb = path.join(modules, 'rocksdb');
  await mkdir(rocksdb);
  for (const file of [
    'package.json',
    'binding.js',
    'leveldown.js',
    'iterator.js',
    'chained-batch.js',
  ]) {
    await cp(path.join(installedRocksdb, file), path.join(rocksdb, file));
  }
  for (const dependency of [
    'abstract-leveldown',
    'napi-macros',
    'node-gyp-build',
  ]) {
    await symlink(
      installedDir(dependency, installedRocksdb),
      path.join(modules, dependency),
      'dir',
    );
  }

  await writeFile(
    path.join(project, 'open.mjs'),
    `import { openRocksDbSpool } from '@spoolkit/backend-rocksdb';\n${SCRIPT_BODY}\nawait main(process.argv[2]);\n`,
  );
  await writeFile(
    path.join(project, 'open.cjs'),
    `const { openRocksDbSpool } = require('@spoolkit/backend-rocksdb');\n${SCRIPT_BODY}\nmain(process.argv[2]);\n`,
  );
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('a rocksdb binding without its binary', () => {
  it.each(['open.mjs', 'open.cjs'])(
    'fails the open with the fix from %s',
    async (script) => {
      const spoolPath = path.join(project, `spool-${script}`);
      const { stdout } = await run(process.execPath, [script, spoolPath], {
        cwd: project,
      });
      const outcome = JSON.parse(stdout);

      expect(outcome.code).toBe('SPOOL_BACKEND_MISSING');
      expect(outcome.message).toContain(
        `cannot open spool 'data' at ${spoolPath}: the native module rocksdb failed to load`,
      );
      expect(outcome.message).toContain('run `npm rebuild rocksdb`');
      expect(outcome.message).toContain('npm install-scripts approve rocksdb');
      expect(outcome.message).not.toContain('\n');
    },
  );

  it('names npm install when the package is missing', async () => {
    const rocksdb = path.join(project, 'node_modules', 'rocksdb');
    await rename(rocksdb, `${rocksdb}.off`);
    try {
      const spoolPath = path.join(project, 'spool-missing');
      const { stdout } = await run(process.execPath, ['open.mjs', spoolPath], {
        cwd: project,
      });
      const outcome = JSON.parse(stdout);

      expect(outcome.code).toBe('SPOOL_BACKEND_MISSING');
      expect(outcome.message).toContain(
        'the native module rocksdb is not installed; run `npm install`',
      );
      expect(outcome.message).not.toContain('npm rebuild');
    } finally {
      await rename(`${rocksdb}.off`, rocksdb);
    }
  });
});
