import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, SpoolErrorCode } from '../src/index.js';

const WHERE = "rocks_params.store_deadline of spool 'data'";

function parse(value: unknown): number {
  return parseDuration(value, WHERE);
}

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['6 hours', 6 * 3_600_000],
    ['1h 30m', 5_400_000],
    ['1h30m', 5_400_000],
    ['4.2s', 4_200],
    ['0', 0],
    ['0s', 0],
    ['15 seconds', 15_000],
    ['500ms', 500],
    ['250us', 0.25],
    ['2µs', 0.002],
    ['10ns', 0.00001],
    ['1day', 86_400_000],
    ['2 weeks', 1_209_600_000],
    ['1M', 2_630_016_000],
    ['1m', 60_000],
    ['1y', 31_557_600_000],
    ['1 2s', 12_000],
    [' 5 min ', 300_000],
  ])('parses %j', (text, expected) => {
    expect(parse(text)).toBeCloseTo(expected, 9);
  });

  it('reads integers as seconds', () => {
    expect(parse(15)).toBe(15_000);
    expect(parse(0)).toBe(0);
  });

  it('reads floats as seconds', () => {
    expect(parse(15.0)).toBe(15_000);
    expect(parse(1.5)).toBe(1_500);
  });

  it('reads bigint as seconds', () => {
    expect(parse(30n)).toBe(30_000);
  });

  it.each([
    ['negative number', -1],
    ['negative float', -0.5],
    ['negative bigint', -1n],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['unit-less string', '15'],
    ['unit-less term', '1h 30'],
    ['unknown unit', '5 fortnights'],
    ['wrong case unit', '1S'],
    ['wrong case hours', '1H'],
    ['negative string', '-5s'],
    ['empty string', ''],
    ['boolean', true],
    ['table', { seconds: 5 }],
    ['nil', undefined],
  ])('rejects %s', (_case, value) => {
    expect(() => parse(value)).toThrowError(
      expect.objectContaining({ code: SpoolErrorCode.InvalidDefinition }),
    );
  });

  it('error names the place and the fix', () => {
    expect(() => parse('15')).toThrow(
      /invalid duration "15" for rocks_params\.store_deadline of spool 'data': the number 15 has no unit, and a number inside a string needs one; give seconds as a bare number/,
    );
    expect(() => parse('1S')).toThrow(/unknown unit "S"/);
  });
});

describe('formatDuration', () => {
  it.each([
    [15_000, '15s'],
    [0, '0s'],
    [86_400_000, '1day'],
    [86_400_000 * 2 + 3_600_000, '2days 1h'],
    [500, '500ms'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round trips through parseDuration', () => {
    for (const ms of [1, 999, 61_000, 3_723_000, 90_061_000]) {
      expect(parse(formatDuration(ms))).toBe(ms);
    }
  });
});
