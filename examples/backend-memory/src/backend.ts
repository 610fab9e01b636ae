import {
  describeType,
  invalidDefinition,
  type NormalizedSpoolDefinition,
  type SpoolBackend,
} from '@spoolkit/core';
import { MemorySpool } from './memory-spool.js';

/** The options `memoryBackend.validate` returns: none, because Memory reads no keys of its own. */
export type MemoryOptions = Record<string, never>;

/**
 * The `Memory` kind. Register it on a `SpoolRegistry` before defining
 * spools of this kind; `kind = 'Memory'` in a policy then selects it.
 */
export const memoryBackend: SpoolBackend<MemoryOptions> = {
  kind: 'Memory',

  validate(definition: NormalizedSpoolDefinition): MemoryOptions {
    // A policy that sets rocks_params on a Memory spool most likely meant
    // another kind, so reject it instead of ignoring the table.
    if (definition.rocksParams !== undefined) {
      throw invalidDefinition(
        `spool '${definition.name}' of kind 'Memory' takes no rocks_params, got ${describeType(definition.rocksParams)}; remove rocks_params or set kind = 'RocksDB'`,
      );
    }
    return {};
  },

  open(definition: NormalizedSpoolDefinition): Promise<MemorySpool> {
    return MemorySpool.open(definition.path, definition.name);
  },
};
