import {
  type BackendContext,
  DEFINITION_KEYS,
  describePathOverlap,
  didYouMean,
  findPathOverlap,
  invalidDefinition,
  normalizeDefinition,
  parseMinFree,
  rejectUnknownKeys,
  type SpoolBackend,
  type SpoolDefinition,
  SpoolError,
} from '@spoolkit/core';
import { formatLuaFloat, type LuaTableValue } from './lua-reader.js';
import { checkRocksParams, rejectRocksFloats } from './rocks-params.js';

/** The backends a registry offers, resolved before the policy runs. */
export interface ResolvedBackends {
  /** Backends by kind. */
  backends: Map<string, SpoolBackend>;
  /** The reason each built-in kind has no backend (such as a missing package), by kind. */
  unavailable: Map<string, SpoolError>;
  /** Names and paths the registry already holds. */
  existing: { names: Set<string>; paths: Map<string, string> };
  /** The context each backend's `validate` receives. */
  context: BackendContext;
}

const BUILT_IN_KINDS = ['LocalDisk', 'RocksDB'];

/**
 * Checks `kumo.define_spool` calls one at a time and collects the accepted
 * definitions. Each check throws `SPOOL_INVALID_DEFINITION` (or what a
 * backend's `validate` throws) without a location; the caller adds it.
 */
export class SpoolChecker {
  readonly definitions: SpoolDefinition[] = [];
  readonly #names = new Set<string>();
  /** Resolved path to the name of the spool that uses it. */
  readonly #paths = new Map<string, string>();
  readonly #resolved: ResolvedBackends | undefined;

  constructor(resolved: ResolvedBackends | undefined) {
    this.#resolved = resolved;
  }

  /** Validates one call's table and records it. Returns the definition. */
  check(table: LuaTableValue): SpoolDefinition {
    const { value, floats } = table;
    const label =
      typeof value.name === 'string' && value.name !== ''
        ? `spool '${value.name}'`
        : 'spool definition';
    rejectUnknownKeys(value, DEFINITION_KEYS, label);

    for (const key of ['min_free_space', 'min_free_inodes'] as const) {
      const minimum = value[key];
      if (floats.has(key) && typeof minimum === 'number') {
        throw invalidDefinition(
          `${key} of ${label} must be an integer or a string such as "10%", got the Lua float ${formatLuaFloat(minimum)}; use // or math.floor() instead of /`,
        );
      }
      parseMinFree(minimum, `${key} of ${label}`);
    }

    const normalized = normalizeDefinition(value);
    const where = `spool '${normalized.name}'`;
    const backend = this.#checkKind(normalized.kind, where);
    if (normalized.rocksParams !== undefined) {
      rejectRocksFloats(normalized.rocksParams, floats, where);
      // kumod parses rocks_params for its own kinds, so a LocalDisk spool
      // and an unchecked RocksDB spool get kumod's schema here. A
      // registered backend of any other kind owns the table, as a
      // registered RocksDB backend does.
      const kumodKind = BUILT_IN_KINDS.includes(normalized.kind);
      if (
        backend === undefined ||
        (kumodKind && normalized.kind !== 'RocksDB')
      ) {
        checkRocksParams(normalized.rocksParams, where);
      }
    }
    this.#checkUnique(normalized.name, normalized.path);
    backend?.validate(normalized, this.#resolved?.context as BackendContext);

    const definition = toDefinition(value, normalized.kind, normalized.flush);
    this.#names.add(normalized.name);
    this.#paths.set(normalized.path, normalized.name);
    this.definitions.push(definition);
    return definition;
  }

  #checkKind(kind: string, where: string): SpoolBackend | undefined {
    const resolved = this.#resolved;
    if (resolved === undefined) {
      if (BUILT_IN_KINDS.includes(kind)) {
        return undefined;
      }
      throw unknownKind(kind, where, BUILT_IN_KINDS);
    }
    const backend = resolved.backends.get(kind);
    if (backend !== undefined) {
      return backend;
    }
    const unavailable = resolved.unavailable.get(kind);
    if (unavailable !== undefined) {
      throw new SpoolError(
        unavailable.code,
        `${where}: ${unavailable.message}`,
        { cause: unavailable },
      );
    }
    const known = [
      ...new Set([...BUILT_IN_KINDS, ...resolved.backends.keys()]),
    ];
    throw unknownKind(kind, where, known);
  }

  #checkUnique(name: string, resolvedPath: string): void {
    const existing = this.#resolved?.existing;
    if (this.#names.has(name) || existing?.names.has(name)) {
      throw invalidDefinition(
        `spool '${name}' is defined twice; give each spool its own name (kumod would silently keep the last one)`,
      );
    }
    const taken = [...this.#paths, ...(existing?.paths ?? [])];
    for (const [otherPath, otherName] of taken) {
      const overlap = findPathOverlap(otherPath, resolvedPath);
      if (overlap !== undefined) {
        throw invalidDefinition(
          describePathOverlap(
            overlap,
            { name: otherName, path: otherPath },
            { name, path: resolvedPath },
          ),
        );
      }
    }
  }
}

function unknownKind(
  kind: string,
  where: string,
  known: readonly string[],
): SpoolError {
  return invalidDefinition(
    `${where} has kind '${kind}', which no backend provides${didYouMean(kind, known)}; kinds are case-sensitive, and the known kinds are ${known.join(', ')}`,
  );
}

/** Builds the definition as written, with `kind` and `flush` defaulted. */
function toDefinition(
  value: Record<string, unknown>,
  kind: string,
  flush: boolean,
): SpoolDefinition {
  const definition: SpoolDefinition = {
    name: value.name as string,
    path: value.path as string,
    kind,
    flush,
  };
  if (value.rocks_params !== undefined) {
    definition.rocks_params = value.rocks_params as Record<string, unknown>;
  }
  if (value.min_free_space !== undefined) {
    definition.min_free_space = value.min_free_space as string | number;
  }
  if (value.min_free_inodes !== undefined) {
    definition.min_free_inodes = value.min_free_inodes as string | number;
  }
  return definition;
}
