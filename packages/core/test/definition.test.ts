import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFINITION_KEYS,
  normalizeDefinition,
  SpoolErrorCode,
} from '../src/index.js';

const invalid = expect.objectContaining({
  code: SpoolErrorCode.InvalidDefinition,
});

describe('normalizeDefinition', () => {
  it('fills in defaults', () => {
    const normalized = normalizeDefinition({
      name: 'data',
      path: 'spool/data',
    });
    expect(normalized.name).toBe('data');
    expect(normalized.path).toBe(path.resolve('spool/data'));
    expect(normalized.kind).toBe('LocalDisk');
    expect(normalized.flush).toBe(false);
    expect(normalized.rocksParams).toBeUndefined();
    expect(normalized.minFreeSpace).toEqual({ kind: 'percent', percent: 10 });
    expect(normalized.minFreeInodes).toEqual({ kind: 'percent', percent: 10 });
    expect(normalized.source).toEqual({ name: 'data', path: 'spool/data' });
  });

  it('rejects the file system root as path', () => {
    expect(() => normalizeDefinition({ name: 'data', path: '/' })).toThrow(
      invalid,
    );
    expect(() => normalizeDefinition({ name: 'data', path: '/' })).toThrow(
      /file system root/,
    );
  });

  it('rejects a path with a control character', () => {
    expect(() =>
      normalizeDefinition({ name: 'data', path: '/var/spool\n/data' }),
    ).toThrow(/control or invisible character/);
  });

  it('keeps every given key', () => {
    const normalized = normalizeDefinition({
      name: 'meta',
      path: '/var/spool/meta',
      kind: 'RocksDB',
      flush: true,
      rocks_params: { paranoid_checks: true },
      min_free_space: 1024,
      min_free_inodes: '5%',
    });
    expect(normalized.kind).toBe('RocksDB');
    expect(normalized.flush).toBe(true);
    expect(normalized.rocksParams).toEqual({ paranoid_checks: true });
    expect(normalized.minFreeSpace).toEqual({ kind: 'count', count: 1024 });
    expect(normalized.minFreeInodes).toEqual({ kind: 'percent', percent: 5 });
  });

  it('lists the keys in KumoMTA order', () => {
    expect(DEFINITION_KEYS).toEqual([
      'name',
      'path',
      'kind',
      'flush',
      'rocks_params',
      'min_free_space',
      'min_free_inodes',
    ]);
  });

  it('rejects unknown key with a hint', () => {
    expect(() =>
      normalizeDefinition({ name: 'data', path: '/x', flsuh: true }),
    ).toThrow(
      /unknown key "flsuh" in spool 'data' \(did you mean "flush"\?\); valid keys are name, path, kind/,
    );
    expect(() =>
      normalizeDefinition({ name: 'data', path: '/x', colour: 'red' }),
    ).toThrowError(invalid);
  });

  it.each([
    ['an unknown key', { flsuh: true }],
    ['a bad flush', { flush: 'yes' }],
    ['a bad min_free_space', { min_free_space: '200%' }],
    ['a bad rocks_params', { rocks_params: 5 }],
  ])('names the spool for %s', (_case, extra) => {
    let error: unknown;
    try {
      normalizeDefinition({ name: 'data', path: '/x', ...extra });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'SPOOL_INVALID_DEFINITION',
      spool: 'data',
    });
  });

  it('leaves out a hint for a far key', () => {
    let message = '';
    try {
      normalizeDefinition({ name: 'data', path: '/x', zzzzzzzzzz: 1 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('unknown key "zzzzzzzzzz"');
    expect(message).not.toContain('did you mean');
  });

  it.each([
    ['missing name', { path: '/x' }, /missing the required key "name"/],
    ['empty name', { name: '', path: '/x' }, /name of .* must not be empty/],
    ['blank name', { name: '  ', path: '/x' }, /must not be empty/],
    [
      'name with a newline',
      { name: 'da\nta', path: '/x' },
      /name of spool "da\\nta" contains a control or invisible character/,
    ],
    [
      'name with a next-line character',
      { name: 'da\u0085ta', path: '/x' },
      /name of spool "da\\u0085ta" contains a control or invisible character/,
    ],
    [
      'name with a zero-width space',
      { name: 'da\u200bta', path: '/x' },
      /name of spool "da\\u200bta" contains a control or invisible character/,
    ],
    [
      'name with a private-use character',
      { name: 'da\ue000ta', path: '/x' },
      /name of spool "da\\ue000ta" contains a control or invisible character/,
    ],
    [
      'name with a no-break space',
      { name: 'da\u00a0ta', path: '/x' },
      /name of spool "da\\u00a0ta" contains a control or invisible character/,
    ],
    [
      'name with a tag character',
      { name: 'da\u{e0041}ta', path: '/x' },
      /name of spool "da\\u\{e0041\}ta" contains a control or invisible character/,
    ],
    [
      'name with a replacement character',
      { name: 'da\ufffdta', path: '/x' },
      /name of spool "da\\ufffdta" contains a control or invisible character/,
    ],
    [
      'name with DEL',
      { name: 'da\u007fta', path: '/x' },
      /name of spool "da\\u007fta" contains a control or invisible character/,
    ],
    [
      'name with a trailing space',
      { name: 'data ', path: '/x' },
      /name of spool "data " has spaces at its start or end; use "data"/,
    ],
    [
      'missing path',
      { name: 'data' },
      /spool 'data' is missing the required key "path"/,
    ],
    ['empty path', { name: 'data', path: '' }, /path of spool 'data'/],
    ['numeric name', { name: 5, path: '/x' }, /name of .* must be a string/],
    [
      'numeric path',
      { name: 'data', path: 5 },
      /path of spool 'data' must be a string, got number 5/,
    ],
    [
      'string flush',
      { name: 'data', path: '/x', flush: 'yes' },
      /flush of spool 'data' must be true or false, got string "yes"/,
    ],
    [
      'numeric kind',
      { name: 'data', path: '/x', kind: 1 },
      /kind of spool 'data' must be a string/,
    ],
    [
      'list rocks_params',
      { name: 'data', path: '/x', rocks_params: [] },
      /rocks_params of spool 'data' must be a table, got table/,
    ],
    [
      'string rocks_params',
      { name: 'data', path: '/x', rocks_params: 'fast' },
      /rocks_params of spool 'data' must be a table, got string/,
    ],
    [
      'bad min_free_space',
      { name: 'data', path: '/x', min_free_space: '200%' },
      /min_free_space of spool 'data' is 200%/,
    ],
    [
      'bad min_free_inodes',
      { name: 'data', path: '/x', min_free_inodes: 0.5 },
      /min_free_inodes of spool 'data'/,
    ],
  ])('rejects %s', (_case, definition, message) => {
    expect(() => normalizeDefinition(definition)).toThrowError(invalid);
    expect(() => normalizeDefinition(definition)).toThrow(message);
  });

  it.each([
    ['nil', null],
    ['a string', 'data'],
    ['a list', []],
  ])('rejects %s as a definition', (_case, value) => {
    expect(() => normalizeDefinition(value)).toThrow(
      /a spool definition must be a table/,
    );
  });
});
