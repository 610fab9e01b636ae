import {
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run } from './support.js';

// Runs `changeset version` on a throwaway copy of the workspace manifests
// (every package.json and the .changeset config, in a fresh git repo) with
// a changeset written by hand, and checks versions, ranges and changelogs.

let copy: string;

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Lists the workspace folders from the root package.json's `workspaces` globs of the form `dir/*`. */
async function workspaceDirs(): Promise<string[]> {
  const rootManifest = JSON.parse(
    await readFile(path.join(repoRoot, 'package.json'), 'utf8'),
  );
  const dirs: string[] = [];
  for (const pattern of rootManifest.workspaces as string[]) {
    const parent = pattern.replace(/\/\*$/, '');
    for (const entry of await readdir(path.join(repoRoot, parent), {
      withFileTypes: true,
    })) {
      const dir = path.join(parent, entry.name);
      const manifest = path.join(repoRoot, dir, 'package.json');
      if (
        entry.isDirectory() &&
        (await readFile(manifest).catch(() => undefined))
      ) {
        dirs.push(dir);
      }
    }
  }
  return dirs;
}

async function manifest(dir: string): Promise<Manifest> {
  return JSON.parse(
    await readFile(path.join(copy, dir, 'package.json'), 'utf8'),
  );
}

async function changelog(dir: string): Promise<string> {
  return readFile(path.join(copy, dir, 'CHANGELOG.md'), 'utf8').catch(() => '');
}

beforeAll(async () => {
  copy = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-changeset-'));
  await cp(
    path.join(repoRoot, 'package.json'),
    path.join(copy, 'package.json'),
  );
  await cp(
    path.join(repoRoot, '.changeset', 'config.json'),
    path.join(copy, '.changeset', 'config.json'),
  );
  for (const dir of await workspaceDirs()) {
    await mkdir(path.join(copy, dir), { recursive: true });
    await cp(
      path.join(repoRoot, dir, 'package.json'),
      path.join(copy, dir, 'package.json'),
    );
  }
  await run('git', ['init', '-q', '-b', 'main'], copy);
  await run('git', ['add', '-A'], copy);
  await run(
    'git',
    [
      '-c',
      'user.name=check',
      '-c',
      'user.email=check@spoolkit.invalid',
      'commit',
      '-qm',
      'Copy manifests',
    ],
    copy,
  );

  await writeFile(
    path.join(copy, '.changeset', 'conformance-suite.md'),
    `---
'@spoolkit/core': minor
'@spoolkit/backend-localdisk': patch
---

Add the conformance suite as @spoolkit/core/testing.
`,
  );
  const changeset = path.join(repoRoot, 'node_modules', '.bin', 'changeset');
  await run(changeset, ['version'], copy);
});

afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

/** The dependents of core that this changeset config versions: not ignored, and public or with private versioning on. */
async function versionedDependents(): Promise<string[]> {
  const config = JSON.parse(
    await readFile(path.join(repoRoot, '.changeset', 'config.json'), 'utf8'),
  ) as { ignore?: string[]; privatePackages?: { version?: boolean } };
  const versionsPrivate = config.privatePackages?.version ?? true;
  const dependents: string[] = [];
  for (const dir of await workspaceDirs()) {
    const original = JSON.parse(
      await readFile(path.join(repoRoot, dir, 'package.json'), 'utf8'),
    ) as Manifest;
    const dependsOnCore =
      original.dependencies?.['@spoolkit/core'] !== undefined;
    const versioned =
      !(config.ignore ?? []).includes(original.name) &&
      (original.private !== true || versionsPrivate);
    if (
      dependsOnCore &&
      versioned &&
      original.name !== '@spoolkit/backend-localdisk'
    ) {
      dependents.push(dir);
    }
  }
  return dependents;
}

describe('changeset version', () => {
  it('bumps core by minor', async () => {
    expect((await manifest('packages/core')).version).toBe('0.2.0');
  });

  it('bumps the named patch', async () => {
    const localdisk = await manifest('packages/backend-localdisk');
    expect(localdisk.version).toBe('0.1.1');
    expect(localdisk.dependencies?.['@spoolkit/core']).toBe('^0.2.0');
  });

  it('bumps dependents out of range', async () => {
    const dependents = await versionedDependents();
    expect(dependents).toEqual(
      expect.arrayContaining([
        'packages/config-lua',
        'packages/backend-rocksdb',
      ]),
    );
    for (const dir of dependents) {
      const dependent = await manifest(dir);
      expect(dependent.version, dir).toBe('0.1.1');
      expect(dependent.dependencies?.['@spoolkit/core'], dir).toBe('^0.2.0');
      const log = await changelog(dir);
      expect(log, dir).toContain('## 0.1.1');
      expect(log, dir).toContain('Updated dependencies');
      expect(log, dir).toContain('@spoolkit/core@0.2.0');
    }
  });

  it('writes changelogs', async () => {
    const core = await changelog('packages/core');
    expect(core).toContain('## 0.2.0');
    expect(core).toContain('### Minor Changes');
    expect(core).toContain(
      'Add the conformance suite as @spoolkit/core/testing.',
    );

    const localdisk = await changelog('packages/backend-localdisk');
    expect(localdisk).toContain('## 0.1.1');
    expect(localdisk).toContain('### Patch Changes');
    expect(localdisk).toContain(
      'Add the conformance suite as @spoolkit/core/testing.',
    );
    expect(localdisk).toContain('@spoolkit/core@0.2.0');
  });

  it('leaves packages without internal dependencies alone', async () => {
    const installCheck = await manifest('apps/install-check');
    expect(installCheck.version).toBe('0.1.0');
    expect(await changelog('apps/install-check')).toBe('');
  });

  it('consumes the changeset', async () => {
    const left = (await readdir(path.join(copy, '.changeset'))).filter((name) =>
      name.endsWith('.md'),
    );
    expect(left).toEqual([]);
  });
});
