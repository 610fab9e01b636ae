import { expect } from 'vitest';
import { SpoolId } from '../spool-id.js';
import {
  type ConformanceFamily,
  collect,
  expectBytes,
  FAR_FUTURE,
} from './harness.js';

/** Store, load and overwrite, and ids that come back from `enumerate` unchanged. */
export const roundTrip: ConformanceFamily = {
  name: 'round trip',
  cases: [
    {
      name: 'load returns stored bytes',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        const value = Buffer.from('Subject: hello\r\n\r\nbody\r\n');
        await spool.store(id, value);
        expectBytes(await spool.load(id), value, `load(${id})`);
      },
    },
    {
      name: 'store accepts sync and deadline',
      async run({ open }) {
        const spool = await open();
        const synced = SpoolId.generate();
        const timed = SpoolId.generate();
        await spool.store(synced, Buffer.from('synced'), { sync: true });
        await spool.store(timed, Buffer.from('timed'), {
          deadline: new Date(Date.now() + 60_000),
        });
        await spool.store(timed, Buffer.from('timed again'), {
          sync: false,
          deadline: Date.now() + 60_000,
        });
        expectBytes(
          await spool.load(synced),
          Buffer.from('synced'),
          'value stored with sync',
        );
        expectBytes(
          await spool.load(timed),
          Buffer.from('timed again'),
          'value stored with a deadline',
        );
      },
    },
    {
      name: 'store overwrites',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        await spool.store(id, Buffer.from('first, and longer than the second'));
        await spool.store(id, Buffer.from('second'));
        expectBytes(await spool.load(id), Buffer.from('second'), 'overwritten');
        const { items } = await collect(spool, { createdBefore: FAR_FUTURE });
        expect([...items.keys()], 'one entry after overwrite').toEqual([
          id.toString(),
        ]);
      },
    },
    {
      name: 'ids round trip',
      async run({ open }) {
        const spool = await open();
        const ids = [
          SpoolId.parse('D7EF132B-5D77-11EE-A8C8-000C29C33806'),
          ...Array.from({ length: 20 }, () => SpoolId.generate()),
        ];
        for (const id of ids) {
          await spool.store(id, Buffer.from(id.toString()));
        }
        for (const id of ids) {
          const reparsed = SpoolId.parse(id.toString());
          expectBytes(
            await spool.load(reparsed),
            Buffer.from(id.toString()),
            `load(${id})`,
          );
        }

        const seen = new Set<string>();
        for await (const entry of spool.enumerate({
          createdBefore: FAR_FUTURE,
        })) {
          expect(entry.type, `entry ${entry.id} type`).toBe('item');
          if (entry.type !== 'item') continue;
          const text = entry.id.toString();
          expect(entry.id.toBytes().toString('hex'), `bytes of ${text}`).toBe(
            text,
          );
          expectBytes(entry.data, Buffer.from(text), `data of ${text}`);
          seen.add(text);
        }
        expect([...seen].sort()).toEqual(ids.map(String).sort());
      },
    },
  ],
};
