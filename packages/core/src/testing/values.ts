import { randomBytes } from 'node:crypto';
import { SpoolErrorCode } from '../errors.js';
import { SpoolId } from '../spool-id.js';
import {
  type ConformanceFamily,
  collect,
  expectBytes,
  expectRejectsWithCode,
  FAR_FUTURE,
} from './harness.js';

/** Builds every byte value 0 to 255, four times, then bytes that are not valid UTF-8. */
function binaryValue(): Buffer {
  const all = Buffer.alloc(1024);
  for (let i = 0; i < all.length; i += 1) {
    all[i] = i % 256;
  }
  return Buffer.concat([
    all,
    Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x00, 0x0d, 0x0a]),
  ]);
}

/** Values that are easy to get wrong: empty, binary, large. */
export const values: ConformanceFamily = {
  name: 'values',
  cases: [
    {
      name: 'empty value',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        await spool.store(id, new Uint8Array(0));
        expectBytes(await spool.load(id), Buffer.alloc(0), 'empty value');
        const { items } = await collect(spool, { createdBefore: FAR_FUTURE });
        expectBytes(
          items.get(id.toString()) ?? Buffer.from('absent'),
          Buffer.alloc(0),
          'enumerated empty value',
        );
      },
    },
    {
      name: 'binary value',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        await spool.store(id, binaryValue());
        expectBytes(await spool.load(id), binaryValue(), 'binary value');
      },
    },
    {
      name: 'view stores only its bytes',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        const whole = Buffer.from('prefix|the value|suffix');
        await spool.store(
          id,
          new Uint8Array(whole.buffer, whole.byteOffset + 7, 9),
        );
        expectBytes(
          await spool.load(id),
          Buffer.from('the value'),
          'value from a view',
        );
      },
    },
    {
      name: 'detached value is refused',
      async run({ open }) {
        const spool = await open();
        const id = SpoolId.generate();
        const value = new Uint8Array(Buffer.from('moved away'));
        // Transferring the buffer detaches it, and the view then reads as empty.
        structuredClone(value.buffer, { transfer: [value.buffer] });
        await expectRejectsWithCode(
          spool.store(id, value),
          SpoolErrorCode.InvalidArgument,
          'store of a detached Uint8Array',
        );
        await expectRejectsWithCode(
          spool.load(id),
          SpoolErrorCode.NotFound,
          'load after the refused store',
        );
      },
    },
    {
      name: 'multi-MB value',
      async run({ open, options }) {
        const spool = await open();
        const id = SpoolId.generate();
        const value = randomBytes(options.largeValueBytes);
        await spool.store(id, value);
        expectBytes(
          await spool.load(id),
          value,
          `${options.largeValueBytes}-byte value`,
        );
      },
    },
  ],
};
