import { exec } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, repoRoot } from './support.js';

const execAsync = promisify(exec);

// Turborepo turns on its anonymous telemetry on its
// first run unless TURBO_TELEMETRY_DISABLED is set, and CI sets it. Each
// root script that runs turbo is run here as a dry run with a fresh home
// directory and without the variable, as on a user's first clone.

const homes: string[] = [];

afterAll(async () => {
  for (const home of homes) {
    await rm(home, { recursive: true, force: true });
  }
});

const manifest = JSON.parse(
  await readFile(path.join(repoRoot, 'package.json'), 'utf8'),
) as { scripts: Record<string, string> };
const turboScripts = Object.entries(manifest.scripts).filter(([, script]) =>
  /\bturbo\b/.test(script),
);

describe('root scripts', () => {
  it('include the build, test, example and bench', () => {
    expect(turboScripts.map(([name]) => name)).toEqual(
      expect.arrayContaining(['build', 'test', 'example', 'bench']),
    );
  });

  it.each(turboScripts)(
    '%s runs turbo without telemetry',
    async (_name, script) => {
      const home = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-home-'));
      homes.push(home);
      const env = cleanEnv();
      delete env.TURBO_TELEMETRY_DISABLED;
      delete env.DO_NOT_TRACK;
      const bin = path.join(repoRoot, 'node_modules', '.bin');
      // The turbo step of the script, planned but not run.
      const turboStep = `${(script.split('&&')[0] as string).trim()} --dry=json`;

      const { stdout, stderr } = await execAsync(turboStep, {
        cwd: repoRoot,
        env: {
          ...env,
          HOME: home,
          XDG_CONFIG_HOME: path.join(home, '.config'),
          PATH: `${bin}${path.delimiter}${env.PATH ?? ''}`,
        },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 60_000,
      });

      // The notice turbo prints when it turns telemetry on.
      expect(`${stdout}${stderr}`).not.toMatch(/anonymous telemetry/i);
      expect(existsSync(path.join(home, '.config', 'turborepo'))).toBe(false);
    },
  );
});
