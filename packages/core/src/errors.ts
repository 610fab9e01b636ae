/**
 * Stable error codes. Callers branch on `err.code`; the message is for people
 * and may change between releases.
 */
export const SpoolErrorCode = {
  /** `load` of an id that has no entry. */
  NotFound: 'SPOOL_NOT_FOUND',
  /** A call on a spool after `close()` began. */
  Closed: 'SPOOL_CLOSED',
  /** Another process, or another open spool in this process, holds the spool's lock. */
  Locked: 'SPOOL_LOCKED',
  /** The spool has latched unhealthy and rejects writes until it recovers. */
  Unhealthy: 'SPOOL_UNHEALTHY',
  /** The caller's `deadline` passed before the spool accepted the write. */
  DeadlineExceeded: 'SPOOL_DEADLINE_EXCEEDED',
  /** The spool's own `store_deadline` passed before it accepted the write. */
  BackpressureTimeout: 'SPOOL_BACKPRESSURE_TIMEOUT',
  /** Text or bytes that are not a valid spool id. */
  InvalidId: 'SPOOL_INVALID_ID',
  /** A call argument of the wrong type or range. */
  InvalidArgument: 'SPOOL_INVALID_ARGUMENT',
  /** A spool definition (from code or from a policy) that cannot be used. */
  InvalidDefinition: 'SPOOL_INVALID_DEFINITION',
  /** Two definitions share a name. */
  DuplicateName: 'SPOOL_DUPLICATE_NAME',
  /** Two definitions share a path. */
  DuplicatePath: 'SPOOL_DUPLICATE_PATH',
  /** `get` or `open` of a name that was never defined, or not yet opened. */
  NotDefined: 'SPOOL_NOT_DEFINED',
  /** A definition names a kind that no backend provides. */
  UnknownKind: 'SPOOL_UNKNOWN_KIND',
  /** The backend package for a built-in kind is not installed, or a native module it needs does not load. */
  BackendMissing: 'SPOOL_BACKEND_MISSING',
  /** The spool directory exists but cannot be created, written or listed. */
  DirectoryUnusable: 'SPOOL_DIRECTORY_UNUSABLE',
  /** The file system has no free bytes left. */
  NoSpace: 'SPOOL_NO_SPACE',
  /** The file system has no free inodes left. */
  NoInodes: 'SPOOL_NO_INODES',
  /** An entry exists but cannot be read or decoded. */
  Corrupt: 'SPOOL_CORRUPT',
  /** Any other storage failure. `cause` contains the underlying error. */
  Io: 'SPOOL_IO',
  /** A KumoMTA policy failed to load or defines an invalid spool. */
  PolicyInvalid: 'SPOOL_POLICY_INVALID',
  /** A KumoMTA policy ran past its time limit. */
  PolicyTimeout: 'SPOOL_POLICY_TIMEOUT',
  /** A KumoMTA policy allocated past its memory limit. */
  PolicyMemoryLimit: 'SPOOL_POLICY_MEMORY_LIMIT',
} as const;

export type SpoolErrorCode =
  (typeof SpoolErrorCode)[keyof typeof SpoolErrorCode];

/** Context that identifies what an error is about. Every field is optional. */
export interface SpoolErrorContext {
  /** The spool's name, such as `data` or `meta`. */
  spool?: string | undefined;
  /** The spool id, in its 32-hex-digit form. */
  id?: string | undefined;
  /** The file or directory involved. */
  path?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The one error class spoolkit throws. `code` is stable; `spool`, `id` and
 * `path` repeat what the message names so that programs need not parse it.
 */
export class SpoolError extends Error {
  readonly code: SpoolErrorCode;
  readonly spool: string | undefined;
  readonly id: string | undefined;
  readonly path: string | undefined;

  constructor(
    code: SpoolErrorCode,
    message: string,
    context: SpoolErrorContext = {},
  ) {
    super(
      message,
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.name = 'SpoolError';
    this.code = code;
    this.spool = context.spool;
    this.id = context.id;
    this.path = context.path;
  }
}

/** Reports whether `error` is a `SpoolError`, optionally with the given code. */
export function isSpoolError(
  error: unknown,
  code?: SpoolErrorCode,
): error is SpoolError {
  if (!(error instanceof SpoolError)) {
    return false;
  }
  return code === undefined || error.code === code;
}

/**
 * Finds the first `SpoolError` in `error`'s `cause` chain, `error` included.
 * Use it where a wrapper may stand between the caller and the spool.
 */
export function findSpoolError(error: unknown): SpoolError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    if (current instanceof SpoolError) {
      return current;
    }
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Returns the `errno` code (`ENOENT`, `ENOSPC`, …) of a Node system error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
