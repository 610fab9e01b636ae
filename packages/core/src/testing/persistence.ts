import { expect } from 'vitest';
import { SpoolErrorCode } from '../errors.js';
import { SpoolId } from '../spool-id.js';
import {
  type ConformanceFamily,
  collect,
  expectBytes,
  expectRejectsWithCode,
  FAR_FUTURE,
} from './harness.js';

/** Data outlives `close()`: a new open of the same folder finds it. */
export const persistence: ConformanceFamily = {
  name: 'persistence',
  cases: [
    {
      name: 'reopen keeps data',
      async run({ open }) {
        const first = await open();
        const kept = Array.from({ length: 10 }, () => SpoolId.generate());
        const removed = SpoolId.generate();
        for (const id of kept) {
          await first.store(id, Buffer.from(`first ${id}`));
        }
        await first.store(kept[0] as SpoolId, Buffer.from('overwritten'));
        await first.store(removed, Buffer.from('removed'));
        await first.remove(removed);
        await first.close();

        const second = await open();
        expectBytes(
          await second.load(kept[0] as SpoolId),
          Buffer.from('overwritten'),
          'overwritten entry after reopen',
        );
        for (const id of kept.slice(1)) {
          expectBytes(
            await second.load(id),
            Buffer.from(`first ${id}`),
            `load(${id}) after reopen`,
          );
        }
        await expectRejectsWithCode(
          second.load(removed),
          SpoolErrorCode.NotFound,
          'removed entry after reopen',
        );
        const { items } = await collect(second, { createdBefore: FAR_FUTURE });
        expect([...items.keys()].sort(), 'entries after reopen').toEqual(
          kept.map(String).sort(),
        );
      },
    },
  ],
};
