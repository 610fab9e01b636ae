import { SpoolError, SpoolErrorCode } from '@spoolkit/core';

/** The class of a RocksDB status, as the health latch sees it. */
export type StatusKind = 'no-space' | 'io' | 'corruption' | 'other';

/**
 * Classifies a binding error by RocksDB's status text, the only thing the
 * binding reports: `IO error: …`, `Corruption: …`, and so on.
 */
export function classifyStatus(error: unknown): StatusKind {
  const message = error instanceof Error ? error.message : String(error);
  if (/No space left on device/i.test(message)) {
    return 'no-space';
  }
  if (message.startsWith('Corruption')) {
    return 'corruption';
  }
  if (message.startsWith('IO error')) {
    return 'io';
  }
  return 'other';
}

/** The operation and spool a storage error happened in, for its message. */
export interface StatusContext {
  spool: string;
  path: string;
  /** The verb, such as `store` or `load`. */
  operation: string;
  id?: string;
}

/**
 * Wraps a binding error in a `SpoolError`: `SPOOL_NO_SPACE`,
 * `SPOOL_CORRUPT` or `SPOOL_IO`, with the original as `cause`.
 */
export function toSpoolError(
  error: unknown,
  context: StatusContext,
): SpoolError {
  const kind = classifyStatus(error);
  const detail = tidyRocksMessage(
    error instanceof Error ? error.message : String(error),
  );
  const subject =
    context.id === undefined
      ? `${context.operation} on spool '${context.spool}' at ${context.path}`
      : `${context.operation} of ${context.id} on spool '${context.spool}' at ${context.path}`;
  const fields = {
    spool: context.spool,
    path: context.path,
    id: context.id,
    cause: error,
  };
  switch (kind) {
    case 'no-space':
      return new SpoolError(
        SpoolErrorCode.NoSpace,
        `${subject} failed because the disk is full: ${detail}; free space on that file system, then close and reopen the spool`,
        fields,
      );
    case 'corruption':
      return new SpoolError(
        SpoolErrorCode.Corrupt,
        `${subject} failed because the RocksDB data is corrupt: ${detail}; restore the directory from a backup or move it aside`,
        fields,
      );
    default:
      return new SpoolError(
        SpoolErrorCode.Io,
        `${subject} failed: ${detail}`,
        fields,
      );
  }
}

/**
 * Separates the clauses RocksDB glues together without a space, as in
 * `No space left on deviceWhile appending to file`.
 */
function tidyRocksMessage(message: string): string {
  return message.replace(/(\S)While /g, '$1; while ');
}
