import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_FREE,
  formatMinFree,
  parseMinFree,
  SpoolErrorCode,
} from '../src/index.js';

const WHERE = "min_free_space of spool 'data'";

describe('parseMinFree', () => {
  it.each([
    ['0%', 0],
    ['10%', 10],
    ['55%', 55],
    ['100%', 100],
  ])('parses percentage %s', (text, percent) => {
    expect(parseMinFree(text, WHERE)).toEqual({ kind: 'percent', percent });
  });

  it('defaults to 10%', () => {
    expect(DEFAULT_MIN_FREE).toBe('10%');
    expect(parseMinFree(undefined, WHERE)).toEqual({
      kind: 'percent',
      percent: 10,
    });
  });

  it('parses digit strings as counts', () => {
    expect(parseMinFree('1073741824', WHERE)).toEqual({
      kind: 'count',
      count: 1_073_741_824,
    });
    expect(parseMinFree('0', WHERE)).toEqual({ kind: 'count', count: 0 });
  });

  it('parses integers and bigints as counts', () => {
    expect(parseMinFree(4096, WHERE)).toEqual({ kind: 'count', count: 4096 });
    expect(parseMinFree(5_000_000_000n, WHERE)).toEqual({
      kind: 'count',
      count: 5_000_000_000,
    });
  });

  it.each([
    ['101%', '101%'],
    ['255%', '255%'],
    ['a float', 1.5],
    ['a negative number', -1],
    ['a negative bigint', -1n],
    ['a negative string', '-1'],
    ['a decimal percentage', '10.5%'],
    ['a spaced percentage', '10 %'],
    ['a unit', '10GB'],
    ['NaN', Number.NaN],
    ['a boolean', true],
    ['a table', {}],
    ['a count past 2^53', '9007199254740993'],
  ])('rejects %s', (_case, value) => {
    expect(() => parseMinFree(value, WHERE)).toThrowError(
      expect.objectContaining({ code: SpoolErrorCode.InvalidDefinition }),
    );
  });

  it('error names the place', () => {
    expect(() => parseMinFree('101%', WHERE)).toThrow(
      "min_free_space of spool 'data' is 101%, but a percentage must be from 0% to 100%",
    );
  });
});

describe('formatMinFree', () => {
  it('renders both forms', () => {
    expect(formatMinFree({ kind: 'percent', percent: 10 })).toBe('10%');
    expect(formatMinFree({ kind: 'count', count: 4096 })).toBe('4096');
  });
});
