import path from 'node:path';
import { SpoolError } from './errors.js';
import { type MinFree, parseMinFree } from './min-free.js';
import {
  describeType,
  describeValue,
  invalidDefinition,
  readBoolean,
  rejectUnknownKeys,
} from './params.js';

/**
 * A spool definition with KumoMTA's `kumo.define_spool` keys, as a policy
 * writes them.
 */
export interface SpoolDefinition {
  /** The spool's name; kumod uses `data` for bodies and `meta` for envelopes. */
  name: string;
  /** The directory the spool lives in. */
  path: string;
  /**
   * The backend kind, case-sensitive: `LocalDisk`, `RocksDB` or a kind a
   * third-party backend registers.
   * @default 'LocalDisk'
   */
  kind?: string;
  /**
   * LocalDisk: sync every store, its file and its directory. RocksDB: use
   * fsync instead of fdatasync for the files RocksDB syncs.
   * @default false
   */
  flush?: boolean;
  /** RocksDB tuning; see `@spoolkit/backend-rocksdb`. */
  rocks_params?: Record<string, unknown>;
  /**
   * Free bytes below which the spool reports itself unhealthy: `"N%"` or a
   * byte count.
   * @default '10%'
   */
  min_free_space?: string | number | bigint;
  /**
   * Free inodes below which the spool reports itself unhealthy: `"N%"` or a
   * count.
   * @default '10%'
   */
  min_free_inodes?: string | number | bigint;
}

/** The keys `kumo.define_spool` accepts, in KumoMTA's order. */
export const DEFINITION_KEYS = [
  'name',
  'path',
  'kind',
  'flush',
  'rocks_params',
  'min_free_space',
  'min_free_inodes',
] as const;

/** A definition after validation, as the registry hands it to a backend. */
export interface NormalizedSpoolDefinition {
  name: string;
  /** The absolute path, resolved against the working directory. */
  path: string;
  kind: string;
  flush: boolean;
  /** `rocks_params` as written, or `undefined`. Backends validate it. */
  rocksParams: Record<string, unknown> | undefined;
  minFreeSpace: MinFree;
  minFreeInodes: MinFree;
  /** The definition as it was given. */
  source: SpoolDefinition;
}

/**
 * Validates the keys every backend shares and fills in defaults. Throws
 * `SPOOL_INVALID_DEFINITION` with the spool's name and the fix.
 */
export function normalizeDefinition(input: unknown): NormalizedSpoolDefinition {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidDefinition(
      `a spool definition must be a table, got ${describeType(input)}`,
    );
  }
  const table = input as Record<string, unknown>;
  const named =
    typeof table.name === 'string' && table.name !== ''
      ? table.name
      : undefined;
  try {
    return normalizeTable(table, named);
  } catch (error) {
    if (
      named !== undefined &&
      error instanceof SpoolError &&
      error.spool === undefined
    ) {
      throw new SpoolError(error.code, error.message, {
        spool: named,
        path: error.path,
        cause: error.cause,
      });
    }
    throw error;
  }
}

/**
 * Validates a definition table whose name is `named`, when that is a
 * non-empty string. Its errors may lack the `spool` field, which
 * `normalizeDefinition` adds.
 */
