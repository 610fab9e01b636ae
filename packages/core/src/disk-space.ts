import { statfs } from 'node:fs/promises';
import { formatMinFree, type MinFree } from './min-free.js';

/** Free space on a file system, as `statfs` reports it to unprivileged users. */
export interface DiskUsage {
  freeBytes: number;
  totalBytes: number;
  freeInodes: number;
  totalInodes: number;
}

/** Reads free bytes and inodes for the file system that holds `path`. */
export async function readDiskUsage(path: string): Promise<DiskUsage> {
  const stats = await statfs(path);
  return {
    freeBytes: stats.bavail * stats.bsize,
    totalBytes: stats.blocks * stats.bsize,
    freeInodes: stats.ffree,
    totalInodes: stats.files,
  };
}

/**
 * Compares a disk usage reading with the two minimums and returns the
 * reason it falls short, or `undefined`. A file system that reports no
 * inode total (btrfs, some network file systems) is never short of inodes.
 */
export function checkFreeSpace(
  usage: DiskUsage,
  minFreeSpace: MinFree,
  minFreeInodes: MinFree,
  path: string,
): string | undefined {
  if (isBelow(usage.freeBytes, usage.totalBytes, minFreeSpace)) {
    return `free disk space at ${path} is ${describe(usage.freeBytes, usage.totalBytes, 'bytes')}, below min_free_space ${formatMinFree(minFreeSpace)}`;
  }
  if (
    usage.totalInodes > 0 &&
    isBelow(usage.freeInodes, usage.totalInodes, minFreeInodes)
  ) {
    const inodes = usage.freeInodes === 1 ? 'inode' : 'inodes';
    return `free inodes at ${path}: ${describe(usage.freeInodes, usage.totalInodes, inodes)}, below min_free_inodes ${formatMinFree(minFreeInodes)}`;
  }
  return undefined;
}

function isBelow(free: number, total: number, minimum: MinFree): boolean {
  if (minimum.kind === 'count') {
    return free < minimum.count;
  }
  if (total === 0) {
    return false;
  }
  return Math.floor((free / total) * 100) < minimum.percent;
}

function describe(free: number, total: number, unit: string): string {
  const percent = total === 0 ? 0 : Math.floor((free / total) * 100);
  return `${free} ${unit} (${percent}%)`;
}

/** Options for `DiskSpaceMonitor`. */
export interface DiskSpaceMonitorOptions {
  path: string;
  minFreeSpace: MinFree;
  minFreeInodes: MinFree;
  /**
   * How often to read `statfs`, in milliseconds. KumoMTA checks every 5 s.
   * @default 5000
   */
  intervalMs?: number;
  /** Replaces `readDiskUsage`, to test a full disk. */
  readUsage?: (path: string) => Promise<DiskUsage>;
}

/**
 * Checks a spool's file system on a timer and keeps the latest shortfall,
 * so that `unhealthyReason()` can report it without doing I/O. The timer
 * does not keep the process alive.
 */
export class DiskSpaceMonitor {
  readonly #options: DiskSpaceMonitorOptions;
  #reason: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastError: unknown;
  #checking: Promise<void> | undefined;
  /** How many checks have started, and which of them last set `reason`. */
  #started = 0;
  #applied = 0;

  constructor(options: DiskSpaceMonitorOptions) {
    this.#options = options;
  }

  /** The latest shortfall, or `undefined` when there is enough free space. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** The latest `statfs` failure, if the last check failed. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Checks once now, then starts the timer. Starting again replaces the timer. */
  async start(): Promise<void> {
    await this.check();
    this.stop();
    this.#timer = setInterval(
      () => void this.check(),
      this.#options.intervalMs ?? 5000,
    );
    this.#timer.unref();
  }

  /**
   * Reads the file system once and updates `reason`, unless a check that
   * started later has updated it already: a slow timer check must not
   * overwrite the shortfall a `recheck()` just found.
   */
  async check(): Promise<void> {
    const { path, minFreeSpace, minFreeInodes } = this.#options;
    this.#started += 1;
    const order = this.#started;
    try {
      const usage = await (this.#options.readUsage ?? readDiskUsage)(path);
      if (order < this.#applied) {
        return;
      }
      this.#applied = order;
      this.#reason = checkFreeSpace(usage, minFreeSpace, minFreeInodes, path);
      this.#lastError = undefined;
    } catch (error) {
      // A failed statfs says nothing about free space, so the last reading stands.
      if (order >= this.#applied) {
        this.#lastError = error;
      }
    }
  }

  /**
   * Checks now, for a caller that has just seen the disk full and should
   * not wait for the timer. Calls made while a recheck runs share it, so
   * a burst of failed writes costs one `statfs`.
   */
  recheck(): Promise<void> {
    this.#checking ??= this.check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** Stops the timer; `reason` keeps the last reading. */
  stop(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
