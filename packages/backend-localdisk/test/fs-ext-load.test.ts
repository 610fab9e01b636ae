import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Runs the built package (dist/) in a child Node process, in a project
// whose node_modules/fs-ext is a stand-in without flockSync, as when
// another package or a broken copy sits in its place. It needs
// `turbo run build` first.

const run = promisify(execFile);
const packageRoot = path.resolve(fileURLToPath(import.meta.url), '../..');
const require = createRequire(import.meta.url);
let project: string;

beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-fs-ext-'));
  const modules = path.join(project, 'node_modules');
  const backend = path.join(modules, '@spoolkit', 'backend-localdisk');
  await mkdir(backend, { recursive: true });
  await cp(path.join(packageRoot, 'dist'), path.join(backend, 'dist'), {
    recursive: true,
  });
  await cp(
    path.join(packageRoot, 'package.json'),
    path.join(backend, 'package.json'),
  );
  await symlink(
    path.dirname(
      require.resolve('@spoolkit/core/package.json', { paths: [packageRoot] }),
    ),
    path.join(modules, '@spoolkit', 'core'),
    'dir',
  );
  const standIn = path.join(modules, 'fs-ext');
  await mkdir(standIn);
  await writeFile(
    path.join(standIn, 'package.json'),
    JSON.stringify({ name: 'fs-ext', version: '2.1.1', main: 'index.js' }),
  );
  await writeFile(
    path.join(standIn, 'index.js'),
    'exports.seek = function seek() {};\n',
  );
  await writeFile(
    path.join(project, 'open.mjs'),
    `import { openLocalDiskSpool } from '@spoolkit/backend-localdisk';
let outcome;
try {
  const spool = await openLocalDiskSpool({ name: 'data', path: process.argv[2] });
  await spool.close();
  outcome = { opened: true };
} catch (error) {
  outcome = { code: error.code, message: error.message };
}
console.log(JSON.stringify(outcome));
`,
  );
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('an fs-ext without flockSync', () => {
  it('fails the open as a missing backend', async () => {
    const spoolPath = path.join(project, 'spool');
    const { stdout } = await run(process.execPath, ['open.mjs', spoolPath], {
      cwd: project,
    });
    const outcome = JSON.parse(stdout);

    expect(outcome.code).toBe('SPOOL_BACKEND_MISSING');
    expect(outcome.message).toContain(
      `cannot open spool 'data' at ${spoolPath}`,
    );
    expect(outcome.message).toContain('has no flockSync() function');
    expect(outcome.message).toContain('npm install fs-ext@2.1.1');
    expect(outcome.message).not.toContain('permission');
  });
});
