import { SpoolError, SpoolErrorCode } from './errors.js';
import { describeType, describeValue, invalidDefinition } from './params.js';

/** A free-space minimum: a percentage of the file system, or an absolute count. */
export type MinFree =
  | { kind: 'percent'; percent: number }
  | { kind: 'count'; count: number };

/** KumoMTA's default for both `min_free_space` and `min_free_inodes`. */
export const DEFAULT_MIN_FREE = '10%';

const PERCENT_FORM = /^(\d+)%$/;
const COUNT_FORM = /^\d+$/;

/**
 * Parses `min_free_space` (bytes) or `min_free_inodes` (inodes): `"N%"`
 * with N from 0 to 100, or a non-negative integer given as a number or a
 * digit string. `undefined` gives the default, `"10%"`.
 *
 * KumoMTA accepts percentages up to 255; spoolkit rejects anything over 100
 * because such a minimum can never be met.
 */
export function parseMinFree(value: unknown, where: string): MinFree {
  const raw = value === undefined ? DEFAULT_MIN_FREE : value;
  if (typeof raw === 'string') {
    const percent = PERCENT_FORM.exec(raw);
    if (percent) {
      const number = Number(percent[1]);
      if (number > 100) {
        throw invalidDefinition(
          `${where} is ${raw}, but a percentage must be from 0% to 100%`,
        );
      }
      return { kind: 'percent', percent: number };
    }
    if (COUNT_FORM.test(raw)) {
      return { kind: 'count', count: toSafeCount(BigInt(raw), where) };
    }
    throw invalidDefinition(
      `${where} is ${describeValue(raw)}; use a percentage such as "10%" or a non-negative integer such as 1073741824`,
    );
  }
  if (typeof raw === 'bigint') {
    return { kind: 'count', count: toSafeCount(raw, where) };
  }
  if (typeof raw === 'number' && Number.isInteger(raw)) {
    return { kind: 'count', count: toSafeCount(BigInt(raw), where) };
  }
  throw invalidDefinition(
    `${where} must be a percentage string such as "10%" or a non-negative integer, got ${describeType(raw)} ${describeValue(raw)}`,
  );
}

function toSafeCount(value: bigint, where: string): number {
  if (value < 0n) {
    throw invalidDefinition(`${where} is ${value}; it must not be negative`);
  }
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidDefinition(
      `${where} is ${value}, which is larger than 2^53 - 1`,
    );
  }
  return Number(value);
}

/** Renders a minimum for messages: `10%` or `1073741824`. */
export function formatMinFree(minimum: MinFree): string {
  return minimum.kind === 'percent'
    ? `${minimum.percent}%`
    : String(minimum.count);
}

/**
 * Parses a `minFreeSpace` or `minFreeInodes` option of a backend's open
 * function, which may also be a `MinFree` object. The object goes through
 * its text form, so it is checked like the text. Throws
 * `SPOOL_INVALID_ARGUMENT` naming `where` and `spool`.
 */
export function parseMinFreeOption(
  value: unknown,
  where: string,
  spool?: string,
): MinFree {
  try {
    const text =
      value !== null && typeof value === 'object'
        ? formatMinFree(value as MinFree)
        : value;
    return parseMinFree(text, where);
  } catch (error) {
    throw new SpoolError(
      SpoolErrorCode.InvalidArgument,
      (error as Error).message,
      { spool, cause: error },
    );
  }
}
