import { mkdtemp, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDirectories } from '@spoolkit/core';

/**
 * Checks before the run that the results can be written to `directory`,
 * creating it when missing, so that a long run does not end with nowhere
 * to put them. Exits 2 if not.
 */
export async function assertWritable(directory: string): Promise<void> {
  try {
    await makeDirectories(directory);
    // access(W_OK) passes for root even where no file can be created, as in /proc.
    const probe = path.join(directory, `.spoolkit-bench-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    process.stderr.write(
      `error: cannot write the results to --out ${directory} (${describeOutFailure(code)}); choose a writable directory\n`,
    );
    process.exit(2);
  }
}

/** Names the cause of an `--out` failure in words where its errno is unclear. */
function describeOutFailure(code: string): string {
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    return 'a file is in the way';
  }
  if (code === 'EROFS') {
    return 'the file system is read-only';
  }
  if (code === 'ENOENT') {
    // The parent exists, so its file system takes no new entries (/proc).
    return 'no file or directory can be created there, ENOENT';
  }
  return code;
}

/**
 * Checks that `--scratch` names an existing directory this process may
 * write, and exits 2 if not. The bench does not create it, because a
 * mistyped path would leave new directories behind.
 */
export async function assertScratchDirectory(directory: string): Promise<void> {
  const problem = await scratchProblem(directory);
  if (problem !== undefined) {
    process.stderr.write(
      `error: --scratch ${directory} ${problem}, or leave --scratch out to use ${os.tmpdir()}\n`,
    );
    process.exit(2);
  }
}

/** Returns what is wrong with `directory` as a scratch directory, with the fix, or `undefined`. */
async function scratchProblem(directory: string): Promise<string | undefined> {
  try {
    if (!(await stat(directory)).isDirectory()) {
      return 'is not a directory; give a directory';
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? 'does not exist; create the directory first'
      : `cannot be read (${code}); check its permissions and those of its parents`;
  }
  try {
    // Each run makes its directory this way; access(W_OK) would pass for
    // root where none can be made, as in /proc.
    await rmdir(await mkdtemp(path.join(directory, '.spoolkit-bench-probe-')));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS') {
      return 'is on a read-only file system (EROFS); choose a directory on a writable one';
    }
    if (code === 'ENOENT') {
      return 'takes no new directories (ENOENT, as in /proc); choose a directory on a disk';
    }
    return `is not writable (${code}); choose a directory this user (uid ${process.getuid?.() ?? 'unknown'}) may write`;
  }
  return undefined;
}
