import { describe, expect, it } from 'vitest';
import { didYouMean, didYouMeanOption } from '../src/index.js';

describe('didYouMean', () => {
  it('suggests a near miss', () => {
    expect(didYouMean('flsuh', ['name', 'flush'])).toBe(
      ' (did you mean "flush"?)',
    );
  });

  it('stays quiet for a far word', () => {
    expect(didYouMean('compression', ['name', 'flush'])).toBe('');
  });

  const COMPRESSION = ['None', 'Snappy', 'Zlib', 'Bz2', 'Lz4', 'Lz4hc'];

  it('ignores case when it compares', () => {
    expect(didYouMean('snapy', COMPRESSION)).toBe(' (did you mean "Snappy"?)');
    expect(didYouMean('LZ4', COMPRESSION)).toBe(' (did you mean "Lz4"?)');
  });

  it('stays quiet for a short word two edits away', () => {
    expect(didYouMean('Zzz', COMPRESSION)).toBe('');
  });
});

describe('didYouMeanOption', () => {
  it.each([
    ['rocks_params', 'rocksParams'],
    ['min_free_inodes', 'minFreeInodes'],
    ['flsuh', 'flush'],
  ])('points %s at %s', (key, option) => {
    expect(
      didYouMeanOption(key, [
        'flush',
        'rocksParams',
        'minFreeSpace',
        'minFreeInodes',
      ]),
    ).toBe(` (did you mean "${option}"?)`);
  });
});
