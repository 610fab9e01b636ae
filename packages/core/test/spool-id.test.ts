import { describe, expect, it } from 'vitest';
import { SpoolError, SpoolErrorCode, SpoolId } from '../src/index.js';

const KUMO_EXAMPLE = 'd7ef132b5d7711eea8c8000c29c33806';

function invalidIdCode(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    return error instanceof SpoolError ? error.code : 'not a SpoolError';
  }
  return undefined;
}

describe('SpoolId.generate', () => {
  it('is unique in a tight loop', () => {
    const count = 120_000;
    const seen = new Set<string>();
    for (let i = 0; i < count; i += 1) {
      seen.add(SpoolId.generate().toString());
    }
    expect(seen.size).toBe(count);
  });

  it('makes version 1 ids in simple form', () => {
    const id = SpoolId.generate();
    expect(id.version).toBe(1);
    expect(id.isTimeBased).toBe(true);
    expect(id.toString()).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify({ id })).toBe(`{"id":"${id.toString()}"}`);
  });

  it('created matches the clock', () => {
    const before = Date.now();
    const id = SpoolId.generate();
    const after = Date.now();
    const createdMs = id.createdMs as number;
    expect(createdMs).toBeGreaterThanOrEqual(before);
    expect(createdMs).toBeLessThan(after + 1);
    expect(id.created?.getTime()).toBe(Math.floor(createdMs));
  });
});

describe('SpoolId.parse', () => {
  it('accepts simple form in any case', () => {
    expect(SpoolId.parse(KUMO_EXAMPLE).toString()).toBe(KUMO_EXAMPLE);
    expect(SpoolId.parse(KUMO_EXAMPLE.toUpperCase()).toString()).toBe(
      KUMO_EXAMPLE,
    );
  });

  it('accepts hyphenated form in any case', () => {
    const hyphenated = 'd7ef132b-5d77-11ee-a8c8-000c29c33806';
    expect(SpoolId.parse(hyphenated).toString()).toBe(KUMO_EXAMPLE);
    expect(SpoolId.parse(hyphenated.toUpperCase()).toString()).toBe(
      KUMO_EXAMPLE,
    );
    expect(
      SpoolId.tryParse('D7EF132B-5d77-11ee-A8C8-000c29c33806')?.toString(),
    ).toBe(KUMO_EXAMPLE);
  });

  it.each([
    ['braced', '{d7ef132b-5d77-11ee-a8c8-000c29c33806}'],
    ['braced in upper case', '{D7EF132B-5D77-11EE-A8C8-000C29C33806}'],
    ['urn', 'urn:uuid:d7ef132b-5d77-11ee-a8c8-000c29c33806'],
  ])('accepts the %s form, as KumoMTA does', (_case, text) => {
    expect(SpoolId.parse(text).toString()).toBe(KUMO_EXAMPLE);
    expect(SpoolId.tryParse(text)?.toString()).toBe(KUMO_EXAMPLE);
  });

  it.each([
    ['braced simple form', `{${KUMO_EXAMPLE}}`],
    ['upper-case urn prefix', 'URN:UUID:d7ef132b-5d77-11ee-a8c8-000c29c33806'],
    ['urn with the simple form', `urn:uuid:${KUMO_EXAMPLE}`],
    ['one brace', '{d7ef132b-5d77-11ee-a8c8-000c29c33806'],
    ['short', 'd7ef132b5d7711eea8c8000c29c3380'],
    ['long', `${KUMO_EXAMPLE}0`],
    ['non-hex', 'g7ef132b5d7711eea8c8000c29c33806'],
    ['misplaced hyphens', 'd7ef132b5-d77-11ee-a8c8-000c29c33806'],
    ['padded', ` ${KUMO_EXAMPLE}`],
    ['empty', ''],
    ['garbage', 'not an id'],
  ])('rejects %s text', (_case, text) => {
    expect(invalidIdCode(() => SpoolId.parse(text))).toBe(
      SpoolErrorCode.InvalidId,
    );
    expect(SpoolId.tryParse(text)).toBeUndefined();
  });

  it('rejects non-string input', () => {
    expect(invalidIdCode(() => SpoolId.parse(42 as unknown as string))).toBe(
      SpoolErrorCode.InvalidId,
    );
    expect(SpoolId.tryParse(undefined as unknown as string)).toBeUndefined();
  });

  it('error message shows the text', () => {
    expect(() => SpoolId.parse('nope')).toThrow(/invalid spool id "nope"/);
  });
});

