import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BUILT_IN_BACKENDS,
  isSpoolError,
  type NormalizedSpoolDefinition,
  type SpoolBackend,
  type SpoolDefinition,
  SpoolError,
  SpoolErrorCode,
  type SpoolLogger,
  type SpoolRegistry,
  silentLogger,
} from '@spoolkit/core';
import { runPolicy } from './engine.js';
import { LUA_ERRMEM } from './lua-api.js';
import { PolicyRun } from './policy-run.js';
import { type ResolvedBackends, SpoolChecker } from './spool-checks.js';

/** Options for `loadPolicy` and `applyPolicy`. */
export interface LoadPolicyOptions {
  /**
   * The environment `os.getenv` reads.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The value `kumo.available_parallelism()` returns, a positive integer.
   * Pass a fixed number for reproducible results.
   * @default os.availableParallelism()
   */
  availableParallelism?: number;
  /**
   * A registry whose backends validate each definition while the policy
   * runs, and whose registered kinds the policy may use. Without one, only
   * `LocalDisk` and `RocksDB` are accepted and no backend validates.
   */
  registry?: SpoolRegistry;
  /**
   * Time the policy chunk and its `pre_init` and `init` handlers may run,
   * in milliseconds.
   * @default 2000
   */
  timeoutMs?: number;
  /**
   * Memory the Lua state may allocate, in bytes.
   * @default 67108864 (64 MiB)
   */
  memoryLimitBytes?: number;
  /**
   * Receives the policy's `print` output (info) and notes (warn).
   * @default a logger that discards everything
   */
  logger?: SpoolLogger;
}

