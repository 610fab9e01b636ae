import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run } from './support.js';

// Runs the built workspace packages from a CommonJS script and from an ESM
// script in child Node processes. The registry loads each backend itself,
// and the backend must then share the caller's copy of core, or the caller's
// SpoolId fails the backend's instanceof check. It needs `turbo run build` first.

let project: string;

/** The statements after the loader: define, store, load and enumerate, printed as JSON. */
const ROUND_TRIP_BODY = `
const [spoolRoot, policy] = process.argv.slice(2);
const results = {};

async function roundTrip(registry, name) {
  const spool = await registry.open(name);
  const id = SpoolId.generate();
  await spool.store(id, Buffer.from('hello ' + name));
  const loaded = (await spool.load(id)).toString();
  await registry.closeAll();
  const reopened = await registry.open(name);
  const enumerated = [];
  for await (const entry of reopened.enumerate()) {
    enumerated.push({ type: entry.type, same: entry.id?.equals(id) ?? false, data: entry.data?.toString() });
  }
  await registry.closeAll();
  return { kind: spool.kind, loaded, enumerated };
}

async function main() {
  for (const kind of ['LocalDisk', 'RocksDB']) {
    const registry = new SpoolRegistry();
    await registry.define({ name: 'data', path: path.join(spoolRoot, kind), kind });
    results[kind] = await roundTrip(registry, 'data');
  }
  const registry = new SpoolRegistry();
  await applyPolicy(registry, policy, { env: { SPOOL_ROOT: spoolRoot } });
  results.policy = { data: await roundTrip(registry, 'data'), meta: await roundTrip(registry, 'meta') };
  console.log(JSON.stringify(results));
}
`;

const CJS_SCRIPT = `'use strict';
const path = require('node:path');
const { SpoolId, SpoolRegistry } = require('@spoolkit/core');
const { applyPolicy } = require('@spoolkit/config-lua');
${ROUND_TRIP_BODY}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

const ESM_SCRIPT = `import path from 'node:path';
import { SpoolId, SpoolRegistry } from '@spoolkit/core';
import { applyPolicy } from '@spoolkit/config-lua';
${ROUND_TRIP_BODY}
await main();
`;

/** A policy with a LocalDisk `data` spool and a RocksDB `meta` spool under `SPOOL_ROOT`. */
const POLICY = `local kumo = require 'kumo'

kumo.on('init', function()
  kumo.define_spool {
    name = 'data',
    path = os.getenv('SPOOL_ROOT') .. '/policy-data',
    kind = 'LocalDisk',
  }
  kumo.define_spool {
    name = 'meta',
    path = os.getenv('SPOOL_ROOT') .. '/policy-meta',
    kind = 'RocksDB',
  }
end)
`;

beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-modules-'));
  // The workspace's node_modules links each @spoolkit package to its folder in the repo.
  await symlink(
    path.join(repoRoot, 'node_modules'),
    path.join(project, 'node_modules'),
    'dir',
  );
  await writeFile(path.join(project, 'round-trip.cjs'), CJS_SCRIPT);
  await writeFile(path.join(project, 'round-trip.mjs'), ESM_SCRIPT);
  await writeFile(path.join(project, 'policy.lua'), POLICY);
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe.each([
  ['CommonJS', 'round-trip.cjs'],
  ['ESM', 'round-trip.mjs'],
])('registry spools from %s', (_system, script) => {
  let results: Record<string, unknown>;
  let spoolRoot: string;

  beforeAll(async () => {
    spoolRoot = path.join(project, `spools-${script.replace('.', '-')}`);
    results = JSON.parse(
      await run(
        process.execPath,
        [script, spoolRoot, path.join(project, 'policy.lua')],
        project,
      ),
    );
  });

  it.each(['LocalDisk', 'RocksDB'])(
    'stores, loads and enumerates %s',
    (kind) => {
      expect(results[kind]).toEqual({
        kind,
        loaded: 'hello data',
        enumerated: [{ type: 'item', same: true, data: 'hello data' }],
      });
      expect(existsSync(path.join(spoolRoot, kind))).toBe(true);
    },
  );

  it('stores through applyPolicy spools', () => {
    expect(results.policy).toEqual({
      data: {
        kind: 'LocalDisk',
        loaded: 'hello data',
        enumerated: [{ type: 'item', same: true, data: 'hello data' }],
      },
      meta: {
        kind: 'RocksDB',
        loaded: 'hello meta',
        enumerated: [{ type: 'item', same: true, data: 'hello meta' }],
      },
    });
  });
});
