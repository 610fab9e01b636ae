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
      "print: checking\nwarning: the policy defines no 'meta' spool; kumod needs both 'data' and 'meta'\n" +
        "warning [SPOOL_INVALID_DEFINITION]: rocks_params.write_buffer_size of spool 'data' is 9223372036854775807, which is larger than this backend accepts (2^53 - 1); kumod may accept this, but applyPolicy rejects the policy, so Node tools cannot open it\n",
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
    // The RocksDB backend is installed here, so its own check speaks.
    expect(result.stderr).toBe(
      'warning [SPOOL_INVALID_DEFINITION]: rocks_params.compression_type of spool \'data\' is "Lz4", a compression kumod knows, but the rocksdb binding is built with Snappy only; use "Snappy" (the default) or "None"; kumod may accept this, but applyPolicy rejects the policy, so Node tools cannot open it\n',
    );
  });

  it('warns about a value only the backend checks', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`
kumo.define_spool { name = 'data', path = '/s/data', kind = 'RocksDB', rocks_params = { limit_concurrent_stores = 0 } }
kumo.define_spool { name = 'meta', path = '/s/meta' }`),
    });
    const result = await checkPolicy(policy);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^warning \[SPOOL_INVALID_DEFINITION\]: .*limit_concurrent_stores of spool 'data'.*applyPolicy rejects the policy/,
    );
    expect(result.stderr).not.toContain("spool 'meta'");
    expect(JSON.parse(result.stdout)).toHaveLength(2);
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
