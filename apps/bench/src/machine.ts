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
  };
}

/** Describes this machine; `scratchDir` is where the spools were written. */
export async function describeMachine(
  scratchDir: string,
): Promise<MachineInfo> {
  const stats = await statfs(scratchDir);
  const mount = await findMount(scratchDir);
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
    },
  };
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
