import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const writer = fileURLToPath(
  new URL('./fixtures/sync-writer.mjs', import.meta.url),
);

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the writer under strace and counts its fsync and fdatasync calls. */
async function countSyncs(sync: boolean, count: number): Promise<number> {
  const dir = await tempDir();
  const trace = join(dir, 'trace');
  execFileSync('strace', [
    '-f',
    '-qq',
    '-e',
    'trace=fsync,fdatasync',
    '-o',
    trace,
    process.execPath,
    writer,
    join(dir, 'spool'),
    String(count),
    String(sync),
  ]);
  const lines = (await readFile(trace, 'utf8')).split('\n');
  return lines.filter((line) => /\b(fsync|fdatasync)\(/.test(line)).length;
}

describe('sync', () => {
  // NOTE: skipped where strace is not installed.
  it.skipIf(!hasStrace())('fsyncs the log per synced store', async () => {
    const synced = await countSyncs(true, 200);
    const unsynced = await countSyncs(false, 200);
    expect(synced).toBeGreaterThanOrEqual(200);
    expect(unsynced).toBeLessThan(50);
  });
});