function normalizeTable(
  table: Record<string, unknown>,
  named: string | undefined,
): NormalizedSpoolDefinition {
  const label = named === undefined ? 'spool definition' : `spool '${named}'`;
  rejectUnknownKeys(table, DEFINITION_KEYS, label);

  const name = readSpoolName(table.name, label);
  const where = `spool '${name}'`;
  const spoolPath = readSpoolPath(table.path, name);
  const kind =
    table.kind === undefined
      ? 'LocalDisk'
      : readRequiredString(table.kind, 'kind', where);
  const flush =
    table.flush === undefined
      ? false
      : readBoolean(table.flush, `flush of ${where}`);

  let rocksParams: Record<string, unknown> | undefined;
  if (table.rocks_params !== undefined) {
    const params = table.rocks_params;
    if (
      params === null ||
      typeof params !== 'object' ||
      Array.isArray(params)
    ) {
      throw invalidDefinition(
        `rocks_params of ${where} must be a table, got ${describeType(params)}`,
      );
    }
    rocksParams = params as Record<string, unknown>;
  }

  return {
    name,
    path: path.resolve(spoolPath),
    kind,
    flush,
    rocksParams,
    minFreeSpace: parseMinFree(
      table.min_free_space,
      `min_free_space of ${where}`,
    ),
    minFreeInodes: parseMinFree(
      table.min_free_inodes,
      `min_free_inodes of ${where}`,
    ),
    source: { ...(table as unknown as SpoolDefinition) },
  };
}

/**
 * Reads the spool's name, rejecting hidden characters and spaces at
 * either end. Spools are looked up by exact name, so `'data '` would
 * define a spool that no lookup of `data` finds, and a hidden character
 * garbles every log line and error that names it.
 */
function readSpoolName(value: unknown, label: string): string {
  const name = readRequiredString(value, 'name', label);
  if (hasHiddenCharacter(name)) {
    throw invalidDefinition(
      `name of spool ${quoteVisibly(name)} contains a control or invisible character; check the quoting in the policy`,
    );
  }
  if (name.trim() !== name) {
    throw invalidDefinition(
      `name of spool ${quoteVisibly(name)} has spaces at its start or end; use ${quoteVisibly(name.trim())}`,
    );
  }
  return name;
}

function readSpoolPath(value: unknown, name: string): string {
  const where = `spool '${name}'`;
  const text = readRequiredString(value, 'path', where);
  // Control characters are legal in POSIX names but are almost always a
  // quoting mistake, and they garble every log line that shows the path.
  if (hasHiddenCharacter(text)) {
    throw invalidDefinition(
      `path of ${where} contains a control or invisible character (${quoteVisibly(text)}); check the quoting in the policy`,
    );
  }
  const resolved = path.resolve(text);
  if (resolved === path.parse(resolved).root) {
    throw invalidDefinition(
      `path of ${where} is the file system root ${resolved}; give the spool a directory of its own, such as /var/spool/kumomta/${name}`,
    );
  }
  return text;
}

/**
 * Characters that do not show as themselves. These are every Unicode
 * other (C) and separator (Z) character except the ASCII space, the
 * default-ignorable code points, the braille blank, and U+FFFD, which
 * stands for bytes that were not valid UTF-8. In a name or path they are
 * almost always a quoting or copy-and-paste mistake.
 */
const HIDDEN_CHARACTER =
  /(?! )[\p{C}\p{Z}\p{Default_Ignorable_Code_Point}\u2800\uFFFD]/u;

function hasHiddenCharacter(text: string): boolean {
  return HIDDEN_CHARACTER.test(text);
}

/**
 * Quotes `text` as JSON does, with every hidden character escaped too:
 * `\uXXXX`, or `\u{XXXXX}` beyond the Basic Multilingual Plane.
 */
function quoteVisibly(text: string): string {
  return JSON.stringify(text).replace(
    new RegExp(HIDDEN_CHARACTER.source, 'gu'),
    (character) => {
      const code = character.codePointAt(0) as number;
      const hex = code.toString(16);
      return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
    },
  );
}

function readRequiredString(
  value: unknown,
  key: string,
  where: string,
): string {
  if (value === undefined || value === null) {
    throw invalidDefinition(`${where} is missing the required key "${key}"`);
  }
  if (typeof value !== 'string') {
    throw invalidDefinition(
      `${key} of ${where} must be a string, got ${describeType(value)} ${describeValue(value)}`,
    );
  }
  if (value.trim() === '') {
    throw invalidDefinition(`${key} of ${where} must not be empty`);
  }
  return value;
}
