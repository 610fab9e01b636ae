import addresses from 'email-addresses';
import type { SourceMessage } from './messages.js';

/**
 * An envelope in KumoMTA's meta spool format. The keys are in KumoMTA's
 * order, and `recipient` is a plain string when there is exactly one.
 */
export interface KumoMetaData {
  /** The envelope sender, `""` for the null sender of a bounce. */
  sender: string;
  recipient: string | string[];
  /** Free-form message metadata; this app adds its `spoolkit_*` keys. */
  meta: Record<string, unknown>;
  schedule: null | Record<string, unknown>;
}

/** The `meta` keys this app writes to find the source again on verification. */
export const SOURCE_KEY = 'spoolkit_source';
export const SHA256_KEY = 'spoolkit_sha256';
/** The `meta` key that records the attachment size of the generated message. */
export const ATTACHMENT_BYTES_KEY = 'spoolkit_attachment_bytes';

/**
 * Builds the envelope of a message the way an MTA receiving it would have
 * recorded it: the sender from `Return-Path` (else `From`), the recipients
 * from `To`, `Cc` and `Bcc`. Throws an `Error` naming the message when it
 * has no sender or no recipient.
 */
export function envelopeFor(message: SourceMessage): KumoMetaData {
  const headers = parseHeaders(message.bytes);
  const sender = readSender(headers, message.name);
  const recipients = ['to', 'cc', 'bcc'].flatMap((name) =>
    (headers.get(name) ?? []).flatMap((value) => mailboxes(value)),
  );
  if (recipients.length === 0) {
    throw new Error(
      `${message.name} has no To, Cc or Bcc address, so it has no recipient; add a To header`,
    );
  }

  return {
    sender,
    recipient: recipients.length === 1 ? (recipients[0] as string) : recipients,
    meta: {
      received_from: '203.0.113.7:49152',
      received_via: '127.0.0.1:25',
      reception_protocol: 'ESMTP',
      hostname: 'mx.example.com',
      ehlo_domain: 'client.example.org',
      [SOURCE_KEY]: message.name,
      [SHA256_KEY]: message.sha256,
      ...(message.attachmentBytes === undefined
        ? {}
        : { [ATTACHMENT_BYTES_KEY]: message.attachmentBytes }),
    },
    schedule: null,
  };
}

/** A source message left out because no envelope can be built for it. */
export interface SkippedMessage {
  name: string;
  reason: string;
}

/**
 * Splits the messages into those with a sender and a recipient and those
 * without, which `envelopeFor` would reject. Never throws for a bad message.
 */
export function partitionByEnvelope(messages: readonly SourceMessage[]): {
  valid: SourceMessage[];
  skipped: SkippedMessage[];
} {
  const valid: SourceMessage[] = [];
  const skipped: SkippedMessage[] = [];
  for (const message of messages) {
    try {
      envelopeFor(message);
      valid.push(message);
    } catch (error) {
      skipped.push({ name: message.name, reason: (error as Error).message });
    }
  }
  return { valid, skipped };
}

/** Encodes an envelope as the compact UTF-8 JSON that KumoMTA stores. */
export function encodeMeta(envelope: KumoMetaData): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/**
 * Decodes a meta entry. Throws an `Error` saying what is wrong when the
 * bytes are empty, not JSON, or lack the fields every envelope has.
 */
export function decodeMeta(bytes: Buffer): KumoMetaData {
  if (bytes.length === 0) {
    throw new Error('the meta entry is empty');
  }

  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new Error(
      `the meta entry is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('the meta entry is not a JSON object');
  }

  const record = value as Record<string, unknown>;
  if (typeof record.sender !== 'string') {
    throw new Error('the meta entry has no string "sender"');
  }

  const recipient = record.recipient;
  const recipientValid =
    typeof recipient === 'string' ||
    (Array.isArray(recipient) &&
      recipient.every((item) => typeof item === 'string'));
  if (!recipientValid) {
    throw new Error(
      'the meta entry has no "recipient" string or array of strings',
    );
  }

  const meta = record.meta;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new Error('the meta entry has no "meta" object');
  }

  return {
    sender: record.sender,
    recipient: recipient as string | string[],
    meta: meta as Record<string, unknown>,
    schedule: (record.schedule as KumoMetaData['schedule']) ?? null,
  };
}

/**
 * Splits the header section into lower-cased names and unfolded values.
 * The section ends at the first empty line.
 */
function parseHeaders(bytes: Buffer): Map<string, string[]> {
  const text = bytes.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const section = end === -1 ? text : text.slice(0, end);
  const unfolded = section.replace(/\r?\n[ \t]/g, ' ');

  const headers = new Map<string, string[]>();
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      continue;
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(name, values);
  }
  return headers;
}

function readSender(headers: Map<string, string[]>, name: string): string {
  const returnPath = headers.get('return-path')?.[0];
  if (returnPath !== undefined) {
    // `<>` is the null sender of bounces; KumoMTA stores it as "".
    const inner = returnPath.replace(/^<|>$/g, '').trim();
    return inner === '' ? '' : (mailboxes(inner)[0] ?? inner);
  }
  const from = headers.get('from')?.[0];
  const sender = from === undefined ? undefined : mailboxes(from)[0];
  if (sender === undefined) {
    throw new Error(
      `${name} has no Return-Path or From address, so it has no sender; add a From header`,
    );
  }
  return sender;
}

/**
 * A bare `Postmaster`, optionally in angle brackets after a display name.
 * RFC 5321 section 4.5.1 makes it a valid recipient without a domain, and
 * KumoMTA accepts it, but RFC 5322 address parsers reject it.
 */
const POSTMASTER = /^(?:[^<]*<\s*)?(postmaster)\s*>?$/i;

/**
 * The plain addresses in an address-list header, groups flattened. When
 * the list does not parse as a whole, each comma-separated item is parsed
 * alone, so that a bare `Postmaster` keeps its place.
 */
function mailboxes(value: string): string[] {
  const parsed = parseAddresses(value);
  if (parsed !== undefined) {
    return parsed;
  }
  return value.split(',').flatMap((item) => {
    const postmaster = POSTMASTER.exec(item.trim());
    if (postmaster !== null) {
      return [postmaster[1] as string];
    }
    return parseAddresses(item) ?? [];
  });
}

function parseAddresses(value: string): string[] | undefined {
  const parsed = addresses.parseAddressList({ input: value, rfc6532: true });
  if (parsed === null) {
    return undefined;
  }
  return parsed.flatMap((entry) =>
    entry.type === 'group'
      ? entry.addresses.map((mailbox) => mailbox.address)
      : [entry.address],
  );
}
