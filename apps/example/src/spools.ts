import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPolicy } from '@spoolkit/config-lua';
import {
  errnoCode,
  type Spool,
  SpoolError,
  SpoolErrorCode,
  type SpoolLogger,
  SpoolRegistry,
} from '@spoolkit/core';

/** The bundled policies, by the backend kind both of their spools use. */
export const BUNDLED_POLICIES = {
  LocalDisk: fileURLToPath(new URL('../policy/init.lua', import.meta.url)),
  RocksDB: fileURLToPath(new URL('../policy/rocksdb.lua', import.meta.url)),
} as const;

export type BundledKind = keyof typeof BUNDLED_POLICIES;

/** The `data` and `meta` spools of a policy, open, and the registry that owns them. */
export interface OpenSpools {
  registry: SpoolRegistry;
  data: Spool;
  meta: Spool;
}

/** Options for `openSpools`. */
export interface OpenSpoolsOptions {
  /** The KumoMTA policy file whose `init` event defines the spools. */
  policyPath: string;
  /** Passed to the policy as `os.getenv('SPOOL_ROOT')`. */
  spoolRoot: string;
  logger: SpoolLogger;
  /**
   * Rejects, before opening anything, when the directory of `data` or
   * `meta` does not exist, so that a verify run creates no empty spools.
   */
  requireExisting?: boolean;
}

/**
 * Evaluates the policy, defines its spools in a new registry and opens
 * `data` and `meta`, as kumod does at start-up. Rejects with the policy
 * loader's `SPOOL_POLICY_INVALID`, with `SPOOL_NOT_DEFINED` when the policy
 * lacks one of the two spools, or with the backend's open error. Spools
 * already open are closed again when a later step fails.
 */
export async function openSpools(
  options: OpenSpoolsOptions,
): Promise<OpenSpools> {
  const registry = new SpoolRegistry({ logger: options.logger });
  await applyPolicy(registry, options.policyPath, {
    env: { ...process.env, SPOOL_ROOT: options.spoolRoot },
    logger: options.logger,
  });
  if (options.requireExisting) {
    await assertSpoolsExist(registry);
  }
  try {
    const data = await registry.open('data');
    const meta = await registry.open('meta');
    return { registry, data, meta };
  } catch (error) {
    await registry.closeAll();
    throw error;
  }
}

/** Throws when the `data` or `meta` spool of the policy has no directory yet. */
async function assertSpoolsExist(registry: SpoolRegistry): Promise<void> {
  for (const definition of registry.definitions()) {
    if (definition.name !== 'data' && definition.name !== 'meta') {
      continue;
    }
    try {
      await access(definition.path);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') {
        continue; // Opening the spool reports other failures.
      }
      throw new Error(
        `spool '${definition.name}' at ${definition.path} does not exist, so there is nothing to verify; run --phase store with the same --spool-root and policy first`,
        { cause: error },
      );
    }
  }
}

/**
 * Enumerate options that reach every entry, the newest too: the latest
 * date a JS `Date` can hold.
 */
export const EVERY_ENTRY = { createdBefore: new Date(8.64e15) };

/**
 * Throws `SPOOL_INVALID_ARGUMENT` when `data` or `meta` already contains an
 * entry. Spools under `SPOOL_ROOT` are emptied at the end, and the
 * verification distinguishes the example's messages from others only by
 * the ids its own store phase recorded. So the store phase must not start on
 * a spool containing messages it did not write, such as a live kumod
 * spool named by a policy that ignores `SPOOL_ROOT`.
 */
export async function assertSpoolsEmpty(spools: OpenSpools): Promise<void> {
  for (const spool of [spools.data, spools.meta]) {
    for await (const _entry of spool.enumerate(EVERY_ENTRY)) {
      throw new SpoolError(
        SpoolErrorCode.InvalidArgument,
        `spool '${spool.name}' at ${path.resolve(spool.path)} already holds entries, and the example needs empty spools to tell its messages from others; point the policy at empty folders (such as under SPOOL_ROOT), or delete those entries first if they are yours`,
        { spool: spool.name, path: spool.path },
      );
    }
  }
}
