#!/usr/bin/env node
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  BUILT_IN_BACKENDS,
  isSpoolError,
  type SpoolDefinition,
  SpoolErrorCode,
  type SpoolLogger,
  SpoolRegistry,
} from '@spoolkit/core';
import { Command, InvalidArgumentError } from 'commander';
import { loadPolicy } from './load-policy.js';

/**
 * `spoolkit-check-policy POLICY`: evaluates a KumoMTA policy and prints its
 * spool definitions as JSON on stdout. Exits 1 with the error on stderr
 * when the policy is invalid, and 2 on a usage error.
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('spoolkit-check-policy')
    .description(
      'Evaluate a KumoMTA policy and print its kumo.define_spool definitions as JSON',
    )
    .argument(
      '<policy>',
      'the policy file, such as /opt/kumomta/etc/policy/init.lua',
    )
    .option(
      '--parallelism <count>',
      'the value kumo.available_parallelism() returns (default: this machine)',
      parsePositive,
    )
    .option(
      '--timeout <ms>',
      'time limit for the policy, in milliseconds',
      parsePositive,
      2000,
    )
    .option(
      '--memory <bytes>',
      'memory limit for the Lua state, in bytes',
      parsePositive,
      64 * 1024 * 1024,
    )
    .showHelpAfterError()
    // commander exits 1 on a usage error, and 1 means an invalid policy here.
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : 2);
    });
  program.parse(argv);

  const options = program.opts<{
    parallelism?: number;
    timeout: number;
    memory: number;
  }>();
  try {
    const { spools } = await loadPolicy(program.args[0] as string, {
      availableParallelism: options.parallelism,
      timeoutMs: options.timeout,
      memoryLimitBytes: options.memory,
      logger: stderrLogger,
    });
    process.stdout.write(`${toJson(spools)}\n`);
    warnAboutMissingSpools(spools.map((spool) => spool.name));
    warnAboutRelativePaths(spools);
    warnAboutMissingBackends(spools);
    const rejected = await warnAboutBackendRejections(spools);
    warnAboutCompression(spools.filter((spool) => !rejected.has(spool.name)));
    return 0;
  } catch (error) {
    const code = isSpoolError(error) ? ` [${error.code}]` : '';
    process.stderr.write(`error${code}: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Parses a positive whole number in decimal digits; `1e3` and `0x10` are rejected. */
function parsePositive(text: string): number {
  const trimmed = text.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(
      `"${text}" is not a positive whole number in decimal digits`,
    );
  }
  return value;
}

/**
 * Warns on stderr when `data` or `meta` is missing: kumod needs both and
 * stops at its first use of a missing one.
 */
function warnAboutMissingSpools(names: string[]): void {
  for (const required of ['data', 'meta']) {
    if (!names.includes(required)) {
      process.stderr.write(
        `warning: the policy defines no '${required}' spool; kumod needs both 'data' and 'meta'\n`,
      );
    }
  }
}

/**
 * Warns on stderr for each spool whose `path` is relative. kumod and
 * `applyPolicy` resolve it against the working directory of the process,
 * which need not be the policy's folder.
 */
function warnAboutRelativePaths(
  definitions: ReadonlyArray<{ name: string; path: string }>,
): void {
  for (const { name, path: spoolPath } of definitions) {
    if (!path.isAbsolute(spoolPath)) {
      process.stderr.write(
        `warning: spool '${name}' has the relative path '${spoolPath}', which kumod resolves against its working directory, not the policy's folder; give an absolute path such as /var/spool/kumomta/${name}\n`,
      );
    }
  }
}

/**
 * Warns on stderr for each built-in kind the policy uses whose backend
 * package is not installed where this tool runs, because `applyPolicy`
 * would reject those definitions there.
 */
