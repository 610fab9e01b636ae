/**
 * Builds a multipart message with a base64 attachment of pseudo-random
 * bytes, the same bytes for the same size on every run, so that the
 * repository holds no multi-megabyte file.
 */

const LINE_LENGTH = 76;

/**
 * The largest attachment in MiB. The message is built as one string, its
 * base64 form is 4/3 of the attachment, and V8 limits a string to about
 * 512 MiB (2^29 - 24 UTF-16 code units), so 256 MiB keeps clear of it.
 */
export const MAX_ATTACHMENT_MIB = 256;
const BOUNDARY = '=_spoolkit_large_4c1d';

/**
 * Returns a message of about `attachmentBytes * 4 / 3` bytes with CRLF line
 * endings. The attachment comes from a fixed-seed xorshift32 generator.
 */
export function generateLargeMessage(attachmentBytes: number): Buffer {
  const attachment = pseudoRandomBytes(attachmentBytes, 0x5eed_c0de);
  const head = [
    'Return-Path: <exports@example.com>',
    'From: Data Export <exports@example.com>',
    'To: warehouse@example.net',
    'Subject: Nightly export (generated test message)',
    'Date: Thu, 03 Dec 2026 02:00:00 +0000',
    'Message-ID: <nightly-export-20261203@example.com>',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
    '',
    `--${BOUNDARY}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `The nightly export is attached: ${attachmentBytes} bytes.`,
    '',
    `--${BOUNDARY}`,
    'Content-Type: application/octet-stream; name="export.bin"',
    'Content-Disposition: attachment; filename="export.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');

  const encoded = attachment.toString('base64');
  const lines: string[] = [];
  for (let offset = 0; offset < encoded.length; offset += LINE_LENGTH) {
    lines.push(encoded.slice(offset, offset + LINE_LENGTH));
  }
  const tail = `\r\n--${BOUNDARY}--\r\n`;
  return Buffer.from(head + lines.join('\r\n') + tail, 'latin1');
}

function pseudoRandomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
