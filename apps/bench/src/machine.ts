import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';

/** The machine and runtime a benchmark ran on. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  platform: string;
  kernel: string;
  /** The 1, 5 and 15 minute load averages when the run started; other work skews the numbers. */
  loadAverage: number[];
  /** The file system under the scratch directory. */
  disk: {
    path: string;
    fsType: string;
    device: string;
    sizeBytes: number;
    freeBytes: number;
    /**
     * Whether an ext4 scratch has a journal. It is absent for other file
     * systems or when `/sys/fs/ext4` cannot tell. Without a journal, ext4
     * passes over inodes freed in the last minute each time it allocates
     * one, which makes file and directory creation slower and less even
     * (see docs/benchmarks.md).
     */
    journal?: boolean;
  };
}

/** Describes this machine; `scratchDir` is where the spools were written. */
export async function describeMachine(
  scratchDir: string,
): Promise<MachineInfo> {
  const stats = await statfs(scratchDir);
  const mount = await findMount(scratchDir);
  const journal =
    mount.fsType === 'ext4' ? await ext4HasJournal(mount.device) : undefined;
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
    loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
    disk: {
      path: scratchDir,
      fsType: mount.fsType,
      device: mount.device,
      sizeBytes: stats.blocks * stats.bsize,
      freeBytes: stats.bavail * stats.bsize,
      ...(journal === undefined ? {} : { journal }),
    },
  };
}

/**
 * Reads `/sys/fs/ext4/<device>/journal_task`, which holds the journal
 * thread's pid or `<none>`, and returns whether there is a journal.
 * Returns `undefined` when the file cannot be read.
 */
async function ext4HasJournal(device: string): Promise<boolean | undefined> {
  const name = device.split('/').at(-1) ?? '';
  try {
    const task = await readFile(`/sys/fs/ext4/${name}/journal_task`, 'utf8');
    return task.trim() !== '<none>';
  } catch {
    return undefined;
  }
}

/** Finds the /proc/mounts entry with the longest mount point that contains `target`. */
async function findMount(
  target: string,
): Promise<{ fsType: string; device: string }> {
  let text: string;
  try {
    text = await readFile('/proc/mounts', 'utf8');
  } catch {
    return { fsType: 'unknown', device: 'unknown' };
  }
  let best = { mountPoint: '', fsType: 'unknown', device: 'unknown' };
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType] = line.split(' ');
    if (
      device === undefined ||
      mountPoint === undefined ||
      fsType === undefined
    ) {
      continue;
    }
    const contains =
      target === mountPoint ||
      target.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    if (contains && mountPoint.length > best.mountPoint.length) {
      best = { mountPoint, fsType, device };
    }
  }
  return { fsType: best.fsType, device: best.device };
}

/** File systems that keep files in memory, where fsync writes nothing. */
const MEMORY_FILE_SYSTEMS = new Set(['tmpfs', 'ramfs']);

/** The kinds of work in a run that its scratch file system can distort. */
export interface ScratchUse {
  /** Whether the run creates and deletes LocalDisk spool files or raw fs ones. */
  createsFiles: boolean;
  /** Whether the run has synced store rows (the operations section). */
  syncs: boolean;
}

/**
 * Lists the warnings a run prints about its scratch file system, only for
 * the work in `use`. ext4 without a journal makes file creation slow and
 * uneven after many deletions. On a file system in memory the sync-on
 * rows write no disk.
 */
export function scratchNotes(
  disk: MachineInfo['disk'],
  scratch: string,
  use: ScratchUse,
): string[] {
  const notes: string[] = [];
  if (disk.journal === false && use.createsFiles) {
    notes.push(
      `${scratch} is on ext4 without a journal, where creating files and directories slows down for a minute after many are deleted; LocalDisk and raw fs rows then vary more between rounds and between the two sides. For steadier rows give --scratch a directory on a file system with a journal (see docs/benchmarks.md)`,
    );
  }
  if (MEMORY_FILE_SYSTEMS.has(disk.fsType) && use.syncs) {
    notes.push(
      `${scratch} is on ${disk.fsType}, which keeps files in memory, so fsync writes nothing and the sync-on rows measure no disk; give --scratch a directory on a disk for those rows`,
    );
  }
  return notes;
}
