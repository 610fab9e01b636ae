import type { SpoolBackend } from '@spoolkit/core';
import { openLocalDiskSpool } from './open.js';

/**
 * The `LocalDisk` backend, which `SpoolRegistry` imports by package name.
 * `validate` accepts any normalized definition: LocalDisk reads no keys of
 * its own, and it logs a warning when `rocks_params` is present, because
 * those settings only apply to RocksDB (KumoMTA parses and ignores them
 * for LocalDisk as well).
 */
export const backend: SpoolBackend<undefined> = {
  kind: 'LocalDisk',

  validate(definition, context) {
    if (definition.rocksParams !== undefined) {
      context.logger.warn(
        { spool: definition.name, path: definition.path },
        `rocks_params of spool '${definition.name}' is ignored: it only applies to kind RocksDB; remove it or set kind = 'RocksDB'`,
      );
    }
    return undefined;
  },

  open(definition, _options, context) {
    return openLocalDiskSpool({
      name: definition.name,
      path: definition.path,
      flush: definition.flush,
      minFreeSpace: definition.minFreeSpace,
      minFreeInodes: definition.minFreeInodes,
      logger: context.logger,
    });
  },
};
