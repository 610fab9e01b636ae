import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inInit, writePolicy } from './helpers.js';

const cli = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'dist',
  'cli.js',
);
const run = promisify(execFile);

/** Runs the built CLI; resolves with its exit code and output. */
async function checkPolicy(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('spoolkit-check-policy', () => {
  it('prints definitions as JSON', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
print('checking')
kumo.define_spool {
  name = 'data', path = '/s/data', kind = 'RocksDB',
  rocks_params = { write_buffer_size = math.maxinteger, increase_parallelism = kumo.available_parallelism() },
}`),
    });
    const result = await checkPolicy('--parallelism', '3', policy);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "print: checking\nwarning: the policy defines no 'meta' spool; kumod needs both 'data' and 'meta'\n",
    );
    expect(result.stdout).toContain('"write_buffer_size": 9223372036854775807');
    expect(JSON.parse(result.stdout)[0]).toMatchObject({
      name: 'data',
      kind: 'RocksDB',
      flush: false,
      rocks_params: { increase_parallelism: 3 },
    });
  });

  it('warns about a relative path', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool { name = 'data', path = 'spool/data' }
kumo.define_spool { name = 'meta', path = '/s/meta' }`),
    });
    const result = await checkPolicy(policy);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "warning: spool 'data' has the relative path 'spool/data', which kumod resolves against its working directory, not the policy's folder; give an absolute path such as /var/spool/kumomta/data\n",
    );
    expect(JSON.parse(result.stdout)[0].path).toBe('spool/data');
  });

  it('warns about a compression the RocksDB backend cannot open', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool { name = 'data', path = '/s/data', kind = 'RocksDB', rocks_params = { compression_type = 'Lz4' } }
kumo.define_spool { name = 'meta', path = '/s/meta', kind = 'RocksDB', rocks_params = { compression_type = 'None' } }`),
    });
    const result = await checkPolicy(policy);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "warning: spool 'data' sets rocks_params.compression_type = 'Lz4', which kumod accepts but spoolkit's RocksDB backend cannot open, because the rocksdb binding is built with Snappy only, so applyPolicy rejects this policy; use 'Snappy' or 'None' if Node tools are to open it\n",
    );
    expect(result.stderr).not.toContain("spool 'meta'");
  });

  it.each([
    ['--timeout', '1e3'],
    ['--timeout', '0x10'],
    ['--parallelism', '0'],
    ['--memory', '1.5'],
  ])('rejects %s %s with exit 2', async (option, value) => {
    const result = await checkPolicy(option, value, 'init.lua');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `"${value}" is not a positive whole number in decimal digits`,
    );
  });

  it('exits 1 with the error', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `kumo.define_spool { name = 'data', path = '/s', flsuh = true }`,
      ),
    });
    const result = await checkPolicy(policy);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error \[SPOOL_POLICY_INVALID\]: init\.lua:2: unknown key "flsuh"/,
    );
  });

  it('rejects a bad option', async () => {
    const result = await checkPolicy('--timeout', 'soon', 'init.lua');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "'--timeout <ms>' argument 'soon' is invalid",
    );
  });

  it('missing policy argument exits 2', async () => {
    const result = await checkPolicy();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'policy'");
  });
});
