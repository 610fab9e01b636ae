import { expect } from 'vitest';
import { SpoolId } from '../spool-id.js';
import { type ConformanceFamily, expectBytes } from './harness.js';

/** Buffers crossing the interface are copies, in both directions. */
export const copies: ConformanceFamily = {
  name: 'copies',
  cases: [
    {
      name: 'store copies the caller buffer',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        const value = Buffer.from('original bytes');
        await spool.store(id, value);
        value.fill(0x2a);
        expectBytes(
          await spool.load(id),
          Buffer.from('original bytes'),
          'after the caller changed its buffer',
        );
      },
    },
    {
      name: 'load returns the caller own buffer',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        await spool.store(id, Buffer.from('original bytes'));
        const first = await spool.load(id);
        const second = await spool.load(id);
        expect(second, 'two loads return the same buffer object').not.toBe(
          first,
        );
        first.fill(0x2a);
        expectBytes(
          second,
          Buffer.from('original bytes'),
          'second load after the first was changed',
        );
        expectBytes(
          await spool.load(id),
          Buffer.from('original bytes'),
          'third load after the first was changed',
        );
      },
    },
  ],
};
