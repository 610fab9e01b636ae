import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
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
      log(
        `${signal}: deleting ${liveDirectories.size} scratch directories, which can take minutes for a large enumeration; send ${signal} again to leave them`,
      );
      for (const directory of liveDirectories) {
        // Writes already queued on the thread pool can still create files
        // during the removal (ENOTEMPTY), so it retries before giving up.
        try {
          rmSync(directory, {
            recursive: true,
            force: true,
            maxRetries: 10,
            retryDelay: 20,
          });
        } catch (error) {
          log(
            `${signal}: could not delete ${directory} (${(error as NodeJS.ErrnoException).code ?? String(error)}); delete it by hand`,
          );
        }
      }
      process.exit(128 + number);
    });
  }
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
