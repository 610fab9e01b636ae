import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decodeMeta,
  encodeMeta,
  envelopeFor,
  SHA256_KEY,
  SOURCE_KEY,
} from '../src/envelope.js';
import { generateLargeMessage } from '../src/large-message.js';
import { type SourceMessage, sha256Hex } from '../src/messages.js';

const MESSAGES = fileURLToPath(new URL('../messages/', import.meta.url));

async function message(name: string): Promise<SourceMessage> {
  const bytes = await readFile(MESSAGES + name);
  return { name, bytes, sha256: sha256Hex(bytes) };
}

describe('envelopeFor', () => {
  it('one recipient is a string', async () => {
    const envelope = envelopeFor(await message('plain-text.eml'));

    expect(envelope.sender).toBe('alice@example.com');
    expect(envelope.recipient).toBe('bob@example.net');
  });

  it('several recipients are an array', async () => {
    const envelope = envelopeFor(await message('multipart-attachment.eml'));

    expect(envelope.recipient).toEqual([
      'ops@example.net',
      'night-shift@example.net',
      'archive@example.org',
    ]);
  });

  it('bounce has the null sender', async () => {
    const envelope = envelopeFor(await message('bounce.eml'));

    expect(envelope.sender).toBe('');
  });

  it('UTF-8 addresses survive', async () => {
    const envelope = envelopeFor(await message('utf8-headers.eml'));

    expect(envelope.sender).toBe('用户@例子.中国');
    expect(envelope.recipient).toEqual([
      '用户@例子.中国',
      'eleni@παράδειγμα.ελ',
    ]);
  });

  it('Postmaster is a recipient', () => {
    const cases: [string, string | string[]][] = [
      ['Postmaster', 'Postmaster'],
      ['postmaster', 'postmaster'],
      ['Mail Admin <Postmaster>', 'Postmaster'],
      ['Postmaster, bob@example.net', ['Postmaster', 'bob@example.net']],
    ];
    for (const [to, expected] of cases) {
      const bytes = Buffer.from(
        `From: alice@example.com\r\nTo: ${to}\r\n\r\nHello\r\n`,
      );
      const envelope = envelopeFor({
        name: 'postmaster.eml',
        bytes,
        sha256: sha256Hex(bytes),
      });
      expect(envelope.recipient, to).toEqual(expected);
    }
  });

  it('meta JSON keeps KumoMTA key order', async () => {
    const source = await message('encoded-words.eml');
    const json = encodeMeta(envelopeFor(source)).toString('utf8');

    expect(Object.keys(JSON.parse(json))).toEqual([
      'sender',
      'recipient',
      'meta',
      'schedule',
    ]);
    expect(json).toContain(`"${SOURCE_KEY}":"encoded-words.eml"`);
    expect(json).toContain(`"${SHA256_KEY}":"${source.sha256}"`);
    expect(json).not.toContain('\n');
  });
});

describe('decodeMeta', () => {
  it('round trip', async () => {
    const envelope = envelopeFor(await message('plain-text.eml'));

    expect(decodeMeta(encodeMeta(envelope))).toEqual(envelope);
  });

  it('rejects damaged entries', () => {
    const cases: [string, string][] = [
      ['', 'the meta entry is empty'],
      ['{"sender":', 'the meta entry is not valid JSON'],
      ['[1,2]', 'the meta entry is not a JSON object'],
      ['{"recipient":"a@b"}', 'the meta entry has no string "sender"'],
      ['{"sender":"","recipient":[1]}', 'the meta entry has no "recipient"'],
      [
        '{"sender":"","recipient":"a@b"}',
        'the meta entry has no "meta" object',
      ],
    ];
    for (const [text, message] of cases) {
      expect(() => decodeMeta(Buffer.from(text)), text).toThrow(message);
    }
  });
});

describe('generateLargeMessage', () => {
  it('same bytes every time', () => {
    const first = generateLargeMessage(3 * 1024 * 1024);
    const second = generateLargeMessage(3 * 1024 * 1024);

    expect(first.length).toBeGreaterThan(4 * 1024 * 1024);
    expect(sha256Hex(first)).toBe(sha256Hex(second));
    expect(first.subarray(0, 200).toString('latin1')).toContain(
      '\r\nTo: warehouse@example.net\r\n',
    );
  });
});
