import { expect } from 'vitest';
import { SpoolErrorCode } from '../errors.js';
import { SpoolId } from '../spool-id.js';
import {
  type ConformanceFamily,
  expectBytes,
  expectRejectsWithCode,
  settleWithin,
} from './harness.js';

/** `close()`: waiting for work in flight and rejecting everything after. */
export const close: ConformanceFamily = {
  name: 'close',
  cases: [
    {
      name: 'close waits for work in flight',
      async run({ open, options }) {
        const spool = await open();
        const ids = Array.from({ length: 20 }, () => SpoolId.generate());
        const events: string[] = [];
        const stores = ids.map((id, index) =>
          spool.store(id, Buffer.from(id.toString())).then(() => {
            events.push(`store ${index}`);
          }),
        );
        const closed = spool.close().then(() => {
          events.push('closed');
        });
        const results = await Promise.allSettled(stores);
        expect(
          results.map((result) => result.status),
          'stores begun before close()',
        ).toEqual(ids.map(() => 'fulfilled'));
        await settleWithin(closed, options.settleTimeoutMs, 'close()');
        expect(events.at(-1), 'close() resolves after the stores').toBe(
          'closed',
        );

        const reopened = await open();
        for (const id of ids) {
          expectBytes(
            await reopened.load(id),
            Buffer.from(id.toString()),
            `load(${id}) after reopen`,
          );
        }
      },
    },
    {
      name: 'every method rejects after close',
      async run({ open, options }) {
        const spool = await open();
        const id = SpoolId.generate();
        await spool.store(id, Buffer.from('stored before close'));
        // `closed` is optional in the contract, so only a spool that has it is checked.
        const hasFlag = spool.closed !== undefined;
        if (hasFlag) {
          expect(spool.closed, 'closed before close()').toBe(false);
        }
        const closing = spool.close();
        if (hasFlag) {
          expect(spool.closed, 'closed once close() has begun').toBe(true);
        }
        await settleWithin(closing, options.settleTimeoutMs, 'close()');

        const closed = SpoolErrorCode.Closed;
        await expectRejectsWithCode(
          spool.store(id, Buffer.from('x')),
          closed,
          'store after close',
        );
        await expectRejectsWithCode(spool.load(id), closed, 'load after close');
        await expectRejectsWithCode(
          spool.remove(id),
          closed,
          'remove after close',
        );
        await expectRejectsWithCode(
          async () => {
            for await (const _entry of spool.enumerate()) {
              // Any entry would be a failure; the rejection is the expected end.
            }
          },
          closed,
          'enumerate after close',
        );
        await expectRejectsWithCode(
          spool.cleanup(),
          closed,
          'cleanup after close',
        );
        await expectRejectsWithCode(
          spool.compact(),
          closed,
          'compact after close',
        );
        await expectRejectsWithCode(
          spool.adviseLowMemory(),
          closed,
          'adviseLowMemory after close',
        );
        await settleWithin(
          spool.close(),
          options.settleTimeoutMs,
          'a second close()',
        );
      },
    },
  ],
};
