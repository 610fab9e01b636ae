import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** The Linux file that lists every file lock held on the system. */
const PROC_LOCKS = '/proc/locks';

/** The kinds of lock /proc/locks lists: flock(2), and fcntl(2) record locks, which RocksDB takes. */
export type LockKind = 'FLOCK' | 'POSIX';

/** The device and inode of a locked file, as `stat` with `bigint: true` returns them. */
export interface LockedFile {
  dev: bigint;
  ino: bigint;
}

/**
 * A held lock in /proc/locks: the kind, the pid, then the device as hex
 * major and minor and the inode in decimal. Lines of waiters carry `->`
 * before the kind and do not match.
 */
const LOCK_LINE =
  /^\d+:\s+(FLOCK|POSIX)\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/;

/**
 * Returns the pid that holds a lock of `kind` on `file`, as Linux's
 * /proc/locks lists it, or `undefined` when it cannot be found. Other
 * systems have no /proc/locks. The holder may have let go meanwhile. A
 * file system may report an `st_dev` other than the device /proc/locks
 * prints, and a holder in another pid namespace shows as 0.
 *
 * The pid is the process that took the lock. A process that inherited
 * the open file shares a flock(2) lock under that pid, even after the
 * taker exited, so check that the pid is running before naming it.
 */
export async function lockHolderPid(
  file: LockedFile,
  kind: LockKind,
): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(PROC_LOCKS, 'utf8');
  } catch {
    return undefined;
  }
  const major = ((file.dev >> 8n) & 0xfffn) | ((file.dev >> 32n) & ~0xfffn);
  const minor = (file.dev & 0xffn) | ((file.dev >> 12n) & ~0xffn);
  for (const line of text.split('\n')) {
    const match = LOCK_LINE.exec(line);
    if (
      match !== null &&
      match[1] === kind &&
      BigInt(`0x${match[3]}`) === major &&
      BigInt(`0x${match[4]}`) === minor &&
      BigInt(match[5] as string) === file.ino
    ) {
      const pid = Number(match[2]);
      return pid > 0 ? pid : undefined;
    }
  }
  return undefined;
}

/**
 * Returns whether a process with `pid` is visible to this one and has not
 * exited. EPERM from the signal check means it runs under another user.
 * A zombie, which has exited but not been reaped, still takes signals,
 * so on Linux its state in /proc/<pid>/stat is read too.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows ") " after the command name, which may itself contain ")".
    const state = stat[stat.lastIndexOf(')') + 2];
    return state !== 'Z';
  } catch {
    return true;
  }
}
