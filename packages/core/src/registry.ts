import { describeArgument } from './arguments.js';
import type { BackendContext, SpoolBackend } from './backend.js';
import {
  type NormalizedSpoolDefinition,
  normalizeDefinition,
  type SpoolDefinition,
} from './definition.js';
import { SpoolError, SpoolErrorCode } from './errors.js';
import { loadBackendPackage } from './load-backend.js';
import { type SpoolLogger, silentLogger } from './logger.js';
import { firstLineOf, isModuleNotFound } from './module-errors.js';
import { didYouMean } from './params.js';
import { describePathOverlap, findPathOverlap } from './paths.js';
import type { Spool } from './spool.js';

/** The packages that provide the built-in kinds, imported on first use. */
export const BUILT_IN_BACKENDS: Readonly<Record<string, string>> = {
  LocalDisk: '@spoolkit/backend-localdisk',
  RocksDB: '@spoolkit/backend-rocksdb',
};

/** Options for `SpoolRegistry`. */
export interface SpoolRegistryOptions {
  /** Receives the backends' log records. @default a logger that discards everything */
  logger?: SpoolLogger;
  /**
   * Loads a backend package by name. The module must export `backend`, a
   * `SpoolBackend`. Tests and bundlers may replace it.
   * @default `require` from the CommonJS build of core, `import()` from the ESM build
   */
  importBackend?: (packageName: string) => Promise<unknown>;
}

interface Entry {
  definition: NormalizedSpoolDefinition;
  backend: SpoolBackend;
  options: unknown;
  spool: Spool | undefined;
  opening: Promise<Spool> | undefined;
}

/**
 * The spools of one process by name, and the backends by kind. `define`
 * validates a definition, `open` opens it, `closeAll` closes every open
 * spool.
 */
export class SpoolRegistry {
  readonly #backends = new Map<string, SpoolBackend>();
  /** The built-in kinds whose backend the registry imported itself. */
  readonly #importedBuiltIns = new Set<string>();
  readonly #entries = new Map<string, Entry>();
  readonly #context: BackendContext;
  readonly #importBackend: (packageName: string) => Promise<unknown>;

  constructor(options: SpoolRegistryOptions = {}) {
    this.#context = { logger: options.logger ?? silentLogger };
    this.#importBackend = options.importBackend ?? loadBackendPackage;
  }

  /**
   * Adds a backend. Throws `SPOOL_INVALID_ARGUMENT` when it lacks a kind,
   * `validate` or `open`, and `SPOOL_INVALID_DEFINITION` when its kind is
   * taken.
   */
  register(backend: SpoolBackend): this {
    if (typeof backend?.kind !== 'string' || backend.kind === '') {
      throw new SpoolError(
        SpoolErrorCode.InvalidArgument,
        'a backend must have a non-empty string kind',
      );
    }
    for (const method of ['validate', 'open'] as const) {
      if (typeof backend[method] !== 'function') {
        throw new SpoolError(
          SpoolErrorCode.InvalidArgument,
          `the backend for kind '${backend.kind}' has no ${method}() method; a SpoolBackend needs kind, validate(definition) and open(definition, options, context)`,
        );
      }
    }
    if (this.#backends.has(backend.kind)) {
      throw new SpoolError(
        SpoolErrorCode.InvalidDefinition,
        this.#importedBuiltIns.has(backend.kind)
          ? `kind '${backend.kind}' already has the built-in backend from ${BUILT_IN_BACKENDS[backend.kind]}, imported by a definition of that kind or by applyPolicy; register a replacement before either runs`
          : `a backend for kind '${backend.kind}' is already registered; register each kind once`,
      );
    }
    this.#backends.set(backend.kind, backend);
    return this;
  }