describe('SpoolId bytes', () => {
  it('are in RFC 4122 order', () => {
    const bytes = SpoolId.parse(KUMO_EXAMPLE).toBytes();
    expect(bytes.toString('hex')).toBe(KUMO_EXAMPLE);
    expect(bytes[0]).toBe(0xd7);
    expect(bytes[6]).toBe(0x11);
  });

  it('round trip', () => {
    const id = SpoolId.generate();
    const copy = SpoolId.fromBytes(id.toBytes());
    expect(copy.equals(id)).toBe(true);
    expect(copy.toString()).toBe(id.toString());
  });

  it('are copied in and out', () => {
    const source = Buffer.from(KUMO_EXAMPLE, 'hex');
    const id = SpoolId.fromBytes(source);
    source.fill(0);
    const out = id.toBytes();
    out.fill(0);
    expect(id.toString()).toBe(KUMO_EXAMPLE);
  });

  it.each([
    ['15 bytes', new Uint8Array(15)],
    ['17 bytes', new Uint8Array(17)],
    ['a string', KUMO_EXAMPLE],
  ])('rejects %s', (_case, bytes) => {
    expect(
      invalidIdCode(() => SpoolId.fromBytes(bytes as unknown as Uint8Array)),
    ).toBe(SpoolErrorCode.InvalidId);
  });
});

describe('SpoolId KumoMTA example', () => {
  const id = SpoolId.parse(KUMO_EXAMPLE);

  it('has the documented creation time', () => {
    expect(id.created?.toISOString()).toBe('2023-09-27T20:53:00.032Z');
  });

  it('has the documented path', () => {
    expect(id.relativePath()).toBe('d7/ef/13/2b/5d7711eea8c8000c29c33806');
    expect(id.relativePath('\\')).toBe(
      'd7\\ef\\13\\2b\\5d7711eea8c8000c29c33806',
    );
  });
});

describe('SpoolId without a time', () => {
  const v4 = SpoolId.parse('0f8fad5bd9cb469fa16570867728950e');

  it('gives created undefined', () => {
    expect(v4.version).toBe(4);
    expect(v4.isTimeBased).toBe(false);
    expect(v4.created).toBeUndefined();
    expect(v4.createdMs).toBeUndefined();
  });

  it('never throws on time or path', () => {
    for (let version = 0; version < 16; version += 1) {
      const bytes = Buffer.from(KUMO_EXAMPLE, 'hex');
      bytes[6] = (version << 4) | ((bytes[6] as number) & 0x0f);
      const id = SpoolId.fromBytes(bytes);
      expect(() => id.created).not.toThrow();
      expect(SpoolId.fromRelativePath(id.relativePath()).equals(id)).toBe(true);
    }
  });
});

describe('SpoolId relative path', () => {
  it('round trips', () => {
    for (let i = 0; i < 100; i += 1) {
      const id = SpoolId.generate();
      expect(SpoolId.fromRelativePath(id.relativePath()).equals(id)).toBe(true);
    }
  });

  it('reads the last five parts', () => {
    const id = SpoolId.parse(KUMO_EXAMPLE);
    const nested = `/var/spool/kumomta/data/${id.relativePath()}`;
    expect(SpoolId.fromRelativePath(nested).equals(id)).toBe(true);
    const windows = `C:\\spool\\data\\${id.relativePath('\\')}`;
    expect(SpoolId.fromRelativePath(windows).equals(id)).toBe(true);
  });

  it.each([
    ['too few parts', 'd7/ef/13/5d7711eea8c8000c29c33806'],
    ['uppercase', 'D7/ef/13/2b/5d7711eea8c8000c29c33806'],
    ['short leaf', 'd7/ef/13/2b/5d7711eea8c8000c29c3380'],
    ['three-digit dir', 'd7/ef/13/2b0/5d7711eea8c8000c29c33806'],
    ['temp file', 'new/.tmpAbCdEf'],
  ])('rejects %s', (_case, text) => {
    expect(SpoolId.tryFromRelativePath(text)).toBeUndefined();
    expect(invalidIdCode(() => SpoolId.fromRelativePath(text))).toBe(
      SpoolErrorCode.InvalidId,
    );
  });
});

describe('SpoolId.nowTicks', () => {
  it('falls strictly between ids generated around it', () => {
    let outOfOrder = 0;
    for (let round = 0; round < 20_000; round += 1) {
      const before = SpoolId.generate().createdTicks as bigint;
      const now = SpoolId.nowTicks();
      const after = SpoolId.generate().createdTicks as bigint;
      if (!(before < now && now < after)) {
        outOfOrder += 1;
      }
    }
    expect(outOfOrder).toBe(0);
  });

  it('converts milliseconds to ticks', () => {
    const id = SpoolId.parse(KUMO_EXAMPLE);
    const ms = Math.floor(id.createdMs as number);
    expect(SpoolId.ticksAt(ms)).toBeLessThanOrEqual(id.createdTicks as bigint);
    expect(SpoolId.ticksAt(ms + 1)).toBeGreaterThan(id.createdTicks as bigint);
  });
});
