import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { describeArgument } from '../src/arguments.js';
import {
  SpoolErrorCode,
  SpoolId,
  validateEnumerateOptions,
  validateId,
  validateStoreArguments,
} from '../src/index.js';

const invalidArgument = expect.objectContaining({
  code: SpoolErrorCode.InvalidArgument,
  spool: 'data',
});

describe('argument validation', () => {
  const id = SpoolId.generate();

  it('accepts a well-formed store', () => {
    expect(() =>
      validateStoreArguments(id, Buffer.from('x'), { sync: true }, 'data'),
    ).not.toThrow();
    expect(() =>
      validateStoreArguments(id, new Uint8Array(0), { deadline: 5 }, 'data'),
    ).not.toThrow();
  });

  it('rejects storing an untimed id', () => {
    const untimed = SpoolId.parse('0f8fad5bd9cb469fa16570867728950e');
    const store = () =>
      validateStoreArguments(untimed, Buffer.from('x'), {}, 'data');
    expect(store).toThrow(
      expect.objectContaining({
        code: SpoolErrorCode.InvalidId,
        spool: 'data',
        id: untimed.toString(),
      }),
    );
    expect(store).toThrow(/version 4 UUID without a creation time/);
    expect(store).toThrow(/SpoolId\.generate\(\)/);
  });

  it('accepts storing version 6 and 7 ids', () => {
    for (const text of [
      '1ec9414c232a6b00b3c89f6bdeced846',
      '017f22e279b07cc398c4dc0c0c07398f',
    ]) {
      const timed = SpoolId.parse(text);
      expect(() =>
        validateStoreArguments(timed, Buffer.from('x'), {}, 'data'),
      ).not.toThrow();
    }
  });

  it('rejects an id that is not a SpoolId', () => {
    expect(() => validateId(id.toString(), 'load', 'data')).toThrow(
      invalidArgument,
    );
  });

  it('names a SpoolId from another copy of core', () => {
    // The CommonJS build is a second copy beside these sources; it needs `turbo run build` first.
    const other = createRequire(import.meta.url)('../dist/index.cjs') as {
      SpoolId: typeof SpoolId;
    };
    const foreign = other.SpoolId.generate();
    const store = () =>
      validateStoreArguments(foreign, Buffer.from('x'), {}, 'data');
    expect(store).toThrow(invalidArgument);
    expect(store).toThrow(
      `store got SpoolId ${foreign.toString()} from a second copy of @spoolkit/core`,
    );
    expect(store).toThrow('`npm ls @spoolkit/core`');
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'hello'],
    ['an ArrayBuffer', new ArrayBuffer(8)],
  ])('rejects %s as data', (_label, data) => {
    expect(() => validateStoreArguments(id, data, {}, 'data')).toThrow(
      invalidArgument,
    );
  });

  it('rejects a deadline that is not a time', () => {
    expect(() =>
      validateStoreArguments(
        id,
        Buffer.from('x'),
        { deadline: 'soon' as unknown as number },
        'data',
      ),
    ).toThrow(invalidArgument);
    expect(() =>
      validateStoreArguments(
        id,
        Buffer.from('x'),
        { deadline: new Date(Number.NaN) },
        'data',
      ),
    ).toThrow(invalidArgument);
  });

  it('rejects a non-boolean sync', () => {
    expect(() =>
      validateStoreArguments(
        id,
        Buffer.from('x'),
        { sync: 'yes' as unknown as boolean },
        'data',
      ),
    ).toThrow(invalidArgument);
  });

  it('rejects bad enumerate options', () => {
    expect(() =>
      validateEnumerateOptions({ createdBefore: new Date('x') }, 'data'),
    ).toThrow(invalidArgument);
    expect(() =>
      validateEnumerateOptions(
        { signal: {} as unknown as AbortSignal },
        'data',
      ),
    ).toThrow(invalidArgument);
  });

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    ['text', 'a string'],
    [7, 'a number'],
    [[1], 'an array'],
    [{ a: 1 }, 'an object'],
    [Object.create(null), 'an object'],
    [new Date(0), 'a Date'],
    [new ArrayBuffer(1), 'an ArrayBuffer'],
    [new Uint16Array(1), 'a Uint16Array'],
  ])('names the type of %o for JS callers', (value, expected) => {
    expect(describeArgument(value)).toBe(expected);
  });

  it('rejects a view of a detached buffer and accepts a real empty one', () => {
    const value = new Uint8Array(8);
    structuredClone(value.buffer, { transfer: [value.buffer] });
    expect(() => validateStoreArguments(id, value, {}, 'data')).toThrow(
      /whose ArrayBuffer was transferred, detached or shrunk so that the view no longer fits/,
    );
    expect(() =>
      validateStoreArguments(
        id,
        new Uint8Array(new ArrayBuffer(0)),
        {},
        'data',
      ),
    ).not.toThrow();
  });

  it('rejects a view past the end of a shrunk buffer', () => {
    // Resizable buffers are in Node 20, but not yet in this lib's types.
    const Resizable = ArrayBuffer as unknown as new (
      length: number,
      options: { maxByteLength: number },
    ) => ArrayBuffer & { resize(length: number): void };
    const resizable = new Resizable(8, { maxByteLength: 16 });
    const view = new Uint8Array(resizable, 4, 4);
    resizable.resize(2);
    expect(() => validateStoreArguments(id, view, {}, 'data')).toThrow(
      /shrunk so that the view no longer fits/,
    );
    expect(() =>
      validateStoreArguments(id, Buffer.alloc(0), {}, 'data'),
    ).not.toThrow();
  });

  it('names a JS type in store errors', () => {
    expect(() =>
      validateStoreArguments(id, 'body' as unknown as Uint8Array, {}, 'data'),
    ).toThrow(/needs the data as a Uint8Array or Buffer, got a string$/);
  });

  it('rejects a misspelt store option', () => {
    const store = () =>
      validateStoreArguments(
        id,
        Buffer.from('x'),
        { snyc: true } as unknown as { sync: boolean },
        'data',
      );
    expect(store).toThrow(
      expect.objectContaining({
        code: SpoolErrorCode.InvalidArgument,
        spool: 'data',
        id: id.toString(),
      }),
    );
    expect(store).toThrow(/unknown store option "snyc"/);
  });

  it('rejects a misspelt enumerate option', () => {
    const enumerate = () =>
      validateEnumerateOptions(
        { createdBfore: new Date() } as unknown as { createdBefore: Date },
        'data',
      );
    expect(enumerate).toThrow(
      expect.objectContaining({
        code: SpoolErrorCode.InvalidArgument,
        spool: 'data',
      }),
    );
    expect(enumerate).toThrow(
      /unknown enumerate option "createdBfore"; valid options are createdBefore, signal/,
    );
  });
});