  /** The kinds registered so far, without the built-in kinds not yet imported. */
  kinds(): string[] {
    return [...this.#backends.keys()];
  }

  /**
   * Validates `definition` (the keys every spool has, then the backend's
   * own) and records it under its name. Nothing is opened yet.
   *
   * Rejects with `SPOOL_INVALID_DEFINITION`, `SPOOL_DUPLICATE_NAME`,
   * `SPOOL_DUPLICATE_PATH`, `SPOOL_UNKNOWN_KIND` or `SPOOL_BACKEND_MISSING`.
   */
  async define(
    definition: SpoolDefinition,
  ): Promise<NormalizedSpoolDefinition> {
    const normalized = normalizeDefinition(definition);
    this.#assertUnique(normalized);
    const backend = await this.resolveBackend(normalized.kind, normalized.name);
    // Another define may have finished while the backend was being imported.
    this.#assertUnique(normalized);
    const options = backend.validate(normalized, this.#context);
    this.#entries.set(normalized.name, {
      definition: normalized,
      backend,
      options,
      spool: undefined,
      opening: undefined,
    });
    return normalized;
  }

  /** The definitions in the order they were made. */
  definitions(): NormalizedSpoolDefinition[] {
    return [...this.#entries.values()].map((entry) => entry.definition);
  }

  /**
   * Opens the spool defined under `name`, or returns it when it is already
   * open. Concurrent calls share one open. A spool closed with its own
   * `close()` is opened again once that close has finished, when its
   * backend reports `closed` (the built-in backends do).
   */
  async open(name: string): Promise<Spool> {
    const entry = this.#entry(name);
    const current = entry.spool;
    if (current !== undefined && current.closed !== true) {
      return current;
    }
    if (entry.opening === undefined) {
      entry.spool = undefined;
      // The old spool's close must release its lock first, and a second close() resolves once the first has finished.
      const closing =
        current === undefined
          ? Promise.resolve()
          : Promise.resolve()
              .then(() => current.close())
              .catch(() => undefined);
      // A backend whose open() returns a value instead of a promise still gets a clear error.
      entry.opening = closing
        .then(() =>
          entry.backend.open(entry.definition, entry.options, this.#context),
        )
        .then(
          (spool) => {
            assertSpool(spool, entry.backend.kind, name);
            entry.spool = spool;
            entry.opening = undefined;
            return spool;
          },
          (error: unknown) => {
            entry.opening = undefined;
            throw error;
          },
        );
    }
    return entry.opening;
  }

  /** Opens every defined spool that is not open yet, in definition order. */
  async openAll(): Promise<Spool[]> {
    const spools: Spool[] = [];
    for (const name of this.#entries.keys()) {
      spools.push(await this.open(name));
    }
    return spools;
  }

  /**
   * Returns the open spool `name`. Throws `SPOOL_NOT_DEFINED` when it is
   * not open, and `SPOOL_CLOSED` when it was closed with its own `close()`
   * and its backend reports `closed`.
   */
  get(name: string): Spool {
    const entry = this.#entry(name);
    if (entry.spool?.closed === true) {
      throw new SpoolError(
        SpoolErrorCode.Closed,
        `spool '${name}' was closed; call open('${name}') on the registry to open it again`,
        { spool: name, path: entry.spool.path },
      );
    }
    if (entry.spool === undefined) {
      throw new SpoolError(
        SpoolErrorCode.NotDefined,
        `spool '${name}' is defined but not open; call open('${name}') first`,
        { spool: name },
      );
    }
    return entry.spool;
  }

  /**
   * Closes every open spool, waiting for each one's calls in flight. The
   * definitions stay, so `open` works again afterwards. When some closes
   * fail, the others still run and the first failure is thrown.
   */
  async closeAll(): Promise<void> {
    const pending = [...this.#entries.values()].map(async (entry) => {
      const spool =
        entry.spool ?? (await entry.opening?.catch(() => undefined));
      entry.spool = undefined;
      await spool?.close();
    });
    const results = await Promise.allSettled(pending);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) {
      throw (failure as PromiseRejectedResult).reason;
    }
  }

