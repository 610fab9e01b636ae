import { expect } from 'vitest';
import { SpoolErrorCode } from '../errors.js';
import type { Spool } from '../spool.js';
import { SpoolId } from '../spool-id.js';
import {
  type ConformanceFamily,
  collect,
  expectBytes,
  expectRejectsWithCode,
  FAR_FUTURE,
  settleWithin,
  waitPast,
} from './harness.js';

/** Stores `count` entries whose data is their id text; returns the ids. */
async function storeMany(spool: Spool, count: number): Promise<SpoolId[]> {
  const ids = Array.from({ length: count }, () => SpoolId.generate());
  for (const id of ids) {
    await spool.store(id, Buffer.from(id.toString()));
  }
  return ids;
}

/** Ids created strictly after `ms` (milliseconds since the epoch). */
async function idCreatedAfter(ms: number): Promise<SpoolId> {
  await waitPast(ms);
  return SpoolId.generate();
}

/** `enumerate`: the cut-off, removes, and ending a walk early. */
export const enumerate: ConformanceFamily = {
  name: 'enumerate',
  cases: [
    {
      name: 'yields every entry with its data',
      async run({ open }) {
        const spool = await open();
        const ids = await storeMany(spool, 100);
        const { items, corrupt } = await collect(spool, {
          createdBefore: FAR_FUTURE,
        });
        expect(corrupt, 'corrupt entries').toEqual([]);
        expect([...items.keys()].sort()).toEqual(ids.map(String).sort());
        for (const id of ids) {
          expectBytes(
            items.get(id.toString()) ?? Buffer.alloc(0),
            Buffer.from(id.toString()),
            `data of ${id}`,
          );
        }
      },
    },
    {
      name: 'createdBefore excludes later ids',
      async run({ open }) {
        const spool = await open();
        const early = SpoolId.generate();
        const cutOff = new Date(Math.floor(early.createdMs ?? 0) + 1);
        const late = await idCreatedAfter(cutOff.getTime());
        await spool.store(early, Buffer.from('early'));
        await spool.store(late, Buffer.from('late'));
        const old = SpoolId.parse('d7ef132b5d7711eea8c8000c29c33806');
        await spool.store(old, Buffer.from('from 2023'));

        const { items } = await collect(spool, { createdBefore: cutOff });
        expect(
          [...items.keys()].sort(),
          `ids created before ${cutOff.toISOString()}`,
        ).toEqual([early.toString(), old.toString()].sort());
      },
    },
    {
      name: 'createdBefore defaults to open time',
      async run({ open }) {
        const before = SpoolId.generate();
        await waitPast(Math.ceil(before.createdMs ?? 0));
        const spool = await open();
        const after = await idCreatedAfter(Date.now());
        await spool.store(before, Buffer.from('before open'));
        await spool.store(after, Buffer.from('after open'));

        const { items } = await collect(spool);
        expect(
          [...items.keys()],
          'ids created before the spool was opened',
        ).toEqual([before.toString()]);
      },
    },
    {
      name: 'skips removed entries',
      async run({ open }) {
        const spool = await open();
        const ids = await storeMany(spool, 10);
        for (const id of ids.slice(0, 5)) {
          await spool.remove(id);
        }
        const { items } = await collect(spool, { createdBefore: FAR_FUTURE });
        expect([...items.keys()].sort()).toEqual(
          ids.slice(5).map(String).sort(),
        );

        for (const id of ids.slice(5)) {
          await spool.remove(id);
        }
        await spool.cleanup();
        expect(
          (await collect(spool, { createdBefore: FAR_FUTURE })).items.size,
          'entries after removing all',
        ).toBe(0);
        const again = SpoolId.generate();
        await spool.store(again, Buffer.from('after cleanup'));
        expectBytes(
          await spool.load(again),
          Buffer.from('after cleanup'),
          'store after cleanup',
        );
      },
    },
    {
      name: 'writes during the walk',
      async run({ open }) {
        const spool = await open();
        const ids = await storeMany(spool, 20);
        const added = SpoolId.parse('d7ef132b5d7711eea8c8000c29c33806');
        let first = true;
        for await (const entry of spool.enumerate({
          createdBefore: FAR_FUTURE,
        })) {
          if (first) {
            // Remove every entry, including ones the walk has not reached yet.
            first = false;
            for (const id of ids) {
              await spool.remove(id);
            }
            await spool.store(added, Buffer.from('added during the walk'));
          }
          if (
            entry.type === 'item' &&
            entry.id.toString() !== added.toString()
          ) {
            expectBytes(
              entry.data,
              Buffer.from(entry.id.toString()),
              `data of ${entry.id}`,
            );
          }
        }
        for (const id of ids) {
          await expectRejectsWithCode(
            spool.load(id),
            SpoolErrorCode.NotFound,
            `load(${id}) after the walk`,
          );
        }
        const { items } = await collect(spool, { createdBefore: FAR_FUTURE });
        expect([...items.keys()], 'entries after the walk').toEqual([
          added.toString(),
        ]);
      },
    },
    {
      name: 'untimed id is not an item',
      async run({ open }) {
        const spool = await open();
        const untimed = SpoolId.parse('0f8fad5bd9cb469fa16570867728950e');
        try {
          await spool.store(untimed, Buffer.from('version 4 id'));
        } catch (error) {
          // Rejecting an id without a creation time at store is allowed too.
          expect(
            (error as { code?: unknown }).code,
            'store of a version 4 id',
          ).toBe(SpoolErrorCode.InvalidId);
          return;
        }
        const { items, corrupt } = await collect(spool, {
          createdBefore: FAR_FUTURE,
        });
        expect(
          items.has(untimed.toString()),
          'version 4 id yielded as an item',
        ).toBe(false);
        expect(corrupt.length, 'corrupt entries').toBe(1);
        const entry = corrupt[0];
        expect(entry?.type === 'corrupt' ? entry.error.code : undefined).toBe(
          SpoolErrorCode.Corrupt,
        );
        expect(entry?.id?.toString()).toBe(untimed.toString());
      },
    },
    {
      name: 'early break releases the walk',
      async run({ open, options }) {
        const spool = await open();
        await storeMany(spool, 10);
        let seen = 0;
        for await (const _entry of spool.enumerate({
          createdBefore: FAR_FUTURE,
        })) {
          seen += 1;
          break;
        }
        expect(seen).toBe(1);
        const { items } = await collect(spool, { createdBefore: FAR_FUTURE });
        expect(items.size, 'a later walk sees every entry').toBe(10);
        await settleWithin(
          spool.close(),
          options.settleTimeoutMs,
          'close() after a walk ended by break',
        );
      },
    },
    {
      name: 'abort signal ends the walk',
      async run({ open, options }) {
        const spool = await open();
        await storeMany(spool, 10);
        const controller = new AbortController();
        let beforeAbort = 0;
        let afterAbort = 0;
        const walk = async () => {
          for await (const _entry of spool.enumerate({
            createdBefore: FAR_FUTURE,
            signal: controller.signal,
          })) {
            if (controller.signal.aborted) {
              afterAbort += 1;
            } else {
              beforeAbort += 1;
              controller.abort();
            }
          }
        };
        // Ending the walk by returning or by throwing both honour the signal.
        await settleWithin(
          walk(),
          options.settleTimeoutMs,
          'a walk after abort',
        ).catch((error: unknown) => {
          if ((error as Error).message.includes('did not settle')) throw error;
        });
        expect(beforeAbort).toBe(1);
        expect(afterAbort, 'entries yielded after abort').toBe(0);

        let preAborted = 0;
        const aborted = async () => {
          for await (const _entry of spool.enumerate({
            createdBefore: FAR_FUTURE,
            signal: AbortSignal.abort(),
          })) {
            preAborted += 1;
          }
        };
        await settleWithin(
          aborted(),
          options.settleTimeoutMs,
          'a walk with an aborted signal',
        ).catch((error: unknown) => {
          if ((error as Error).message.includes('did not settle')) throw error;
        });
        expect(
          preAborted,
          'entries yielded with an already aborted signal',
        ).toBe(0);
        await settleWithin(
          spool.close(),
          options.settleTimeoutMs,
          'close() after an aborted walk',
        );
      },
    },
  ],
};
