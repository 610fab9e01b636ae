import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMessages } from '../src/messages.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-messages-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('loadMessages', () => {
  it('rejects invalid large message sizes', async () => {
    for (const largeMessageBytes of [-1, 1.5, 256 * 1024 * 1024 + 1]) {
      await expect(
        loadMessages({ directory, largeMessageBytes }),
        String(largeMessageBytes),
      ).rejects.toThrow(
        `largeMessageBytes ${largeMessageBytes} is invalid; pass a whole number of bytes`,
      );
    }
  });
});
