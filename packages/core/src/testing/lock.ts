import { SpoolErrorCode } from '../errors.js';
import {
  type ConformanceFamily,
  expectRejectsWithCode,
  settleWithin,
} from './harness.js';

/** The folder lock, for backends that take one. */
export const lock: ConformanceFamily = {
  name: 'lock',
  cases: [
    {
      name: 'second open rejects with SPOOL_LOCKED',
      requires: 'locks',
      async run({ open, options }) {
        const first = await open();
        await expectRejectsWithCode(
          () => open(),
          SpoolErrorCode.Locked,
          'a second open of a held folder',
        );
        await settleWithin(first.close(), options.settleTimeoutMs, 'close()');
        const second = await open();
        await second.close();
      },
    },
  ],
};
