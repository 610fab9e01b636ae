import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Writes back the dirty data of every file system with `sync(1)`, untimed.
 * The remove rows call it before each pass of removes, because unlinking a
 * file whose pages the kernel is still writing back waits for that
 * writeback, and after a round's stores most of the last-stored side's
 * entries are still dirty. The enumeration calls it before each walk, so
 * that both walks start from written-back files.
 */
export async function writeBackDirtyData(): Promise<void> {
  try {
    await execFileAsync('sync');
  } catch (error) {
    throw new Error(
      `running sync(1) to write back dirty data before a timed run failed: ${(error as Error).message}; the remove rows and the enumeration need a sync command on PATH`,
      { cause: error },
    );
  }
}
