import { expect } from 'vitest';
import { SpoolId } from '../spool-id.js';
import {
  type ConformanceFamily,
  collect,
  expectBytes,
  FAR_FUTURE,
} from './harness.js';

/** `cleanup`, `compact`, `adviseLowMemory` and `unhealthyReason`. */
export const upkeep: ConformanceFamily = {
  name: 'upkeep',
  cases: [
    {
      name: 'upkeep keeps data',
      async run({ open }) {
        const spool = await open();
        const ids = Array.from({ length: 10 }, () => SpoolId.generate());
        for (const id of ids) {
          await spool.store(id, Buffer.from(id.toString()));
        }
        for (const id of ids.slice(0, 5)) {
          await spool.remove(id);
        }

        await spool.cleanup();
        await spool.compact();
        expect(
          typeof (await spool.adviseLowMemory()),
          'adviseLowMemory() result',
        ).toBe('number');
        expect(['undefined', 'string'], 'unhealthyReason() type').toContain(
          typeof spool.unhealthyReason(),
        );

        for (const id of ids.slice(5)) {
          expectBytes(
            await spool.load(id),
            Buffer.from(id.toString()),
            `load(${id}) after upkeep`,
          );
        }
        const { items } = await collect(spool, { createdBefore: FAR_FUTURE });
        expect([...items.keys()].sort(), 'entries after upkeep').toEqual(
          ids.slice(5).map(String).sort(),
        );
      },
    },
  ],
};