function warnAboutMissingBackends(
  definitions: ReadonlyArray<{ name: string; kind?: string }>,
): void {
  const resolve = createRequire(import.meta.url).resolve;
  // A definition without `kind` is LocalDisk, as in KumoMTA.
  const spools = definitions.map(({ name, kind }) => ({
    name,
    kind: kind ?? 'LocalDisk',
  }));
  const kinds = new Set(spools.map((spool) => spool.kind));
  for (const kind of kinds) {
    const packageName = BUILT_IN_BACKENDS[kind];
    if (packageName === undefined) {
      continue;
    }
    try {
      resolve(packageName);
    } catch {
      const names = spools
        .filter((spool) => spool.kind === kind)
        .map((spool) => `'${spool.name}'`)
        .join(', ');
      process.stderr.write(
        `warning: kind '${kind}' (spool ${names}) needs the package ${packageName}, which is not installed here, so applyPolicy would reject it; run: npm install ${packageName}\n`,
      );
    }
  }
}

/**
 * Defines each spool in a registry of its own, so that each installed
 * backend checks the values only it validates (`limit_concurrent_stores = 0`,
 * a `write_buffer_size` beyond the binding's range). Warns on stderr for
 * each definition a backend rejects, because `applyPolicy` would reject
 * the policy with that error. Kinds whose backend is not installed are
 * skipped, since `warnAboutMissingBackends` covers them. Returns the
 * names of the rejected spools.
 */
async function warnAboutBackendRejections(
  definitions: readonly SpoolDefinition[],
): Promise<Set<string>> {
  const rejected = new Set<string>();
  for (const definition of definitions) {
    try {
      // One registry per spool: loadPolicy already checked names and paths.
      await new SpoolRegistry({ logger: stderrLogger }).define(definition);
    } catch (error) {
      if (isSpoolError(error, SpoolErrorCode.BackendMissing)) {
        continue;
      }
      rejected.add(definition.name);
      const code = isSpoolError(error) ? ` [${error.code}]` : '';
      process.stderr.write(
        `warning${code}: ${(error as Error).message}; kumod may accept this, but applyPolicy rejects the policy, so Node tools cannot open it\n`,
      );
    }
  }
  return rejected;
}

/**
 * The `compression_type` values spoolkit's RocksDB backend opens: the
 * `rocksdb` 5.2.1 binding is built with Snappy and nothing else. This
 * package does not depend on that backend, so the list is restated here.
 */
const SPOOLKIT_COMPRESSIONS: readonly unknown[] = ['None', 'Snappy'];

/**
 * Warns on stderr for each RocksDB spool whose `compression_type` kumod
 * accepts but spoolkit's RocksDB backend refuses (Zlib, Bz2, Lz4, Lz4hc,
 * Zstd), so that an operator who inspects that spool from Node learns it
 * before `applyPolicy` fails.
 */
function warnAboutCompression(
  definitions: ReadonlyArray<{
    name: string;
    kind?: string;
    rocks_params?: Record<string, unknown>;
  }>,
): void {
  for (const { name, kind, rocks_params: params } of definitions) {
    const compression = params?.compression_type;
    if (
      kind === 'RocksDB' &&
      compression !== undefined &&
      !SPOOLKIT_COMPRESSIONS.includes(compression)
    ) {
      process.stderr.write(
        `warning: spool '${name}' sets rocks_params.compression_type = '${String(compression)}', which kumod accepts but spoolkit's RocksDB backend cannot open, because the rocksdb binding is built with Snappy only, so applyPolicy rejects this policy; use 'Snappy' or 'None' if Node tools are to open it\n`,
      );
    }
  }
}

/** Writes the policy's `print` output to stderr, so stdout stays JSON. */
const stderrLogger: SpoolLogger = {
  debug: () => {},
  info: (_fields, message) => process.stderr.write(`print: ${message ?? ''}\n`),
  warn: (_fields, message) =>
    process.stderr.write(`warning: ${message ?? ''}\n`),
  error: (_fields, message) =>
    process.stderr.write(`error: ${message ?? ''}\n`),
};

/** JSON with bigints written as exact integer literals. */
function toJson(value: unknown): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(
    value,
    (_key, item) => (typeof item === 'bigint' ? `${marker}${item}` : item),
    2,
  );
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
