import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Writes back the dirty data of every file system with `sync(1)`, untimed.
 * The enumeration calls it before each walk, and the remove rows before
 * each pass of removes: unlinking a file
 * whose pages the kernel is still writing back waits for that writeback,
 * and after the stores of a round most of the last-stored side's entries
 * are still dirty, so that side's removes would be slower for that reason
 * alone.
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