/** The result of evaluating a policy. */
export interface PolicyResult {
  /**
   * The spools in `define_spool` call order. `kind` and `flush` are always
   * present. `rocks_params`, `min_free_space` and `min_free_inodes` are
   * present only when the policy set them. Lua integers are numbers, or
   * bigint beyond 2^53 - 1.
   */
  spools: SpoolDefinition[];
  /** `file:line` of each spool's `define_spool` call, in the same order. */
  locations: string[];
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Runs the KumoMTA policy at `policyPath` in a sandboxed Lua 5.4 and
 * returns its validated `kumo.define_spool` definitions.
 *
 * Rejects with `SpoolError` code `SPOOL_POLICY_INVALID` (unreadable file,
 * Lua syntax or runtime error, invalid definition; the message starts with
 * the `file:line` Lua reports), `SPOOL_POLICY_TIMEOUT` or
 * `SPOOL_POLICY_MEMORY_LIMIT`. Nothing is opened or written.
 */
export async function loadPolicy(
  policyPath: string,
  options: LoadPolicyOptions = {},
): Promise<PolicyResult> {
  const absolutePath = path.resolve(policyPath);
  const limits = readLimits(options);
  const source = await readPolicy(absolutePath);
  const logger = options.logger ?? silentLogger;
  const resolved =
    options.registry === undefined
      ? undefined
      : await resolveBackends(options.registry, logger);

  const outcome = await runPolicyOrWrap(
    absolutePath,
    (lua) =>
      new PolicyRun(lua, {
        policyPath: absolutePath,
        env: options.env ?? process.env,
        logger,
        checker: new SpoolChecker(resolved),
      }),
    source,
    limits,
  );
  const run = outcome.run;

  if (run.failure !== undefined) {
    throw run.failure;
  }
  if (run.timedOutAt !== undefined) {
    throw new SpoolError(
      SpoolErrorCode.PolicyTimeout,
      `${run.timedOutAt}: the policy ran longer than ${limits.timeoutMs} ms and was stopped; look for a loop that never ends, or raise the timeoutMs option (--timeout in spoolkit-check-policy)`,
      { path: absolutePath },
    );
  }
  if (outcome.message !== undefined) {
    throw luaFailure(absolutePath, outcome, limits.memoryLimitBytes);
  }
  return { spools: run.definitions, locations: run.locations };
}

/**
 * Evaluates the policy with `registry`'s backends, then defines every spool
 * in `registry` in call order. Returns the normalized definitions. Rejects
 * like `loadPolicy`, and like `registry.define` if the registry changes
 * while the policy runs.
 */
export async function applyPolicy(
  registry: SpoolRegistry,
  policyPath: string,
  options: Omit<LoadPolicyOptions, 'registry'> = {},
): Promise<NormalizedSpoolDefinition[]> {
  const { spools } = await loadPolicy(policyPath, { ...options, registry });
  const defined: NormalizedSpoolDefinition[] = [];
  for (const spool of spools) {
    defined.push(await registry.define(spool));
  }
  return defined;
}

/** Runs the policy, turning an engine failure into a `SpoolError`. */
async function runPolicyOrWrap(
  policyPath: string,
  ...args: Parameters<typeof runPolicy>
): ReturnType<typeof runPolicy> {
  try {
    return await runPolicy(...args);
  } catch (error) {
    if (isSpoolError(error)) {
      throw error;
    }
    throw new SpoolError(
      SpoolErrorCode.PolicyInvalid,
      `the Lua engine failed while running the policy ${policyPath}: ${(error as Error)?.message ?? String(error)}; simplify the policy around its last change and report this to @spoolkit/config-lua`,
      { path: policyPath, cause: error },
    );
  }
}

function readLimits(options: LoadPolicyOptions) {
  const limits = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    memoryLimitBytes: options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES,
    availableParallelism:
      options.availableParallelism ?? os.availableParallelism(),
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new SpoolError(
        SpoolErrorCode.InvalidArgument,
        `${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  return limits;
}

async function readPolicy(absolutePath: string): Promise<string> {
  try {
    return await fs.readFile(absolutePath, 'utf8');
  } catch (error) {
    throw new SpoolError(
      SpoolErrorCode.PolicyInvalid,
      `cannot read the policy ${absolutePath}: ${(error as Error).message}; check the path and its permissions`,
      { path: absolutePath, cause: error },
    );
  }
}

/**
 * Resolves the registry's backends before the policy runs, because
 * `define_spool` must validate synchronously. A built-in kind whose package
 * is missing is remembered and reported only if the policy uses it.
 */
async function resolveBackends(
  registry: SpoolRegistry,
  logger: SpoolLogger,
): Promise<ResolvedBackends> {
  const backends = new Map<string, SpoolBackend>();
  const unavailable = new Map<string, SpoolError>();
  const kinds = new Set([
    ...Object.keys(BUILT_IN_BACKENDS),
    ...registry.kinds(),
  ]);
  for (const kind of kinds) {
    try {
      backends.set(kind, await registry.resolveBackend(kind));
    } catch (error) {
      if (!isSpoolError(error)) {
        throw error;
      }
      unavailable.set(kind, error);
    }
  }

  const names = new Set<string>();
  const paths = new Map<string, string>();
  for (const definition of registry.definitions()) {
    names.add(definition.name);
    paths.set(definition.path, definition.name);
  }
  return {
    backends,
    unavailable,
    existing: { names, paths },
    context: { logger },
  };
}

/**
 * Explains a nil error that may come from a stand-in: `kumo.*` functions
 * that spoolkit does not run return nil, which a valid policy can index.
 */
function standInHint(message: string): string {
  if (!/attempt to (index|call|concatenate) a nil value/.test(message)) {
    return '';
  }
  return '. If that nil came from a kumo.* call that spoolkit does not run, such as kumo.toml_load, note that those calls return nil here; give the result a fallback (`or {}`) so the policy also runs under spoolkit';
}

function luaFailure(
  policyPath: string,
  outcome: { status: number; message: string | undefined },
  memoryLimitBytes: number,
): SpoolError {
  const message = outcome.message ?? '';
  if (outcome.status === LUA_ERRMEM || message.endsWith('not enough memory')) {
    return new SpoolError(
      SpoolErrorCode.PolicyMemoryLimit,
      `the policy ${policyPath} allocated more than ${memoryLimitBytes} bytes of Lua memory and was stopped; look for a table or string that grows without bound, or raise the memoryLimitBytes option (--memory in spoolkit-check-policy)`,
      { path: policyPath },
    );
  }
  const located = /^[^\s:]+:\d+:/.test(message);
  return new SpoolError(
    SpoolErrorCode.PolicyInvalid,
    (located
      ? `${message}; fix the policy ${policyPath} at that line`
      : `the policy ${policyPath} failed: ${message}`) + standInHint(message),
    { path: policyPath },
  );
}
