import type { NormalizedSpoolDefinition } from './definition.js';
import type { SpoolLogger } from './logger.js';
import type { Spool } from './spool.js';

/** The context the registry passes to a backend when it opens a spool. */
export interface BackendContext {
  logger: SpoolLogger;
}

/**
 * A storage backend, registered with a `SpoolRegistry` under its `kind`.
 * `Options` is what `validate` makes of the backend's own keys.
 */
export interface SpoolBackend<Options = unknown> {
  /** The `kind` a definition names to select this backend, case-sensitive. */
  readonly kind: string;
  /**
   * Checks the keys only this backend reads (such as `rocks_params`) and
   * returns them parsed. Throws `SPOOL_INVALID_DEFINITION` naming the
   * spool, the key and the fix. Must not touch the disk.
   */
  validate(
    definition: NormalizedSpoolDefinition,
    context: BackendContext,
  ): Options;
  /** Opens the spool; the options are what `validate` returned. */
  open(
    definition: NormalizedSpoolDefinition,
    options: Options,
    context: BackendContext,
  ): Promise<Spool>;
}
