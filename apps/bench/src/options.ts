import { InvalidArgumentError } from 'commander';
import { BACKEND_KINDS, type BackendKind } from './settings.js';

/** The sections of a run, in the order they run. */
export const SECTIONS = [
  'policy',
  'operations',
  'lifecycle',
  'enumeration',
] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * Parses a whole number written in decimal digits, or returns `NaN`.
 * `Number()` alone would also take `1e2`, `0x10` and an empty string.
 */
function decimalInteger(value: string): number {
  const text = value.trim();
  return /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * Returns a parser for a count from 1 to `max`. The maximum keeps a typo
 * from asking for a run that cannot finish or fit in memory.
 */
export function countUpTo(max: number): (value: string) => number {
  return (value) => {
    const parsed = decimalInteger(value);
    if (!Number.isSafeInteger(parsed) || parsed < 1) {
      throw new InvalidArgumentError(
        `"${value}" is not a count; expected a positive whole number in decimal digits`,
      );
    }
    if (parsed > max) {
      throw new InvalidArgumentError(
        `"${value}" is above the maximum of ${max.toLocaleString('en-US')}; give a smaller count`,
      );
    }
    return parsed;
  };
}

/** The maximum calls in flight, 64 times the 64 that the full run uses. */
export const MAX_CONCURRENCY = 4096;
/** The maximum rounds per configuration. */
export const MAX_ROUNDS = 100;
/** The maximum entries in the large enumeration, 10 million files for LocalDisk. */
export const MAX_ENTRIES = 10_000_000;

/** The maximum turns per operation: at 100, a 1 s run gives each turn 10 ms. */
export const MAX_SLICES = 100;

/** The shortest turn `--seconds` and `--slices` may ask for together, in seconds. */
export const MIN_TURN_SECONDS = 0.001;

export function parseSlices(value: string): number {
  const parsed = decimalInteger(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_SLICES) {
    throw new InvalidArgumentError(
      `"${value}" is not a whole number of turns from 1 to ${MAX_SLICES}`,
    );
  }
  return parsed;
}

/** The shortest and longest `--seconds`: 1 ms, and 10 minutes per timed run. */
export const MIN_SECONDS = 0.001;
export const MAX_SECONDS = 600;

export function parseSeconds(value: string): number {
  const text = value.trim();
  const parsed = /^(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError(
      `"${value}" is not a length of time; expected a positive number of seconds in decimal, such as 1 or 0.5`,
    );
  }
  if (parsed < MIN_SECONDS || parsed > MAX_SECONDS) {
    throw new InvalidArgumentError(
      `"${value}" is outside ${MIN_SECONDS} to ${MAX_SECONDS} seconds; give a length in that range`,
    );
  }
  return parsed;
}

/**
 * Parses a comma-separated list, each item with `parseItem`, which throws
 * `InvalidArgumentError`. A value given twice appears once.
 */
export function listOf<T>(
  parseItem: (item: string) => T,
): (value: string) => T[] {
  return (value) => [
    ...new Set(value.split(',').map((item) => parseItem(item.trim()))),
  ];
}

export function parseKind(value: string): BackendKind {
  if (!(BACKEND_KINDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `unknown kind "${value}"; kinds are ${BACKEND_KINDS.join(', ')}`,
    );
  }
  return value as BackendKind;
}

/** The largest value size accepted, so a typo cannot ask for gigabytes per value. */
const MAX_VALUE_BYTES = 64 * 1024 * 1024;

/** Parses a size in bytes, or in KiB with a `k` or `KiB` suffix: `1024`, `16k`, `256KiB`. */
export function parseSize(value: string): number {
  const match = /^(\d+)\s*(k|kib)?$/i.exec(value);
  const bytes = match === null ? NaN : Number(match[1]) * (match[2] ? 1024 : 1);
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new InvalidArgumentError(
      `"${value}" is not a size; give bytes (1024) or KiB (16k, 256KiB)`,
    );
  }
  if (bytes > MAX_VALUE_BYTES) {
    throw new InvalidArgumentError(
      `"${value}" is larger than the largest value size the bench runs, ${MAX_VALUE_BYTES / 1024 / 1024} MiB`,
    );
  }
  return bytes;
}

/** Parses a comma-separated list of sections. A section given twice runs once. */
export function parseSections(value: string): Section[] {
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `unknown section "${name}"; sections are ${SECTIONS.join(', ')}`,
      );
    }
  }
  return [...new Set(names)] as Section[];
}

/** Parses a directory option, which must not be empty. */
export function parseDirectory(value: string): string {
  if (value.trim() === '') {
    throw new InvalidArgumentError('expected a directory, got an empty path');
  }
  return value;
}

/** The options that shape a section's work, each with the sections that read it. */
export const SECTIONS_USING = {
  '--kinds': ['operations', 'lifecycle'],
  '--value-sizes': ['operations', 'lifecycle'],
  '--concurrency': ['operations', 'lifecycle'],
  '--rounds': ['operations', 'lifecycle'],
  '--slices': ['operations'],
  '--seconds': ['operations', 'lifecycle'],
  '--entries': ['enumeration'],
  '--localdisk-entries': ['enumeration'],
} as const satisfies Record<string, readonly Section[]>;
export type ShapingOption = keyof typeof SECTIONS_USING;
