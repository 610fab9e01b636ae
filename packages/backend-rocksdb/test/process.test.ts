import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SpoolId } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { openRocksDbSpool } from '../src/index.js';
// @ts-expect-error: a plain .mjs fixture without type declarations.
import { payload } from './fixtures/payload.mjs';
import { rejectionOf, tempDir } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

interface Child {
  process: ChildProcess;
  lines: string[];
  ready: Promise<void>;
  exited: Promise<void>;
}

/** Starts a fixture; `lines` collects its stdout lines as they arrive. */
function startFixture(name: string, args: string[]): Child {
  const child = spawn(process.execPath, [join(fixtures, name), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on(
      'line',
      (line) => {
        lines.push(line);
        if (line === 'ready') {
          resolve();
        }
      },
    );
    void exited.then(() =>
      reject(new Error(`${name} exited early: ${stderr}`)),
    );
  });
  ready.catch(() => undefined);
  return { process: child, lines, ready, exited };
}

describe('child processes', () => {
  it('validate does not load the binding', async () => {
    const path = join(await tempDir(), 'spool');
    const child = startFixture('validate-only.mjs', [path, 'open']);
    await child.exited;
    expect(child.process.exitCode).toBe(0);
    expect(JSON.parse(child.lines[0] as string)).toEqual({
      afterValidate: false,
      afterOpen: true,
    });
  });

  it('LOCK held by another process is SPOOL_LOCKED', async () => {
    const path = join(await tempDir(), 'spool');
    const holder = startFixture('hold-spool.mjs', [path]);
    try {
      await holder.ready;
      const error = await rejectionOf(openRocksDbSpool({ name: 'data', path }));
      expect(error.code).toBe('SPOOL_LOCKED');
      expect(error.message).toContain(join(path, 'LOCK'));
      expect(error.message).toContain('stop that process');
      expect(error.path).toBe(path);
      if (existsSync('/proc/locks')) {
        // Linux lists the holder of RocksDB's fcntl(2) lock.
        expect(error.message).toContain(
          `pid ${holder.process.pid} has locked ${join(path, 'LOCK')}`,
        );
      }
    } finally {
      holder.process.kill('SIGKILL');
      await holder.exited;
    }
    const spool = await openRocksDbSpool({ name: 'data', path });
    await spool.close();
  });
});

describe('crash loop', () => {
  it('every acknowledged synced store survives SIGKILL', async () => {
    const dir = await tempDir();
    const lanes = 2;
    const killsPerLane = 55;
    const results = await Promise.all(
      Array.from({ length: lanes }, (_, lane) =>
        crashLane(join(dir, `spool-${lane}`), killsPerLane),
      ),
    );
    const kills = results.reduce((sum, lane) => sum + lane.kills, 0);
    const acknowledged = results.reduce(
      (sum, lane) => sum + lane.acknowledged,
      0,
    );
    expect(kills).toBeGreaterThanOrEqual(100);
    expect(acknowledged).toBeGreaterThan(kills);
  }, 170_000);
});

/** Runs `rounds` writer children on one spool, killing each at a random moment. */
async function crashLane(
  path: string,
  rounds: number,
): Promise<{ kills: number; acknowledged: number }> {
  let acknowledged = 0;
  const retainedIds: SpoolId[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const child = startFixture('crash-writer.mjs', [path, '3']);
    if (round % 8 === 7) {
      // Now and then kill it while it opens and replays the log.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
    } else {
      await child.ready;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 250));
    }
    child.process.kill('SIGKILL');
    await child.exited;

    const acks = child.lines
      .filter((l) => l.startsWith('ack '))
      .map((l) => l.slice(4));
    const begun = child.lines
      .filter((l) => l.startsWith('begin '))
      .map((l) => l.slice(6));
    acknowledged += acks.length;
    retainedIds.push(...(await verifyRound(path, acks, begun)));
  }
  await verifyRetained(path, retainedIds);
  return { kills: rounds, acknowledged };
}

/**
 * Checks that every acknowledged entry loads exactly and that a begun but
 * unacknowledged entry is either absent or whole. Removes the large
 * acknowledged entries to bound the disk use. Returns the ids it retained.
 */
async function verifyRound(
  path: string,
  acks: string[],
  begun: string[],
): Promise<SpoolId[]> {
  const spool = await openRocksDbSpool({ name: 'data', path });
  const retainedIds: SpoolId[] = [];
  try {
    for (const text of acks) {
      const id = SpoolId.parse(text);
      const expected = payload(id.toBytes()) as Buffer;
      const loaded = await spool.load(id);
      expect(loaded.length).toBe(expected.length);
      expect(loaded.equals(expected)).toBe(true);
      if (expected.length > 16 * 1024) {
        await spool.remove(id);
      } else {
        retainedIds.push(id);
      }
    }
    const acked = new Set(acks);
    for (const text of begun.filter((t) => !acked.has(t))) {
      const id = SpoolId.parse(text);
      try {
        const loaded = await spool.load(id);
        expect(loaded.equals(payload(id.toBytes()) as Buffer)).toBe(true);
        await spool.remove(id);
      } catch (error) {
        expect((error as { code: string }).code).toBe('SPOOL_NOT_FOUND');
      }
    }
  } finally {
    await spool.close();
  }
  return retainedIds;
}

async function verifyRetained(
  path: string,
  retainedIds: SpoolId[],
): Promise<void> {
  const spool = await openRocksDbSpool({ name: 'data', path });
  try {
    for (const id of retainedIds) {
      expect(
        (await spool.load(id)).equals(payload(id.toBytes()) as Buffer),
      ).toBe(true);
    }
  } finally {
    await spool.close();
  }
}
