import { SpoolError, SpoolErrorCode } from './errors.js';
import { describeType, describeValue } from './params.js';

/** Milliseconds per unit, for the units KumoMTA's duration strings accept (humantime 2.x). */
const UNIT_MS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  const define = (ms: number, names: string[]) => {
    for (const name of names) {
      table[name] = ms;
    }
  };
  define(1e-6, ['ns', 'nsec', 'nanos']);
  define(1e-3, ['us', 'usec', 'µs']);
  define(1, ['ms', 'msec', 'millis']);
  define(1_000, ['s', 'sec', 'secs', 'second', 'seconds']);
  define(60_000, ['m', 'min', 'mins', 'minute', 'minutes']);
  define(3_600_000, ['h', 'hr', 'hrs', 'hour', 'hours']);
  define(86_400_000, ['d', 'day', 'days']);
  define(604_800_000, ['w', 'wk', 'wks', 'week', 'weeks']);
  define(2_630_016_000, ['M', 'month', 'months']);
  define(31_557_600_000, ['y', 'yr', 'yrs', 'year', 'years']);
  return table;
})();

const DURATION_HINT =
  'give seconds as a bare number without quotes (such as 30 or 1.5), or a string with units (such as "30s", "6 hours" or "1h 30m")';

/**
 * Parses a duration the way KumoMTA's policies write it and returns
 * milliseconds. Accepted forms:
 *
 * - a non-negative finite number (or bigint) of seconds;
 * - the string `"0"`;
 * - a string of `<number><unit>` terms such as `"30s"`, `"6 hours"` or
 *   `"1h 30m"`, where fractions are allowed and units are case-sensitive
 *   (`M` is a month of 30.44 days, `m` a minute). As in KumoMTA, spaces
 *   between digits are skipped, so `"1 2s"` is 12 seconds.
 *
 * Throws `SPOOL_INVALID_DEFINITION` naming `where` (such as
 * `rocks_params.store_deadline of spool 'data'`) for anything else,
 * including negative numbers, NaN and numbers without a unit.
 */
export function parseDuration(value: unknown, where: string): number {
  if (typeof value === 'bigint') {
    if (value < 0n) {
      throw invalidDuration(value, where, 'it is negative');
    }
    return Number(value) * 1000;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw invalidDuration(value, where, 'it is not a finite number');
    }
    if (value < 0) {
      throw invalidDuration(value, where, 'it is negative');
    }
    return value * 1000;
  }
  if (typeof value === 'string') {
    return parseDurationText(value, where);
  }
  throw invalidDuration(
    value,
    where,
    `expected a number or a string, got ${describeType(value)}`,
  );
}

function parseDurationText(text: string, where: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') {
    return 0;
  }
  if (trimmed === '') {
    throw invalidDuration(text, where, 'it is empty');
  }

  let total = 0;
  let position = 0;
  while (position < trimmed.length) {
    position = skipSpaces(trimmed, position);
    if (position >= trimmed.length) {
      break;
    }

    const number = readNumber(trimmed, position);
    if (number === undefined) {
      throw invalidDuration(
        text,
        where,
        `expected a number at position ${position + 1}`,
      );
    }
    position = skipSpaces(trimmed, number.end);

    const unitStart = position;
    while (
      position < trimmed.length &&
      /[A-Za-zµ]/.test(trimmed[position] as string)
    ) {
      position += 1;
    }
    const unit = trimmed.slice(unitStart, position);
    if (unit === '') {
      throw invalidDuration(
        text,
        where,
        `the number ${number.digits} has no unit, and a number inside a string needs one`,
      );
    }
    const unitMs = UNIT_MS[unit];
    if (unitMs === undefined) {
      throw invalidDuration(
        text,
        where,
        `unknown unit ${JSON.stringify(unit)}`,
      );
    }
    total += number.value * unitMs;
  }
  return total;
}

function readNumber(
  text: string,
  start: number,
): { value: number; digits: string; end: number } | undefined {
  let digits = '';
  let position = start;
  let sawDot = false;
  while (position < text.length) {
    const char = text[position] as string;
    if (char >= '0' && char <= '9') {
      digits += char;
    } else if (char === '.' && !sawDot) {
      sawDot = true;
      digits += char;
    } else if (char === ' ' || char === '\t') {
      // humantime skips spaces inside a number, but only when more digits follow.
      const next = skipSpaces(text, position);
      const nextChar = text[next];
      if (nextChar === undefined || !(nextChar >= '0' && nextChar <= '9')) {
        break;
      }
      position = next;
      continue;
    } else {
      break;
    }
    position += 1;
  }
  if (!/\d/.test(digits)) {
    return undefined;
  }
  return { value: Number.parseFloat(digits), digits, end: position };
}

function skipSpaces(text: string, position: number): number {
  let next = position;
  while (next < text.length && /\s/.test(text[next] as string)) {
    next += 1;
  }
  return next;
}

/**
 * Formats milliseconds as KumoMTA prints durations: `30s`, `1day 2h`,
 * `500ms`. Zero is `0s`.
 */
export function formatDuration(ms: number): string {
  if (!(ms > 0)) {
    return '0s';
  }
  const parts: string[] = [];
  let rest = Math.round(ms * 1e6); // nanoseconds
  const units: Array<[number, string, string]> = [
    [31_557_600e9, 'year', 'years'],
    [2_630_016e9, 'month', 'months'],
    [86_400e9, 'day', 'days'],
    [3_600e9, 'h', 'h'],
    [60e9, 'm', 'm'],
    [1e9, 's', 's'],
    [1e6, 'ms', 'ms'],
    [1e3, 'us', 'us'],
    [1, 'ns', 'ns'],
  ];
  for (const [size, one, many] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count}${count === 1 ? one : many}`);
      rest -= count * size;
    }
  }
  return parts.join(' ');
}

function invalidDuration(
  value: unknown,
  where: string,
  reason: string,
): SpoolError {
  return new SpoolError(
    SpoolErrorCode.InvalidDefinition,
    `invalid duration ${describeValue(value)} for ${where}: ${reason}; ${DURATION_HINT}`,
  );
}
