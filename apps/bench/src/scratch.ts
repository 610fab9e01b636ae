import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';

/** Where each run makes its own directory; set once by the CLI. */
let scratchRoot = '';

/** Sets the directory under which every run creates its temporary directory. */
export function setScratchRoot(directory: string): void {
  scratchRoot = directory;
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
  try {
    return await work(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Incompressible bytes, so that RocksDB's Snappy compression gains nothing. */
export function randomValue(size: number): Buffer {
  return randomBytes(size);
}
