import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';

/** Where each run makes its own directory; set once by the CLI. */
let scratchRoot = '';

/** The scratch directories that exist now, so an interrupted run can delete them. */
const liveDirectories = new Set<string>();

/** Sets the directory under which every run creates its temporary directory. */
export function setScratchRoot(directory: string): void {
  scratchRoot = directory;
}

/**
 * Deletes the scratch directories still in use when the process gets
 * SIGINT or SIGTERM, then exits with 128 plus the signal number, so that
 * an interrupted run does not leave gigabytes of spools behind. A second
 * signal during the deletion exits at once.
 */
export function removeScratchOnSignal(log: (message: string) => void): void {
  for (const [signal, number] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
  ] as const) {
    process.once(signal, () => {
      process.once(signal, () => process.exit(128 + number));
      const single = liveDirectories.size === 1;
      log(
        `${signal}: deleting ${liveDirectories.size} scratch ${single ? 'directory' : 'directories'}, which can take minutes for a large enumeration; send ${signal} again to leave ${single ? 'it' : 'them'}`,
      );
      for (const directory of liveDirectories) {
        if (!removeWhileWritesSettle(directory)) {
          log(`${signal}: could not delete ${directory}; delete it by hand`);
        }
      }
      process.exit(128 + number);
    });
  }
}

/**
 * Deletes `directory` from a signal handler, where the JS thread cannot
 * wait for the spool's calls. File calls already running on the thread
 * pool can recreate parts of the tree during or just after a removal, so
 * it removes, pauses 30 ms and checks, up to 5 times. Returns whether the
 * directory is gone.
 */
function removeWhileWritesSettle(directory: string): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      rmSync(directory, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // ENOTEMPTY from a concurrent write: the next attempt retries.
    }
    Atomics.wait(pause, 0, 0, 30);
    if (!existsSync(directory)) {
      return true;
    }
  }
  return false;
}

/**
 * Creates a fresh directory for one run, passes it to `work`, and deletes
 * it afterwards, also when `work` rejects.
 */
export async function withScratchDir<T>(
  prefix: string,
  work: (directory: string) => Promise<T>,
): Promise<T> {
  const directory = await mkdtemp(path.join(scratchRoot, `${prefix}-`));
  liveDirectories.add(directory);
  try {
    return await work(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
    liveDirectories.delete(directory);
  }
}

/** Incompressible bytes, so that RocksDB's Snappy compression gains nothing. */
export function randomValue(size: number): Buffer {
  return randomBytes(size);
}
