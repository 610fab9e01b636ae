import type { SpoolBackend } from '@spoolkit/core';
import { openWithParams } from './open.js';
import { parseRocksParams, type RocksParams } from './params.js';

/**
 * The `RocksDB` kind for a `SpoolRegistry`. `validate` checks
 * `rocks_params` without loading the native binding; `open` loads it.
 */
export const backend: SpoolBackend<RocksParams> = {
  kind: 'RocksDB',
  validate(definition) {
    return parseRocksParams(definition.rocksParams, definition.name);
  },
  open(definition, params, context) {
    return openWithParams(
      {
        name: definition.name,
        path: definition.path,
        flush: definition.flush,
        minFreeSpace: definition.minFreeSpace,
        minFreeInodes: definition.minFreeInodes,
        logger: context.logger,
      },
      params,
    );
  },
};
