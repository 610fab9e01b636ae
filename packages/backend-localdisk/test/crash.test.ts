import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { openLocalDiskSpool } from '../src/index.js';
import {
  lines,
  listFiles,
  listNames,
  makeTempDir,
  startFixture,
} from './helpers.js';

const ROUNDS = 110;

/** The expected state of one id, from the writers' output. */
interface Expected {
  /** The hash of the last acknowledged version. */
  acked: string | undefined;
  /** Hashes of versions begun after that ack; a crash may leave any of them in place. */
  pending: Set<string>;
  round: number;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Runs one writer and kills it at a random moment; returns its complete output lines. */
async function runAndKill(dir: string): Promise<string[]> {
  const child = startFixture('crash-writer.mjs', [dir]);
  const output: string[] = [];
  const exited = once(child, 'exit');
  const reader = (async () => {
    for await (const line of lines(child)) {
      output.push(line);
    }
  })();
  // One round in ten is killed while starting up, which may be during the purge of new/.
  if (Math.random() < 0.1) {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
  } else {
    while (!output.includes('ready') && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 120));
  }
  child.kill('SIGKILL');
  await exited;
  await reader;
  return output;
}

function recordOutput(
  output: string[],
  expected: Map<string, Expected>,
  round: number,
) {
  for (const line of output) {
    const [kind, id, hash] = line.split(' ');
    if (
      (kind !== 'begin' && kind !== 'ack') ||
      id === undefined ||
      hash === undefined
    ) {
      continue;
    }
    const entry = expected.get(id) ?? {
      acked: undefined,
      pending: new Set<string>(),
      round,
    };
    entry.round = round;
    if (kind === 'begin') {
      entry.pending.add(hash);
    } else {
      entry.acked = hash;
      entry.pending.delete(hash);
    }
    expected.set(id, entry);
  }
}

describe('crash loop', () => {
  it('keeps every acknowledged entry through SIGKILL', {
    timeout: 180_000,
  }, async () => {
    const dir = makeTempDir();
    const dataDir = path.join(dir, 'data');
    const expected = new Map<string, Expected>();
    let roundsWithTempFiles = 0;
    let acknowledged = 0;

    for (let round = 0; round < ROUNDS; round += 1) {
      const output = await runAndKill(dir);
      acknowledged += output.filter((line) => line.startsWith('ack ')).length;
      recordOutput(output, expected, round);
      if (listNames(path.join(dir, 'new')).length > 0) {
        roundsWithTempFiles += 1;
      }

      const spool = await openLocalDiskSpool({ name: 'data', path: dir });
      try {
        expect(
          listNames(path.join(dir, 'new')),
          `round ${round}: temp files after open`,
        ).toEqual([]);

        for (const file of listFiles(dataDir)) {
          const content = readFileSync(path.join(dataDir, file));
          const header = content.subarray(0, 32).toString('hex');
          expect(header, `round ${round}: ${file} has partial content`).toBe(
            sha256(content.subarray(32)),
          );
        }

        for (const [id, entry] of expected) {
          if (entry.acked === undefined) {
            continue;
          }
          const hash = sha256(await spool.load(SpoolId.parse(id)));
          const allowed = [entry.acked, ...entry.pending];
          expect(
            allowed,
            `round ${round}: ${id} lost its acknowledged version`,
          ).toContain(hash);
        }

        // Entries of earlier rounds have survived at least two crashes; drop them to bound disk use.
        for (const [id, entry] of expected) {
          if (entry.round < round) {
            await spool.remove(SpoolId.parse(id));
            expected.delete(id);
          }
        }
      } finally {
        await spool.close();
      }
    }

    expect(acknowledged).toBeGreaterThan(ROUNDS);
    expect(roundsWithTempFiles).toBeGreaterThan(0);
  });
});
