import { SpoolErrorCode } from '../errors.js';
import { SpoolId } from '../spool-id.js';
import { type ConformanceFamily, expectRejectsWithCode } from './harness.js';

/** Loads and removes of ids that have no entry. */
export const missing: ConformanceFamily = {
  name: 'missing',
  cases: [
    {
      name: 'load rejects with SPOOL_NOT_FOUND',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        const error = await expectRejectsWithCode(
          spool.load(id),
          SpoolErrorCode.NotFound,
          `load of missing ${id}`,
        );
        if (!error.message.includes(id.toString())) {
          throw new Error(
            `the SPOOL_NOT_FOUND message does not name ${id}: ${error.message}`,
          );
        }
      },
    },
    {
      name: 'load after remove rejects',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        await spool.store(id, Buffer.from('gone soon'));
        await spool.remove(id);
        await expectRejectsWithCode(
          spool.load(id),
          SpoolErrorCode.NotFound,
          'load after remove',
        );
      },
    },
    {
      name: 'remove is idempotent',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        await spool.remove(id);
        await spool.store(id, Buffer.from('x'));
        await spool.remove(id);
        await spool.remove(id);
      },
    },
  ],
};