  /**
   * Returns the backend for `kind`, importing the package of a built-in
   * kind on first use.
   */
  async resolveBackend(
    kind: string,
    spoolName?: string,
  ): Promise<SpoolBackend> {
    const registered = this.#backends.get(kind);
    if (registered !== undefined) {
      return registered;
    }
    const where =
      spoolName === undefined
        ? `kind '${kind}'`
        : `spool '${spoolName}' uses kind '${kind}', which`;
    const packageName = BUILT_IN_BACKENDS[kind];
    if (packageName === undefined) {
      const known = [
        ...new Set([
          ...Object.keys(BUILT_IN_BACKENDS),
          ...this.#backends.keys(),
        ]),
      ];
      throw new SpoolError(
        SpoolErrorCode.UnknownKind,
        `${where} has no backend${didYouMean(kind, known)}; kinds are case-sensitive, and the known kinds are ${known.join(', ')}. Register a backend for a new kind before defining spools of it`,
        { spool: spoolName },
      );
    }
    const backend = await this.#importBuiltIn(packageName, where, spoolName);
    if (!this.#backends.has(kind)) {
      this.register(backend);
      this.#importedBuiltIns.add(kind);
    }
    return this.#backends.get(kind) as SpoolBackend;
  }

  async #importBuiltIn(
    packageName: string,
    where: string,
    spoolName: string | undefined,
  ): Promise<SpoolBackend> {
    let module: unknown;
    try {
      module = await this.#importBackend(packageName);
    } catch (error) {
      const missing = isModuleNotFound(error, packageName);
      throw new SpoolError(
        missing ? SpoolErrorCode.BackendMissing : SpoolErrorCode.Io,
        missing
          ? `${where} needs the package ${packageName}, which is not installed; run: npm install ${packageName}`
          : `${where} needs the package ${packageName}, which failed to load: ${firstLineOf(error)}${nativeAddonHint(error)}`,
        { spool: spoolName, cause: error },
      );
    }
    const backend = (module as { backend?: SpoolBackend } | null)?.backend;
    if (backend === undefined || typeof backend.open !== 'function') {
      throw new SpoolError(
        SpoolErrorCode.BackendMissing,
        `${packageName} does not export a backend; reinstall it at the same version as @spoolkit/core`,
        { spool: spoolName },
      );
    }
    return backend;
  }

  #assertUnique(definition: NormalizedSpoolDefinition): void {
    if (this.#entries.has(definition.name)) {
      throw new SpoolError(
        SpoolErrorCode.DuplicateName,
        `spool '${definition.name}' is defined twice; give each spool its own name`,
        { spool: definition.name },
      );
    }
    for (const entry of this.#entries.values()) {
      const overlap = findPathOverlap(entry.definition.path, definition.path);
      if (overlap !== undefined) {
        throw new SpoolError(
          SpoolErrorCode.DuplicatePath,
          describePathOverlap(overlap, entry.definition, definition),
          { spool: definition.name, path: definition.path },
        );
      }
    }
  }

  #entry(name: string): Entry {
    const entry = this.#entries.get(name);
    if (entry === undefined) {
      const names = [...this.#entries.keys()];
      throw new SpoolError(
        SpoolErrorCode.NotDefined,
        `no spool named '${name}' is defined${didYouMean(name, names)}; defined spools: ${names.length === 0 ? 'none' : names.join(', ')}`,
        { spool: name },
      );
    }
    return entry;
  }
}

/** Returns a hint to rebuild when a backend failed to load because of a native addon (a `.node` file). */
function nativeAddonHint(error: unknown): string {
  return /\.node\b/.test(String((error as Error)?.message))
    ? '; a native addon did not load, so run `npm rebuild` in your project to build it for this Node version'
    : '';
}

/** The methods every `Spool` has. */
const SPOOL_METHODS = [
  'store',
  'load',
  'remove',
  'enumerate',
  'cleanup',
  'compact',
  'adviseLowMemory',
  'unhealthyReason',
  'close',
] as const;

/**
 * Throws `SPOOL_INVALID_ARGUMENT` when a backend's `open()` resolved to
 * something that is not a `Spool`, naming the methods it lacks.
 */
function assertSpool(value: unknown, kind: string, name: string): void {
  const missing = SPOOL_METHODS.filter(
    (method) =>
      typeof (value as Record<string, unknown> | null)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new SpoolError(
      SpoolErrorCode.InvalidArgument,
      `the backend for kind '${kind}' opened spool '${name}' as ${describeArgument(value)} without ${missing.map((method) => `${method}()`).join(', ')}; its open() must resolve to a Spool (see docs/writing-a-backend.md)`,
      { spool: name },
    );
  }
}
