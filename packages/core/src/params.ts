import { distance } from 'fastest-levenshtein';
import { SpoolError, SpoolErrorCode } from './errors.js';

/** Describes a value's type in Lua terms for error messages: `string`, `boolean`, `table`, `nil`. */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) {
    return 'nil';
  }
  if (Array.isArray(value) || typeof value === 'object') {
    return 'table';
  }
  if (typeof value === 'bigint') {
    return 'integer';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? 'number' : 'float';
  }
  return typeof value;
}

/** Renders a value for an error message, keeping it short. */
export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') {
    return value.toString();
  }
  let text: string;
  if (typeof value === 'string') {
    text = JSON.stringify(value);
  } else if (value !== null && typeof value === 'object') {
    text = safeJson(value);
  } else {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value, (_key, item) =>
      typeof item === 'bigint' ? item.toString() : item,
    );
  } catch {
    return '[table]';
  }
}

/**
 * Returns ` (did you mean "x"?)` when a candidate is within an edit
 * distance of a third of its length (at least 1), ignoring case, otherwise
 * an empty string. So `snapy` suggests `Snappy`, while `Zzz` suggests
 * nothing rather than `Bz2`.
 */
export function didYouMean(
  word: string,
  candidates: readonly string[],
): string {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const apart = distance(lower, candidate.toLowerCase());
    if (apart < bestDistance) {
      best = candidate;
      bestDistance = apart;
    }
  }
  if (best === undefined) {
    return '';
  }
  const limit = Math.max(1, Math.ceil(best.length / 3));
  return bestDistance <= limit ? ` (did you mean "${best}"?)` : '';
}

/**
 * Returns `didYouMean` for an unknown key of a JS options object, after
 * turning a policy-style key such as `rocks_params` into `rocksParams`, so
 * that a key copied from a Lua policy points at the option's JS name.
 */
export function didYouMeanOption(
  key: string,
  candidates: readonly string[],
): string {
  const camelCased = key.replace(/_([a-z])/g, (_match, letter: string) =>
    letter.toUpperCase(),
  );
  return didYouMean(camelCased, candidates);
}

/**
 * Throws `SPOOL_INVALID_DEFINITION` for the first key of `table` that is not
 * in `known`, with a "did you mean" hint and the list of valid keys.
 */
export function rejectUnknownKeys(
  table: object,
  known: readonly string[],
  where: string,
): void {
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) {
      throw invalidDefinition(
        `unknown key ${JSON.stringify(key)} in ${where}${didYouMean(key, known)}; valid keys are ${known.join(', ')}`,
      );
    }
  }
}

/** Options for `readInteger`. */
export interface IntegerRange {
  min?: number;
  max?: number;
}

/**
 * Reads an integer given as a JS number or a bigint (config-lua passes Lua
 * integers as bigint when they exceed 2^53). Fractions, including Lua
 * floats such as `cores / 2`, are rejected: KumoMTA rejects them too.
 */
export function readInteger(
  value: unknown,
  where: string,
  range: IntegerRange = {},
): number {
  let number: number;
  if (typeof value === 'bigint') {
    number = Number(value);
    if (!Number.isSafeInteger(number)) {
      throw invalidDefinition(
        `${where} is ${value}, which is larger than this backend accepts (2^53 - 1)`,
      );
    }
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    number = value;
  } else if (typeof value === 'number') {
    throw invalidDefinition(
      `${where} must be an integer, got ${describeValue(value)}; in Lua use // or math.floor() instead of /`,
    );
  } else {
    throw invalidDefinition(
      `${where} must be an integer, got ${describeType(value)} ${describeValue(value)}`,
    );
  }
  if (range.min !== undefined && number < range.min) {
    throw invalidDefinition(
      `${where} must be at least ${range.min}, got ${number}`,
    );
  }
  if (range.max !== undefined && number > range.max) {
    throw invalidDefinition(
      `${where} must be at most ${range.max}, got ${number}`,
    );
  }
  return number;
}

/** Reads a boolean; `true`/`false` only, never a truthy string. */
export function readBoolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') {
    throw invalidDefinition(
      `${where} must be true or false, got ${describeType(value)} ${describeValue(value)}`,
    );
  }
  return value;
}

/** Reads a string that must be one of `choices`, case-sensitively. */
export function readEnum<T extends string>(
  value: unknown,
  choices: readonly T[],
  where: string,
): T {
  if (
    typeof value === 'string' &&
    (choices as readonly string[]).includes(value)
  ) {
    return value as T;
  }
  const hint = typeof value === 'string' ? didYouMean(value, choices) : '';
  throw invalidDefinition(
    `${where} must be one of ${choices.join(', ')} (case-sensitive), got ${describeValue(value)}${hint}`,
  );
}

/** Builds the error every definition check throws. */
export function invalidDefinition(
  message: string,
  cause?: unknown,
): SpoolError {
  return new SpoolError(SpoolErrorCode.InvalidDefinition, message, { cause });
}
