import { fstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** The Linux file that lists every file lock held on the system. */
const PROC_LOCKS = '/proc/locks';

/**
 * A held flock(2) lock in /proc/locks: the pid, then the device as hex
 * major and minor and the inode in decimal. Lines of waiters carry `->`
 * before the type and do not match.
 */
const FLOCK_LINE =
  /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/;

/**
 * Returns the pid that holds a flock(2) lock on the file open at `fd`, as
 * Linux's /proc/locks lists it. Returns `undefined` when that cannot be
 * told: other systems have no /proc/locks, the holder may have let go
 * meanwhile, and a file system may report an `st_dev` other than the
 * device /proc/locks prints.
 *
 * The pid is the process that took the lock. A child that inherited the
 * open file shares the lock under that pid, and in another pid namespace
 * the kernel shows it as 0, which is treated as unknown.
 */
export async function flockHolderPid(fd: number): Promise<number | undefined> {
  let text: string;
  let device: bigint;
  let inode: bigint;
  try {
    const stats = fstatSync(fd, { bigint: true });
    device = stats.dev;
    inode = stats.ino;
    text = await readFile(PROC_LOCKS, 'utf8');
  } catch {
    return undefined;
  }
  const major = ((device >> 8n) & 0xfffn) | ((device >> 32n) & ~0xfffn);
  const minor = (device & 0xffn) | ((device >> 12n) & ~0xffn);
  for (const line of text.split('\n')) {
    const match = FLOCK_LINE.exec(line);
    if (
      match !== null &&
      BigInt(`0x${match[2]}`) === major &&
      BigInt(`0x${match[3]}`) === minor &&
      BigInt(match[4] as string) === inode
    ) {
      const pid = Number(match[1]);
      return pid > 0 ? pid : undefined;
    }
  }
  return undefined;
}
