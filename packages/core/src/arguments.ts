import { SpoolError, SpoolErrorCode } from './errors.js';
import type { EnumerateOptions, StoreOptions } from './spool.js';
import { SpoolId } from './spool-id.js';

// Backends call these at the top of each public method, so that every
// backend rejects the same bad arguments with the same SPOOL_INVALID_ARGUMENT.

/** Throws `SPOOL_INVALID_ARGUMENT` unless `id` is a `SpoolId`. */
export function validateId(
  id: unknown,
  operation: string,
  spool: string,
): asserts id is SpoolId {
  if (id instanceof SpoolId) {
    return;
  }
  if (isForeignSpoolId(id)) {
    throw invalidArgument(
      spool,
      `${operation} got SpoolId ${id.toString()} from a second copy of @spoolkit/core, which this spool's backend does not accept; run \`npm ls @spoolkit/core\` and, if it lists two versions, \`npm dedupe\` until one is left, and load core and the backend packages the same way (all with import or all with require)`,
    );
  }
  throw invalidArgument(
    spool,
    `${operation} needs a SpoolId, got ${describeArgument(id)}; convert text with SpoolId.parse(text)`,
  );
}

/** Checks whether `value` is a `SpoolId` made by another copy of core (a second install, or the other of its ESM and CommonJS builds). */
function isForeignSpoolId(value: unknown): value is SpoolId {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  // The bundler may rename the class to _SpoolId.
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return (
    (name === 'SpoolId' || name === '_SpoolId') &&
    typeof (value as SpoolId).toString === 'function'
  );
}

/**
 * Throws `SPOOL_INVALID_ID` for an id without a creation time (UUID
 * versions other than 1, 6 and 7), and `SPOOL_INVALID_ARGUMENT` for a
 * store call with a bad id, data or options.
 */
export function validateStoreArguments(
  id: unknown,
  data: unknown,
  options: StoreOptions,
  spool: string,
): void {
  validateId(id, 'store', spool);
  if (!id.isTimeBased) {
    // Enumeration skips entries newer than its cut-off, so an entry without
    // a creation time could never come back as an item after a restart.
    throw new SpoolError(
      SpoolErrorCode.InvalidId,
      `spool '${spool}': cannot store ${id}, a version ${id.version} UUID without a creation time, because enumerate could only report it as corrupt; create ids with SpoolId.generate()`,
      { spool, id: id.toString() },
    );
  }
  if (!(data instanceof Uint8Array)) {
    throw invalidArgument(
      spool,
      `store of ${id} needs the data as a Uint8Array or Buffer, got ${describeArgument(data)}`,
      id,
    );
  }
  if (data.byteLength === 0 && isOutOfReach(data)) {
    throw invalidArgument(
      spool,
      `store of ${id} got a Uint8Array whose ArrayBuffer was transferred, detached or shrunk so that the view no longer fits, so its bytes are gone; store a copy made before that`,
      id,
    );
  }
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(
      spool,
      `store options of ${id} must be an object, got ${describeArgument(options)}`,
      id,
    );
  }
  for (const key of Object.keys(options)) {
    if (!STORE_OPTION_KEYS.includes(key)) {
      throw invalidArgument(
        spool,
        `unknown store option "${key}" for ${id}; valid options are ${STORE_OPTION_KEYS.join(', ')}`,
        id,
      );
    }
  }
  if (options.sync !== undefined && typeof options.sync !== 'boolean') {
    throw invalidArgument(
      spool,
      `store option sync of ${id} must be true or false, got ${describeArgument(options.sync)}`,
      id,
    );
  }
  const deadline = options.deadline;
  const validDeadline =
    deadline === undefined ||
    (deadline instanceof Date && !Number.isNaN(deadline.getTime())) ||
    (typeof deadline === 'number' && Number.isFinite(deadline));
  if (!validDeadline) {
    throw invalidArgument(
      spool,
      `store option deadline of ${id} must be a valid Date or a number of milliseconds since the Unix epoch, got ${deadline instanceof Date ? 'an invalid Date' : describeArgument(deadline)}`,
      id,
    );
  }
}

/** Throws `SPOOL_INVALID_ARGUMENT` for bad enumerate options. */
export function validateEnumerateOptions(
  options: EnumerateOptions,
  spool: string,
): void {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(
      spool,
      `enumerate options must be an object, got ${describeArgument(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!ENUMERATE_OPTION_KEYS.includes(key)) {
      throw invalidArgument(
        spool,
        `unknown enumerate option "${key}"; valid options are ${ENUMERATE_OPTION_KEYS.join(', ')}`,
      );
    }
  }
  const { createdBefore, signal } = options;
  if (
    createdBefore !== undefined &&
    !(createdBefore instanceof Date && !Number.isNaN(createdBefore.getTime()))
  ) {
    throw invalidArgument(
      spool,
      `enumerate option createdBefore must be a valid Date, got ${createdBefore instanceof Date ? 'an invalid Date' : describeArgument(createdBefore)}`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgument(
      spool,
      `enumerate option signal must be an AbortSignal, got ${describeArgument(signal)}`,
    );
  }
}

/** The keys of `StoreOptions`; a misspelt key such as `snyc` would silently turn sync off. */
const STORE_OPTION_KEYS = ['sync', 'deadline'];

/** The keys of `EnumerateOptions`; a misspelt `createdBefore` would silently hide newer entries. */
const ENUMERATE_OPTION_KEYS = ['createdBefore', 'signal'];

function invalidArgument(
  spool: string,
  message: string,
  id?: SpoolId,
): SpoolError {
  return new SpoolError(
    SpoolErrorCode.InvalidArgument,
    `spool '${spool}': ${message}`,
    { spool, id: id?.toString() },
  );
}

/**
 * Names the JS type of a bad argument for an error message, with the class
 * of an object ("a string", "null", "an array", "a Date"), where policy
 * errors use Lua's type names.
 */
export function describeArgument(value: unknown): string {
  if (value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  const name =
    typeof value === 'object'
      ? (Object.getPrototypeOf(value)?.constructor?.name ?? 'object')
      : typeof value;
  const label = name === 'Object' ? 'object' : name;
  // "an object", "an ArrayBuffer", but "a Uint8Array", whose U sounds like "you".
  const vowelSound = /^(?:[aeio]|u(?!int|ni|s))/i.test(label);
  return `${vowelSound ? 'an' : 'a'} ${label}`;
}

/**
 * Returns whether `view` can no longer reach its bytes: its ArrayBuffer
 * was detached (by a transfer to a worker or by `structuredClone` with
 * `transfer`), or it is a resizable ArrayBuffer shrunk below the view.
 * Such a view reads as empty, so storing it would store nothing. Node 20
 * lacks `ArrayBuffer.prototype.detached`, but copying from such a view
 * throws.
 */
function isOutOfReach(view: Uint8Array): boolean {
  try {
    Uint8Array.prototype.slice.call(view, 0, 0);
    return false;
  } catch {
    return true;
  }
}
