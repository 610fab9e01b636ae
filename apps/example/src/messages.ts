import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '@spoolkit/core';
import { generateLargeMessage, MAX_ATTACHMENT_MIB } from './large-message.js';

/** One RFC 5322 message to spool, with the hash its body must keep. */
export interface SourceMessage {
  /** The file name, or `generated-large.eml` for the generated message. */
  name: string;
  bytes: Buffer;
  /** SHA-256 of `bytes`, as lowercase hex. */
  sha256: string;
  /** The attachment size in bytes the generated message was built with. */
  attachmentBytes?: number;
}

/** Options for `loadMessages`. */
export interface LoadMessagesOptions {
  /** The directory whose `.eml` files are read, in name order. */
  directory: string;
  /**
   * Size of the generated multi-megabyte message in bytes; 0 leaves it
   * out.
   * @default 0
   */
  largeMessageBytes?: number;
  /**
   * Accept a directory with no `.eml` file. A verify run does: it checks
   * bodies whose source file is missing against their envelopes.
   * @default false
   */
  allowEmpty?: boolean;
}

/** The name under which the generated message is spooled and verified. */
export const LARGE_MESSAGE_NAME = 'generated-large.eml';

/**
 * Reads every `.eml` file in the directory and appends the generated
 * message. Throws an `Error` naming the directory, with the `fs` error as
 * its cause, when the directory cannot be read, and an
 * `Error` when it holds no `.eml` file and no message is generated. Throws a
 * `RangeError` when `largeMessageBytes` is not a whole number from 0 to
 * `MAX_ATTACHMENT_MIB` MiB.
 */
export async function loadMessages(
  options: LoadMessagesOptions,
): Promise<SourceMessage[]> {
  const names = (await listDirectory(options.directory))
    .filter((name) => name.endsWith('.eml'))
    .sort();
  const messages: SourceMessage[] = [];
  for (const name of names) {
    const bytes = await readFile(path.join(options.directory, name));
    messages.push({ name, bytes, sha256: sha256Hex(bytes) });
  }

  const largeBytes = options.largeMessageBytes ?? 0;
  const maxBytes = MAX_ATTACHMENT_MIB * 1024 * 1024;
  if (
    !Number.isSafeInteger(largeBytes) ||
    largeBytes < 0 ||
    largeBytes > maxBytes
  ) {
    throw new RangeError(
      `largeMessageBytes ${largeBytes} is invalid; pass a whole number of bytes from 0 to ${maxBytes}`,
    );
  }
  if (largeBytes > 0) {
    messages.push(largeMessage(largeBytes));
  }

  if (messages.length === 0 && options.allowEmpty !== true) {
    throw new Error(
      `no .eml files in ${options.directory} and the generated message is off; point --messages at a directory of .eml files`,
    );
  }
  return messages;
}

async function listDirectory(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    throw new Error(
      `--messages ${directory} ${describeReaddirError(error)}; point --messages at a directory of .eml files, or omit it to use the bundled messages`,
      { cause: error },
    );
  }
}

function describeReaddirError(error: unknown): string {
  const code = errnoCode(error);
  if (code === 'ENOENT') {
    return 'does not exist';
  }
  if (code === 'ENOTDIR') {
    return 'is not a directory';
  }
  return `could not be read (${code ?? (error as Error).message})`;
}

/** Generates the large message with an attachment of `attachmentBytes`. */
export function largeMessage(attachmentBytes: number): SourceMessage {
  const bytes = generateLargeMessage(attachmentBytes);
  return {
    name: LARGE_MESSAGE_NAME,
    bytes,
    sha256: sha256Hex(bytes),
    attachmentBytes,
  };
}

/** Returns the SHA-256 of `bytes` as lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
